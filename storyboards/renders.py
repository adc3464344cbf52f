"""Rendering animatics as durable jobs, driven like generations (DESIGN §4).

"Animatic" queues an `AnimaticRender` row; a render loop (in the web process, started by
the ASGI lifespan, or `manage.py renders`) leases the oldest due one, renders it in a
worker thread into a temporary file, and saves the MP4 through the storage. Progress
goes into the row as frames are written, and each write renews the lease. A process that
dies lets its lease run out, and the next loop renders that animatic again from scratch;
one whose process keeps dying is given up after MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from storyboards import animatic
from storyboards.export import keeper_shots
from storyboards.models import AnimaticRender, Storyboard

logger = logging.getLogger(__name__)

State = AnimaticRender.State
# A render renews its lease whenever it writes progress, and at least this often.
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 3
# How long an idle loop waits before looking for work again.
IDLE_SECONDS = 1.0


class RenderError(Exception):
    """A render that cannot succeed; the message is shown to the designer."""


class LeaseLost(Exception):
    """Another process took the render over (ours was thought dead): stop quietly."""


class Interrupted(Exception):
    """The loop is stopping: hand the render back for the next loop to start again."""


def latest(storyboard: Storyboard) -> AnimaticRender | None:
    """The storyboard's newest render, the one its page shows."""
    return storyboard.animatic_renders.first()


def request_render(*, storyboard: Storyboard, user: Any) -> AnimaticRender:
    """Queue a render of the storyboard, or return the one already queued or running."""
    active = storyboard.animatic_renders.filter(state__in=AnimaticRender.ACTIVE_STATES)
    try:
        with transaction.atomic():
            if (found := active.first()) is not None:
                return found
            return AnimaticRender.objects.create(storyboard=storyboard, requested_by=user)
    except IntegrityError:  # another request queued one at the same moment
        return active.first() or storyboard.animatic_renders.first()


def claim(owner: str) -> AnimaticRender | None:
    """Lease the oldest render that is queued or whose renderer died; None if none is.

    PostgreSQL: SKIP LOCKED lets several loops claim side by side. SQLite: the
    IMMEDIATE transaction serialises claims.
    """
    while True:
        now = timezone.now()
        with transaction.atomic():
            due = AnimaticRender.objects.filter(
                Q(state=State.QUEUED) | Q(state=State.RENDERING, lease_expires_at__lt=now)
            ).order_by("created_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            job = due.first()
            if job is None:
                return None
            if job.state == State.RENDERING and job.attempts >= MAX_ATTEMPTS:
                _finish(
                    job.pk,
                    job.lease_owner,
                    state=State.FAILED,
                    error_message=(
                        f"The render stopped {job.attempts} times before it finished "
                        "(the process rendering it ended)."
                    ),
                )
                continue
            AnimaticRender.objects.filter(pk=job.pk).update(
                state=State.RENDERING,
                progress=0,
                attempts=F("attempts") + 1,
                lease_owner=owner,
                lease_expires_at=now + LEASE,
                started_at=now,
            )
        job.refresh_from_db()
        return job


def render(job: AnimaticRender, owner: str, *, stop: threading.Event | None = None) -> None:
    """Render a claimed job from scratch and record the outcome (ready or failed, why)."""
    try:
        items = keeper_shots(job.storyboard)
        if not sum(round(shot.duration * animatic.FPS) for shot, _output in items):
            raise RenderError("The storyboard has no shots to put in an animatic.")
        with tempfile.TemporaryDirectory(prefix="animatic-") as folder:
            path = Path(folder) / "animatic.mp4"
            animatic.write_animatic(items, path, progress=_Heartbeat(job.pk, owner, stop))
            with path.open("rb") as video:
                job.file.save(f"animatic-{job.pk}.mp4", File(video), save=False)
            name = job.file.name
    except LeaseLost:
        logger.warning("Animatic render %s was taken over by another renderer", job.pk)
    except Interrupted:
        AnimaticRender.objects.filter(pk=job.pk, lease_owner=owner).update(
            state=State.QUEUED,
            progress=0,
            attempts=F("attempts") - 1,
            lease_owner="",
            lease_expires_at=None,
        )
    except RenderError as error:
        _finish(job.pk, owner, state=State.FAILED, error_message=str(error))
    except Exception as error:
        logger.exception("Animatic render %s failed", job.pk)
        reason = f"Rendering stopped with an error: {error}"[:500]
        _finish(job.pk, owner, state=State.FAILED, error_message=reason)
    else:
        if not _finish(job.pk, owner, state=State.READY, progress=100, file=name):
            default_storage.delete(name)  # taken over meanwhile: the other render wins
            return
        _forget_older(job)


def _finish(job_id: int, owner: str, **fields: Any) -> bool:
    """Record the outcome if we still hold the job; False if someone else does."""
    updated = AnimaticRender.objects.filter(pk=job_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None, finished_at=timezone.now(), **fields
    )
    return bool(updated)


def _forget_older(job: AnimaticRender) -> None:
    """Only the newest finished animatic is kept: older renders go, files and all."""
    older = AnimaticRender.objects.filter(storyboard_id=job.storyboard_id, pk__lt=job.pk).exclude(
        state__in=AnimaticRender.ACTIVE_STATES
    )
    for render_row in older:
        if render_row.file:
            default_storage.delete(render_row.file.name)
        render_row.delete()


class _Heartbeat:
    """The progress callback: writes the percentage (renewing the lease) as it changes."""

    def __init__(self, job_id: int, owner: str, stop: threading.Event | None) -> None:
        self.job_id, self.owner, self.stop = job_id, owner, stop
        self.percent = 0
        self.written_at = time.monotonic()

    def __call__(self, done: float) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Interrupted
        # 100 means "saved", which only the finished render writes.
        percent = min(99, int(done * 100))
        renew = time.monotonic() - self.written_at > LEASE.total_seconds() / 3
        if percent == self.percent and not renew:
            return
        updated = AnimaticRender.objects.filter(
            pk=self.job_id, lease_owner=self.owner, state=State.RENDERING
        ).update(progress=percent, lease_expires_at=timezone.now() + LEASE)
        if not updated:
            raise LeaseLost
        self.percent, self.written_at = percent, time.monotonic()


def _render_in_thread(job: AnimaticRender, owner: str, stop: threading.Event) -> None:
    try:
        render(job, owner, stop=stop)
    finally:
        connection.close()  # this worker thread's own connection


async def run() -> None:
    """Entry point for STUDIO_BACKGROUND_TASKS and `manage.py renders`: render due
    animatics one at a time (each takes a core for a while)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    while True:
        job = await sync_to_async(claim)(owner)
        if job is None:
            await asyncio.sleep(IDLE_SECONDS)
            continue
        stop = threading.Event()
        try:
            # Its own thread: the shared sync thread stays free for the other loops.
            await asyncio.to_thread(_render_in_thread, job, owner, stop)
        except asyncio.CancelledError:
            stop.set()  # the render hands the job back at its next progress write
            raise
