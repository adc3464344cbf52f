"""Generations: one provider task each, with everything needed to reproduce it."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from providers import capabilities
from providers.base import Endpoint


class Mode(models.TextChoices):
    """What a designer asks for; each maps onto one Vidu endpoint."""

    TEXT_TO_IMAGE = "text_to_image", "Text to image"
    REFERENCE_TO_IMAGE = "reference_to_image", "Reference to image"
    REFERENCE_TO_VIDEO = "reference_to_video", "Reference to video"
    IMAGE_TO_VIDEO = "image_to_video", "Image to video"
    TEXT_TO_VIDEO = "text_to_video", "Text to video"
    START_END_TO_VIDEO = "start_end_to_video", "Start and end to video"

    @property
    def endpoint(self) -> Endpoint:
        return MODE_ENDPOINTS[self]

    @property
    def is_video(self) -> bool:
        return self.endpoint is not Endpoint.REFERENCE2IMAGE


MODE_ENDPOINTS = {
    Mode.TEXT_TO_IMAGE: Endpoint.REFERENCE2IMAGE,
    Mode.REFERENCE_TO_IMAGE: Endpoint.REFERENCE2IMAGE,
    Mode.REFERENCE_TO_VIDEO: Endpoint.REFERENCE2VIDEO,
    Mode.IMAGE_TO_VIDEO: Endpoint.IMG2VIDEO,
    Mode.TEXT_TO_VIDEO: Endpoint.TEXT2VIDEO,
    Mode.START_END_TO_VIDEO: Endpoint.START_END2VIDEO,
}


class State(models.TextChoices):
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    # A create call may have reached the provider without us seeing the answer: the
    # dispatcher looks the task up by our payload id instead of sending it again.
    SUBMISSION_UNKNOWN = "submission_unknown", "Checking submission"
    # The provider may have this task, and no documented look-up could tell: the
    # designer decides (Check again / Submit again, may be charged twice / Mark failed).
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    SUBMITTED = "submitted", "Submitted"
    QUEUEING = "queueing", "In the provider's queue"
    PROCESSING = "processing", "Generating"
    DOWNLOADING = "downloading", "Downloading"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# States only move forward along this order (DESIGN §3); terminal states share a rank.
STATE_RANK = {
    State.QUEUED: 0,
    State.SUBMITTING: 1,
    State.SUBMISSION_UNKNOWN: 1,
    State.NEEDS_ATTENTION: 1,
    State.SUBMITTED: 2,
    State.QUEUEING: 3,
    State.PROCESSING: 4,
    State.DOWNLOADING: 5,
    State.READY: 6,
    State.FAILED: 6,
    State.CANCELLED: 6,
}
TERMINAL_STATES = frozenset({State.READY, State.FAILED, State.CANCELLED})
# States in which the provider is working on a task of ours (they use a concurrency slot).
IN_FLIGHT_STATES = frozenset(
    {State.SUBMITTING, State.SUBMISSION_UNKNOWN, State.SUBMITTED, State.QUEUEING, State.PROCESSING}
)
# States in which the provider holds our task under its id: it can be polled and cancelled.
TASK_STATES = frozenset({State.SUBMITTED, State.QUEUEING, State.PROCESSING})


# Each word is one more LIKE in the query; SQLite refuses a thousand of them (a 500).
MAX_SEARCH_WORDS = 20


def new_callback_token() -> str:
    return secrets.token_urlsafe(24)


class GenerationQuerySet(models.QuerySet["Generation"]):
    def for_user(self, user: settings.AUTH_USER_MODEL) -> GenerationQuerySet:
        from projects.models import Project

        return self.filter(project__in=Project.objects.for_user(user))

    def active(self) -> GenerationQuerySet:
        return self.exclude(state__in=TERMINAL_STATES)

    def matching(self, filters: Mapping[str, Any]) -> GenerationQuerySet:
        """These generations narrowed by the (cleaned) filters of the history and the
        gallery, newest first. Unknown or empty filters narrow nothing."""
        generations = self
        for word in (filters.get("q") or "").split()[:MAX_SEARCH_WORDS]:
            generations = generations.filter(prompt__icontains=word)
        for name in ("mode", "model", "state"):
            if filters.get(name):
                generations = generations.filter(**{name: filters[name]})
        subject = (filters.get("subject") or "").strip().lstrip("@")
        if subject:
            # The recorded mapping, or the prompt text for mentions that were refused.
            generations = generations.filter(
                models.Q(mentions__has_key=subject) | models.Q(prompt__icontains=f"@{subject}")
            )
        if filters.get("storyboard"):
            generations = generations.filter(
                storyboard_take__shot__storyboard_id=filters["storyboard"]
            )
        if filters.get("starred"):
            generations = generations.filter(review__starred=True)
        if filters.get("rating"):
            generations = generations.filter(review__rating__gte=filters["rating"])
        if filters.get("tag"):
            tag = "-".join(filters["tag"].lower().split())
            generations = generations.filter(review__tags_text__contains=f",{tag},")
        zone = timezone.get_current_timezone()
        if filters.get("since"):
            since = datetime.combine(filters["since"], time.min, tzinfo=zone)
            generations = generations.filter(created_at__gte=since)
        if filters.get("until"):
            end = datetime.combine(filters["until"], time.min, tzinfo=zone) + timedelta(days=1)
            generations = generations.filter(created_at__lt=end)
        return generations.order_by("-created_at", "-id")

    def due(self, now: timezone.datetime) -> GenerationQuerySet:
        """Generations with work to do now and no live lease held by another dispatcher."""
        return (
            self.active()
            .filter(next_action_at__lte=now)
            .filter(models.Q(lease_expires_at__isnull=True) | models.Q(lease_expires_at__lt=now))
        )

    def in_flight_for(self, connection_id: int) -> GenerationQuerySet:
        return self.filter(connection_id=connection_id, state__in=IN_FLIGHT_STATES)

    def callback_target(self, *, token: str, kind: str) -> Generation | None:
        """The generation a callback URL's token names, with what checking it needs:
        its state, registered callback URL and task id, and its connection's kind,
        address and (encrypted) key."""
        return (
            self.filter(callback_token=token, connection__kind=kind)
            .exclude(callback_url="")
            .select_related("connection")
            .only(
                "state",
                "callback_url",
                "provider_task_id",
                "connection__kind",
                "connection__base_url",
                "connection__api_key_ciphertext",
            )
            .first()
        )

    def mark_poked(self, generation_id: int, now: timezone.datetime) -> None:
        """Ask the dispatchers to look at this generation now, unless it is finished."""
        self.filter(pk=generation_id).exclude(state__in=TERMINAL_STATES).update(
            poke=True, next_action_at=now
        )

    def defer_poll(self, generation_id: int, until: timezone.datetime) -> None:
        """A signed callback shows the provider at work on this task: its next
        safety-net poll can wait until `until`.

        Only a generation waiting on the provider, not poked, not leased (the dispatcher
        plans its own next look on release) and due sooner. Callbacks for a running task
        keep coming, so the polls stay away while they do; once they stop (a final one
        lost) the poll comes within one interval of the last.
        """
        self.filter(
            pk=generation_id,
            poke=False,
            lease_expires_at__isnull=True,
            next_action_at__lt=until,
            state__in=TASK_STATES,
        ).update(next_action_at=until)


class Generation(models.Model):
    """One provider task, from the request to the files in our storage.

    Reproducible on its own: mode, model, every parameter, the prompt as written, the
    `@Name` → subject mapping and snapshots of the exact input images (GenerationInput),
    so editing or deleting a subject never changes history.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="generations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.PROTECT, related_name="generations"
    )
    mode = models.CharField(max_length=32, choices=Mode.choices)
    model = models.CharField(max_length=64)
    prompt = models.TextField()
    params = models.JSONField(default=dict, blank=True)
    # {"Name": {"subject_id": 12, "library_id": 3, "kind": "character"}} at request time.
    mentions = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    # Re-runs and variations point at the generation they came from.
    source = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="derived"
    )

    state = models.CharField(max_length=32, choices=State.choices, default=State.QUEUED)
    stalled = models.BooleanField(default=False)
    provider_task_id = models.CharField(max_length=128, blank=True, db_index=True)
    # Sent as Vidu's `payload` so a task whose create answer was lost can be found again.
    payload = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    callback_token = models.CharField(max_length=64, unique=True, default=new_callback_token)
    # The callback URL exactly as registered with the provider: signatures cover it.
    callback_url = models.CharField(max_length=500, blank=True)
    credits_estimate = models.PositiveIntegerField(default=0)
    credits = models.PositiveIntegerField(null=True, blank=True)
    cost = models.CharField(max_length=32, blank=True)
    err_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    # What the provider last answered when it was not plain news (an error, no route,
    # an unknown state), in words, or why the designer is asked to decide.
    provider_note = models.CharField(max_length=500, blank=True)
    # Since when the provider has given no usable answer to our polls (None: it answers).
    quiet_since = models.DateTimeField(null=True, blank=True)
    # Written just before a create goes out. A generation left submitting without it (its
    # dispatcher stopped first) provably sent nothing, and may be sent at once.
    sending_at = models.DateTimeField(null=True, blank=True)

    # The dispatcher's bookkeeping (DESIGN §4): when to look next, and who is looking.
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set by a callback: look again as soon as the current holder lets go.
    poke = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    download_attempts = models.PositiveSmallIntegerField(default=0)
    polls = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_mode_display()} · {self.model}"

    def get_absolute_url(self) -> str:
        return reverse("generations:detail", args=[self.project_id, self.pk])

    @property
    def endpoint(self) -> Endpoint:
        return Mode(self.mode).endpoint

    @property
    def is_video(self) -> bool:
        return Mode(self.mode).is_video

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def elapsed(self) -> timedelta:
        return (self.finished_at or timezone.now()) - self.created_at

    def expected_seconds(self) -> float:
        """About how long the provider takes to a result: the model's figure, or the
        built-in simulator's clock. The card's time estimate and the first poll use it."""
        if self.connection.is_builtin_simulator:
            if self.is_video:
                return float(settings.SIMULATOR_VIDEO_SECONDS)
            return float(settings.SIMULATOR_IMAGE_SECONDS)
        try:
            return float(capabilities.get_spec(self.endpoint, self.model).expected_seconds)
        except capabilities.UnknownModel:  # a pair staff enabled as an experiment
            return 60.0


class ProviderExchange(models.Model):
    """One request to the provider about a generation and its answer: the provider log.

    Keys are redacted, bodies cut at a few KB and data URIs shortened before they get
    here (providers.http.journal), so a designer or an admin can read what was said.
    """

    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="provider_log"
    )
    at = models.DateTimeField()
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.method} {self.url} → {self.status or self.error}"


class StateChange(models.Model):
    """One step of a generation's history, with its time (the state timeline)."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="history")
    state = models.CharField(max_length=32, choices=State.choices)
    at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.state} at {self.at:%H:%M:%S}"


def snapshot_path(instance: GenerationInput, filename: str) -> str:
    return snapshot_name(instance.sha256, instance.content_type)


EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4"}


def snapshot_name(sha256: str, content_type: str) -> str:
    """Content-addressed: the same image sent twice is stored once, and never changes."""
    return f"snapshots/{sha256[:2]}/{sha256}{EXTENSIONS.get(content_type, '')}"


class GenerationInput(models.Model):
    """An input image exactly as it was sent: an immutable, content-hashed snapshot."""

    class Role(models.TextChoices):
        IMAGE = "image", "Reference image"
        SUBJECT = "subject", "Subject image"
        START = "start", "Start frame"
        END = "end", "End frame"

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="inputs")
    role = models.CharField(max_length=16, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)
    subject_name = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to=snapshot_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.role} {self.position} of #{self.generation_id}"


def output_path(instance: GenerationOutput, filename: str) -> str:
    return f"outputs/{instance.generation.project_id}/{instance.generation_id}/{filename}"


class GenerationOutput(models.Model):
    """A result copied into our storage (provider URLs expire within hours)."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="outputs")
    index = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=output_path, max_length=255)
    thumbnail = models.FileField(upload_to=output_path, max_length=255, blank=True)
    poster = models.FileField(upload_to=output_path, max_length=255, blank=True)
    last_frame = models.FileField(upload_to=output_path, max_length=255, blank=True)
    content_type = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration = models.FloatField(null=True, blank=True)
    provider_creation_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="one_output_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.index} of #{self.generation_id}"


# --- Review (the live gallery: stars, ratings, tags and notes) ------------------------------


def normalize_tags(text: str) -> list[str]:
    """Free tags as typed ("Hero shot, night") → ["hero-shot", "night"], unique, in order."""
    tags: list[str] = []
    for raw in text.replace(";", ",").split(","):
        tag = "-".join(raw.strip().lower().split())[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:20]


class Review(models.Model):
    """What the team thinks of a generation; one per generation, made on first review.

    Tags are kept as ",tag,other," so "has this tag" is one indexed-friendly LIKE on
    every database (JSON containment is not portable to SQLite).
    """

    generation = models.OneToOneField(
        Generation, on_delete=models.CASCADE, primary_key=True, related_name="review"
    )
    starred = models.BooleanField(default=False, db_index=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    tags_text = models.CharField(max_length=1000, blank=True)
    notes = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="review_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"review of #{self.generation_id}"

    @property
    def tags(self) -> list[str]:
        return [tag for tag in self.tags_text.split(",") if tag]

    @tags.setter
    def tags(self, values: list[str]) -> None:
        self.tags_text = f",{','.join(values)}," if values else ""
