"""Moving tasks along: created → queueing → processing → success | failed.

Everything here is synchronous ORM work in short transactions, called from the clock
(in a worker thread) and from views (lazily, so a query never lags behind the clock).
Concurrency is per API key: the first `SIMULATOR_CONCURRENCY` tasks process, the rest
wait in `queueing` in submission order (vidu-api.md §8).

Media is rendered when a task's processing time is up: the clock claims the task
(a lease in `due_at`, so a crashed renderer's work is picked up again), renders off the
event loop, stores the files, and the next advance turns the task to `success`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from simulator import files
from simulator.bodies import task_body
from simulator.models import SimCallback, SimTask

logger = logging.getLogger(__name__)

RENDER_LEASE = timedelta(seconds=120)
URL_LIFETIME = timedelta(hours=24)  # "valid for 24 hours" (V-get, newer version)
# No task processes longer than this, whatever a stored row says.
MAX_WORK_SECONDS = 24 * 3600.0
_CALLBACK_STATES = {SimTask.State.PROCESSING, SimTask.State.SUCCESS, SimTask.State.FAILED}


def concurrency() -> int:
    return int(getattr(settings, "SIMULATOR_CONCURRENCY", 5))


def work_seconds(*, is_video: bool, faults: dict[str, Any]) -> float:
    """Simulated processing time for a new task: the clock settings, `slow` times 10."""
    if is_video:
        seconds = float(getattr(settings, "SIMULATOR_VIDEO_SECONDS", 10.0))
    else:
        seconds = float(getattr(settings, "SIMULATOR_IMAGE_SECONDS", 3.0))
    return bounded_work_seconds(seconds * float(faults.get("slow", 1.0)))


def bounded_work_seconds(value: float) -> float:
    """A processing time the clock can add to a date: finite, 0 to a day."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return 0.0
    return min(float(value), MAX_WORK_SECONDS)


def due_keys(now: datetime, *, limit: int = 200) -> list[str]:
    """The keys with a task the clock should look at: the clock's one query per tick."""
    rows = SimTask.objects.filter(due_at__lte=now).order_by("due_at").values_list("key_id")
    return list(dict.fromkeys(key for (key,) in rows[:limit]))


def key_is_due(key_id: str, now: datetime) -> bool:
    return SimTask.objects.filter(key_id=key_id, due_at__lte=now).exists()


def advance_key(key_id: str, *, now: datetime | None = None) -> list[int]:
    """Apply every transition that is due for one key; return tasks needing a render.

    Idempotent and safe to call from several threads or processes: the key's active
    tasks are locked (row locks on PostgreSQL, SQLite's IMMEDIATE write lock). Each
    task moves in its own savepoint: one that cannot move is logged and failed, and
    the others go on.
    """
    now = now or timezone.now()
    needs_render: list[int] = []
    with transaction.atomic():
        tasks = list(
            SimTask.objects.select_for_update()
            .filter(key_id=key_id, state__in=SimTask.ACTIVE_STATES)
            .order_by("id")
        )
        processing = 0
        for task in tasks:
            outcome = _guarded(task, now, _advance_one)
            if outcome == "processing":
                processing += 1
            elif outcome == "render":
                processing += 1
                needs_render.append(task.pk)
        for task in tasks:
            waiting = task.state == SimTask.State.QUEUEING and processing < concurrency()
            if waiting and _guarded(task, now, _start) == "processing":
                processing += 1
    return needs_render


def _advance_one(task: SimTask, now: datetime) -> str:
    """One task's due step: "processing" while it holds a slot, "render" when its
    media are due, "" otherwise."""
    if task.state == SimTask.State.CREATED:
        _move(task, SimTask.State.QUEUEING, now, due_at=None)
        return ""
    if task.state != SimTask.State.PROCESSING or _finish_if_due(task, now):
        return ""
    due = task.due_at is not None and task.due_at <= now
    if task.finish_at <= now and not task.rendered and due:
        return "render"
    return "processing"


def _start(task: SimTask, now: datetime) -> str:
    task.started_at = now
    task.finish_at = now + timedelta(seconds=bounded_work_seconds(task.work_seconds))
    _move(task, SimTask.State.PROCESSING, now, due_at=task.finish_at)
    return "processing"


def _guarded(task: SimTask, now: datetime, step: Callable[[SimTask, datetime], str]) -> str:
    """Run one task's step in a savepoint; a task whose step fails is ended as failed
    (without callbacks, which may be what failed) so it cannot stop the clock."""
    try:
        with transaction.atomic():
            return step(task, now)
    except Exception:
        logger.exception("Simulator task %s could not advance; failing it", task.task_id)
    task.state = SimTask.State.FAILED
    SimTask.objects.filter(pk=task.pk).update(
        state=SimTask.State.FAILED,
        err_code="InternalServiceFailure",
        message="the simulator could not advance this task",
        due_at=None,
        finished_at=now,
        files_expire_at=now + URL_LIFETIME,
    )
    return ""


def _finish_if_due(task: SimTask, now: datetime) -> bool:
    if task.finish_at is None or task.finish_at > now:
        return False
    failure = task.fault("fail")
    if failure:
        task.err_code = failure
        task.message = f"simulated failure ({failure})"
        _move(task, SimTask.State.FAILED, now, due_at=None)
        return True
    if not task.rendered:
        return False
    lifetime = URL_LIFETIME
    if task.fault("expire-urls") is not None:
        lifetime = timedelta(milliseconds=task.fault("expire-urls"))
    task.files_expire_at = now + lifetime
    _move(task, SimTask.State.SUCCESS, now, due_at=None)
    return True


def _move(task: SimTask, state: str, now: datetime, *, due_at: datetime | None) -> None:
    task.state = state
    task.due_at = due_at
    if state in SimTask.TERMINAL_STATES:
        task.finished_at = now
        if task.files_expire_at is None:
            # A failed task's input copies live as long as results would (24 h).
            task.files_expire_at = now + URL_LIFETIME
    task.save()
    if state in _CALLBACK_STATES:
        enqueue_callbacks(task, now)


def claim_render(task_pk: int, *, now: datetime | None = None) -> SimTask | None:
    """Take the render lease on a due, unrendered processing task (None: not ours)."""
    now = now or timezone.now()
    claimed = SimTask.objects.filter(
        pk=task_pk, state=SimTask.State.PROCESSING, rendered=False, due_at__lte=now
    ).update(due_at=now + RENDER_LEASE)
    return SimTask.objects.get(pk=task_pk) if claimed else None


def mark_rendered(task_pk: int, creations: list[dict[str, Any]]) -> str | None:
    """Record a finished render; return the task's key so it can be advanced at once."""
    now = timezone.now()
    task_id, key_id = SimTask.objects.values_list("task_id", "key_id").get(pk=task_pk)
    updated = SimTask.objects.filter(pk=task_pk, state=SimTask.State.PROCESSING).update(
        rendered=True, creations=creations, due_at=now, stored_bytes=files.task_bytes(task_id)
    )
    if not updated:
        return None  # cancelled while rendering: the files go when the task's life ends
    return key_id


def fail_render(task_pk: int, message: str) -> None:
    """A render crashed: end the task as a server-side failure rather than retry forever."""
    now = timezone.now()
    with transaction.atomic():
        task = SimTask.objects.select_for_update().get(pk=task_pk)
        if task.state != SimTask.State.PROCESSING:
            return
        task.err_code = "InternalServiceFailure"
        task.message = message[:500]
        _move(task, SimTask.State.FAILED, now, due_at=None)
    advance_key(task.key_id, now=now)


def cancel(task: SimTask) -> None:
    """End a task that has not finished as `failed`/`UserCancelled` (vidu-api.md §3)."""
    now = timezone.now()
    with transaction.atomic():
        task = SimTask.objects.select_for_update().get(pk=task.pk)
        if task.is_terminal:
            raise TaskFinished(task.state)
        task.err_code = "UserCancelled"
        task.message = "cancelled by the user"
        _move(task, SimTask.State.FAILED, now, due_at=None)
    # A slot may have freed up for the next queued task.
    advance_key(task.key_id, now=now)


class TaskFinished(Exception):
    """The task is already `success` or `failed` and cannot be cancelled."""


def enqueue_callbacks(task: SimTask, now: datetime) -> None:
    """Queue the callbacks for the task's new state, with its callback faults applied.

    Vidu calls back on processing, success and failed (§6.1), with the query body.
    """
    if not task.callback_url or task.fault("drop-callbacks"):
        return
    body = task_body(task, task.base_url)
    due = now + timedelta(milliseconds=task.fault("late-callbacks", 0))
    status = SimCallback.Status.PENDING
    if task.fault("reorder-callbacks") and task.state == SimTask.State.PROCESSING:
        # Held until the task ends, then sent after the final state: out of order.
        status, due = SimCallback.Status.HELD, None
    rows = [SimCallback(task=task, state=task.state, body=body, status=status, due_at=due)]
    if task.fault("duplicate-callbacks"):
        later = due + timedelta(milliseconds=200) if due else None
        rows.append(
            SimCallback(task=task, state=task.state, body=body, status=status, due_at=later)
        )
    SimCallback.objects.bulk_create(rows)
    if task.is_terminal and task.fault("reorder-callbacks"):
        task.callbacks.filter(status=SimCallback.Status.HELD).update(
            status=SimCallback.Status.PENDING, due_at=due + timedelta(milliseconds=500)
        )


def prune_expired(now: datetime | None = None, *, limit: int = 200) -> int:
    """Delete the files of finished tasks whose 24 h life is over (outputs and input
    copies); the rows stay, so a late query still answers. Returns how many."""
    now = now or timezone.now()
    due = SimTask.objects.filter(
        files_pruned=False, files_expire_at__lte=now, state__in=SimTask.TERMINAL_STATES
    ).values_list("pk", "task_id")[:limit]
    pruned = 0
    for pk, task_id in list(due):
        try:
            files.delete_task_files(task_id)
        except OSError:
            logger.exception("Could not delete the files of simulator task %s", task_id)
            continue
        SimTask.objects.filter(pk=pk).update(files_pruned=True, stored_bytes=0)
        pruned += 1
    return pruned
