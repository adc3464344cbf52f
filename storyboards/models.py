"""Storyboards: an ordered list of shots; a shot's takes are generations, one the keeper."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from generations.models import TERMINAL_STATES, Generation, GenerationOutput, Mode, State

# The modes a shot is generated in; frame modes (image to video) come from "Animate"
# and "Continue from previous shot", which supply the start frame.
SHOT_MODES = (
    Mode.TEXT_TO_IMAGE,
    Mode.REFERENCE_TO_IMAGE,
    Mode.TEXT_TO_VIDEO,
    Mode.REFERENCE_TO_VIDEO,
)


class Storyboard(models.Model):
    """A project's ordered list of shots, with the defaults new shots start from."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="storyboards"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=120)
    notes = models.TextField(blank=True)
    mode = models.CharField(max_length=32, choices=Mode.choices, default=Mode.TEXT_TO_IMAGE)
    model = models.CharField(max_length=64, blank=True)
    aspect_ratio = models.CharField(max_length=16, blank=True, default="16:9")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("storyboards:detail", args=[self.project_id, self.pk])


class ShotStatus(models.TextChoices):
    EMPTY = "empty", "No takes"
    GENERATING = "generating", "Generating"
    ATTENTION = "attention", "Needs attention"
    READY = "ready", "Ready"
    KEPT = "kept", "Kept"
    FAILED = "failed", "Failed"


def is_running(generation: Generation) -> bool:
    """Whether the studio is still moving this generation on by itself: not finished, not
    waiting for the designer (needs attention), not given up on (stalled)."""
    return (
        generation.state not in TERMINAL_STATES
        and generation.state != State.NEEDS_ATTENTION
        and not generation.stalled
    )


class Shot(models.Model):
    """One shot: a prompt with @mentions, a mode, model and parameters, a duration for
    the animatic and notes for the contact sheet. `position` is 0..n-1 within its
    storyboard (services keep it so)."""

    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="shots")
    position = models.IntegerField()
    title = models.CharField(max_length=120, blank=True)
    prompt = models.TextField(blank=True)
    mode = models.CharField(max_length=32, choices=Mode.choices, default=Mode.TEXT_TO_IMAGE)
    model = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    duration = models.PositiveSmallIntegerField(default=4)
    notes = models.TextField(blank=True)
    keeper = models.ForeignKey(
        "Take", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["storyboard", "position"], name="shot_position_once")
        ]

    def __str__(self) -> str:
        return f"Shot {self.number} of {self.storyboard}"

    def get_absolute_url(self) -> str:
        return reverse("storyboards:shot", args=[self.storyboard.project_id, self.pk])

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def is_video(self) -> bool:
        return Mode(self.mode).is_video

    def takes_newest_first(self) -> list[Take]:
        """Prefetch `takes__generation` where many shots are shown."""
        return sorted(self.takes.all(), key=lambda take: take.pk, reverse=True)

    @property
    def keeper_take(self) -> Take | None:
        return next((take for take in self.takes.all() if take.pk == self.keeper_id), None)

    @property
    def keeper_output(self) -> GenerationOutput | None:
        """The keeper's first output (from prefetched takes where many shots are shown)."""
        take = self.keeper_take
        outputs = list(take.generation.outputs.all()) if take else []
        return outputs[0] if outputs else None

    @property
    def latest_take(self) -> Take | None:
        takes = self.takes_newest_first()
        return takes[0] if takes else None

    @property
    def cover(self) -> GenerationOutput | None:
        """The picture the board shows: the keeper's, else the newest ready take's."""
        if self.keeper_output is not None:
            return self.keeper_output
        for take in self.takes_newest_first():
            outputs = list(take.generation.outputs.all())
            if take.generation.state == State.READY and outputs:
                return outputs[0]
        return None

    @property
    def running_takes(self) -> int:
        """Takes the studio is still working on (the board polls while there are any)."""
        return sum(1 for take in self.takes.all() if is_running(take.generation))

    @property
    def status(self) -> str:
        """Derived from the takes: generating while any take runs (a kept shot may be
        trying more), else needs attention, kept, ready, failed, or empty."""
        takes = self.takes_newest_first()
        if not takes:
            return ShotStatus.EMPTY
        if self.running_takes:
            return ShotStatus.GENERATING
        states = {take.generation.state for take in takes}
        if any(take.generation.stalled for take in takes) or State.NEEDS_ATTENTION in states:
            return ShotStatus.ATTENTION
        if self.keeper_id:
            return ShotStatus.KEPT
        if State.READY in states:
            return ShotStatus.READY
        return ShotStatus.FAILED

    def get_status_display(self) -> str:
        return ShotStatus(self.status).label

    @property
    def credits(self) -> int:
        """Credits spent on the takes (the estimate until the provider says)."""
        return sum(take.credits for take in self.takes.all())


class Take(models.Model):
    """One generation made for a shot (generations/ knows nothing of storyboards)."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="takes")
    generation = models.OneToOneField(
        Generation, on_delete=models.CASCADE, related_name="storyboard_take"
    )
    # "Generate all" groups its takes, so the page shows one progress count.
    batch = models.ForeignKey(
        "Batch", on_delete=models.SET_NULL, null=True, blank=True, related_name="takes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"take #{self.generation_id} of {self.shot}"

    @property
    def is_image(self) -> bool:
        return not self.generation.is_video

    @property
    def credits(self) -> int:
        generation = self.generation
        return generation.credits if generation.credits is not None else generation.credits_estimate


class Batch(models.Model):
    """One "Generate all": the takes it queued, counted together."""

    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"batch {self.pk} of {self.storyboard}"

    def progress(self) -> tuple[int, int]:
        """(settled, total) takes of this batch: settled is finished, or waiting for the
        designer (needs attention, stalled), so the count reaches its total."""
        takes = self.takes.select_related("generation")
        running = sum(1 for take in takes if is_running(take.generation))
        return len(takes) - running, len(takes)

    @property
    def is_running(self) -> bool:
        done, total = self.progress()
        return done < total


def animatic_upload_to(render: AnimaticRender, filename: str) -> str:
    return f"animatics/{render.storyboard_id}/{filename}"


class AnimaticRender(models.Model):
    """One render of a storyboard's animatic, driven by `storyboards.renders`.

    The row is the job: a render loop leases it (like the dispatcher leases a
    generation), writes its progress as it goes, and saves the MP4 through the storage.
    A lease that runs out means the process died: the next loop renders it again.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to render"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.RENDERING)

    storyboard = models.ForeignKey(
        Storyboard, on_delete=models.CASCADE, related_name="animatic_renders"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error_message = models.TextField(blank=True)
    file = models.FileField(upload_to=animatic_upload_to, max_length=255, blank=True)
    # Renders started: a render whose process keeps dying is given up after a few.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One render of a storyboard at a time, whoever asks and however often.
            models.UniqueConstraint(
                fields=["storyboard"],
                condition=models.Q(state__in=["queued", "rendering"]),
                name="one_active_animatic_render",
            )
        ]

    def __str__(self) -> str:
        return f"animatic render {self.pk} of {self.storyboard}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES
