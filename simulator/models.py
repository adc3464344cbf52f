"""The simulator's durable state: its tasks and the callbacks it owes.

Tasks live in the database (not in memory) so that a restart of the studio, or of a
standalone `vidu_simulator`, picks every task up where it was. Input images and
outputs live as files under MEDIA_ROOT/simulator/<task_id>/; rows only name them.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from simulator import faults as fault_rules


class SimTask(models.Model):
    """One fake Vidu task, owned by the API key that created it."""

    class State(models.TextChoices):
        CREATED = "created"
        QUEUEING = "queueing"
        PROCESSING = "processing"
        SUCCESS = "success"
        FAILED = "failed"

    class Dialect(models.TextChoices):
        """The mount a task was created on; it is visible on that mount only."""

        OFFICIAL = "official"  # /ent/v2, Token auth
        POWERTOKENS = "powertokens"  # /vidu/ent/v2, Bearer auth
        KKIAI = "kkiai"  # /kkiai/ent/v2, Bearer auth
        VTRIX = "vtrix"  # /model/v1/generation

    ACTIVE_STATES = (State.CREATED, State.QUEUEING, State.PROCESSING)
    TERMINAL_STATES = (State.SUCCESS, State.FAILED)

    task_id = models.CharField(max_length=32, unique=True)
    # A hash of the API key: enough to scope tasks to their key without keeping it.
    key_id = models.CharField(max_length=64, db_index=True)
    dialect = models.CharField(max_length=16, choices=Dialect.choices)
    endpoint = models.CharField(max_length=32)
    model = models.CharField(max_length=64)
    vtrix_model = models.CharField(max_length=96, blank=True)
    prompt = models.TextField(blank=True)
    # The effective parameters (defaults filled in), echoed back on create.
    params = models.JSONField(default=dict)
    # {"images": [<file name>...], "subjects": [{"name": ..., "images": [...]}],
    #  "echo": [<image strings as the client sent them, data URIs shortened>]}
    inputs = models.JSONField(default=dict)
    seed = models.BigIntegerField()
    payload = models.TextField(blank=True)
    callback_url = models.CharField(max_length=2048, blank=True)
    # The scheme and host the task was created through, for URLs in callback bodies.
    base_url = models.CharField(max_length=512, blank=True)
    # Vidu signs callbacks with the key that created the task, so that key has to be
    # kept; only for tasks that asked for callbacks.
    callback_secret = models.CharField(max_length=512, blank=True)
    credits = models.IntegerField(default=0)
    faults = models.JSONField(default=dict)

    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    err_code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=500, blank=True)
    # Seconds of "processing" this task takes on the simulated clock.
    work_seconds = models.FloatField(default=0)
    # When the clock should next look at this task; NULL while it waits for a slot
    # (queueing) or once it is finished. The clock's one query is on this column.
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Outputs: [{"id", "file", "cover", "kind", "width", "height", "duration", "fps"}].
    creations = models.JSONField(default=list)
    rendered = models.BooleanField(default=False)
    files_token = models.CharField(max_length=64, unique=True)
    # When the task's files (outputs and input copies) reach the end of their 24 h
    # life; set when the task finishes. The clock deletes them after that.
    files_expire_at = models.DateTimeField(null=True, blank=True)
    files_pruned = models.BooleanField(default=False)
    # Bytes of the task's files on disk, for the simulator's storage bound.
    stored_bytes = models.BigIntegerField(default=0)

    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finish_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["key_id", "state"]),
            models.Index(fields=["files_pruned", "files_expire_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.model} {self.task_id} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in self.TERMINAL_STATES

    def fault(self, name: str, default: Any = None) -> Any:
        """A fault of this task; numbers within their bounds, whenever they were stored."""
        if name not in self.faults:
            return default
        value = self.faults[name]
        if name in fault_rules.NUMERIC and value is not None:
            value = fault_rules.bounded(name, value)
            return default if value is None else value
        return value


class SimCallback(models.Model):
    """A callback the simulator owes a task's `callback_url` (an outbox row).

    The body is a snapshot taken when the state changed, so a late delivery still says
    what was true then, which is what lets the reorder/late faults mean something.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        HELD = "held"  # waiting for the task to finish (reorder fault)
        DELIVERED = "delivered"
        GAVE_UP = "gave_up"

    task = models.ForeignKey(SimTask, on_delete=models.CASCADE, related_name="callbacks")
    state = models.CharField(max_length=16)
    body = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"callback {self.state} for {self.task.task_id} ({self.status})"
