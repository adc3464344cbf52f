"""The dispatcher: drives every generation forward (DESIGN §4).

Submits queued generations within each connection's concurrency limit, polls due ones,
downloads finished ones and takes over work whose lease expired. All of its state is in
the database (`next_action_at` and a lease per generation), so any number of
dispatchers can run: inside the web process (the ASGI lifespan starts `run`) or as
`manage.py dispatcher` processes. Every step is idempotent, so a killed process loses
nothing: its leases expire and another dispatcher carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from generations import downloads, services
from generations.models import TASK_STATES, TERMINAL_STATES, Generation, State
from generations.wakeup import listen
from providers import capabilities, http
from providers.base import ProviderError, TaskLookup, TaskStatus
from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

ACTIVE_STATES = [state for state in State if state not in TERMINAL_STATES]
# A stalled generation is still followed, only less often (DESIGN §3).
STALLED_POLL_FACTOR = 4
# Vidu keeps off-peak tasks queued for up to 48 h before cancelling them (vidu-api.md §3).
OFF_PEAK_SECONDS = 48 * 3600
# A provider that gives no usable answer is asked less and less often, down to this.
MAX_POLL_BACKOFF = 600.0
# The provider's task list is searched from this long before the create went out.
LOOKUP_SLACK = timedelta(minutes=5)


def claim_due(owner: str, *, limit: int) -> list[int]:
    """Lease up to `limit` generations with work due now; returns their ids.

    PostgreSQL: SKIP LOCKED lets several dispatchers claim side by side. SQLite: the
    IMMEDIATE transaction serialises claims, which is all one file needs.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.GENERATIONS_LEASE_SECONDS)
    with transaction.atomic():
        due = Generation.objects.due(now).order_by("next_action_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            Generation.objects.filter(id__in=ids).update(
                lease_owner=owner, lease_expires_at=lease, poke=False
            )
    return ids


def release(generation_id: int, owner: str, *, next_in: timedelta | None) -> None:
    """Give the lease back, saying when to look again (None: nothing more to do).

    A callback that arrived while we held the lease (`poke`) makes it "now".
    """
    now = timezone.now()
    planned = (now + next_in) if next_in is not None else None
    Generation.objects.filter(pk=generation_id, lease_owner=owner).update(
        lease_owner="",
        lease_expires_at=None,
        next_action_at=Case(
            When(poke=True, state__in=ACTIVE_STATES, then=Value(now)), default=Value(planned)
        ),
        poke=False,
    )


class Dispatcher:
    def __init__(self, *, client: httpx.AsyncClient | None = None) -> None:
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.client = client
        self.wake = asyncio.Event()

    async def run_forever(self) -> None:
        listener = asyncio.create_task(listen(self.wake))
        own_client = self.client is None
        self.client = self.client or http.make_client()
        try:
            while True:
                # Cleared before the claim, so a wake-up that comes during it still counts.
                self.wake.clear()
                worked = await self.tick()
                if not worked:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), settings.GENERATIONS_TICK_SECONDS)
        finally:
            listener.cancel()
            if own_client:
                await self.client.aclose()

    async def tick(self) -> int:
        """Claim what is due and work on it concurrently; returns how many were claimed."""
        ids = await sync_to_async(claim_due)(self.owner, limit=settings.GENERATIONS_BATCH)
        if ids:
            await asyncio.gather(*(self.step(pk) for pk in ids))
        return len(ids)

    async def step(self, generation_id: int) -> None:
        next_in: timedelta | None = None
        # Every request this step makes goes into the generation's provider log.
        with http.journal() as journal:
            try:
                next_in = await self._step(generation_id)
            except Exception:
                logger.exception(
                    "Generation %s: dispatcher step failed; retrying soon", generation_id
                )
                next_in = timedelta(seconds=10)
            finally:
                if journal.entries:
                    await sync_to_async(services.log_exchanges)(generation_id, journal.entries)
                await sync_to_async(release)(generation_id, self.owner, next_in=next_in)

    async def _step(self, generation_id: int) -> timedelta | None:
        generation = await sync_to_async(_load)(generation_id)
        if generation is None or generation.is_terminal:
            return None
        state = State(generation.state)
        if state == State.NEEDS_ATTENTION:
            return None  # the designer decides
        if state == State.QUEUED:
            return await self.submit(generation)
        if state == State.SUBMITTING and generation.sending_at is None:
            return await sync_to_async(_requeue_unsent)(generation)
        if state in (State.SUBMITTING, State.SUBMISSION_UNKNOWN):
            # SUBMITTING with an expired lease: a dispatcher died mid-create, so the
            # task may exist. Never send it again blindly: look it up instead.
            return await self.reconcile(generation)
        if state == State.DOWNLOADING:
            return await downloads.download_outputs(generation, client=self.client)
        return await self.poll(generation)

    async def submit(self, generation: Generation) -> timedelta | None:
        if not await sync_to_async(_take_slot)(generation):
            return timedelta(seconds=settings.GENERATIONS_SLOT_WAIT_SECONDS)
        dialect = generation.connection.dialect(self.client)
        request = await sync_to_async(services.provider_request)(
            generation, callback_url=generation.callback_url or None
        )
        # Committed before the request leaves: without it, a restart knows nothing was sent.
        if not await sync_to_async(_mark_sending)(generation, self.owner):
            # The lease ran out meanwhile: nothing is sent. If no one has claimed the work
            # yet, the lease is still in our name and release makes it due at once (the
            # next look queues it again); if another has, release leaves it to them.
            return timedelta(0)
        try:
            status = await dialect.submit(request)
        except ProviderError as error:
            return await sync_to_async(_submit_failed)(generation, error)
        if not await sync_to_async(_submitted)(generation, status):
            return timedelta(0)  # moved on meanwhile: the next look sees where it stands
        return await sync_to_async(services.poll_delay)(generation, first=True)

    async def reconcile(self, generation: Generation) -> timedelta | None:
        """Find the task of a create whose answer was lost, by documented means only.

        Found: it goes on as if the answer had arrived. Not found, or no way to look:
        the designer is asked (never a second create on our own, DESIGN §0).
        """
        dialect = generation.connection.dialect(self.client)
        lookup = await sync_to_async(_lookup_for)(generation)
        try:
            status = await dialect.find_task(lookup)
        except ProviderError as error:
            return await sync_to_async(_lookup_failed)(generation, error)
        if status is None:
            return await sync_to_async(_not_found_after_submit)(generation)
        if not await sync_to_async(_submitted)(generation, status, found=True):
            return timedelta(0)  # moved on meanwhile: the next look sees where it stands
        return await sync_to_async(services.poll_delay)(generation, first=False)

    async def poll(self, generation: Generation) -> timedelta | None:
        dialect = generation.connection.dialect(self.client)
        try:
            status = await dialect.fetch(generation.provider_task_id, endpoint=generation.endpoint)
        except ProviderError as error:
            return await sync_to_async(_poll_failed)(generation, error)
        updated = await sync_to_async(services.apply_update)(generation.pk, status)
        await sync_to_async(_answered)(updated, status)
        if updated.state == State.DOWNLOADING:
            return timedelta(0)
        if updated.is_terminal:
            return None
        delay = await sync_to_async(services.poll_delay)(updated, first=False)
        if await sync_to_async(_check_stalled)(updated):
            delay *= STALLED_POLL_FACTOR
        return delay


def _load(generation_id: int) -> Generation | None:
    close_old_connections()
    return Generation.objects.select_related("connection").filter(pk=generation_id).first()


def _take_slot(generation: Generation) -> bool:
    """Mark SUBMITTING if the connection has a free slot (its concurrency limit)."""
    with transaction.atomic():
        # Dispatchers on PostgreSQL take slots one at a time per connection, or two could
        # both count a free slot; SQLite's IMMEDIATE transaction already serialises this.
        ProviderConnection.objects.select_for_update().filter(pk=generation.connection_id).first()
        busy = Generation.objects.in_flight_for(generation.connection_id).exclude(pk=generation.pk)
        if busy.count() >= generation.connection.concurrency_limit:
            return False
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state != State.QUEUED:
            return False
        services.record_state(
            locked,
            State.SUBMITTING,
            sending_at=None,
            attempts=locked.attempts + 1,
            callback_url=services.callback_url_for(locked) or "",
        )
        generation.callback_url = locked.callback_url
        generation.attempts = locked.attempts
    return True


def _mark_sending(generation: Generation, owner: str) -> bool:
    """Note that the create is leaving, if this dispatcher still holds the work.

    A dispatcher slower than its lease (a stalled process, a long request to build) may
    find that another has claimed the generation and, seeing no `sending_at`, queued it
    again: sending now would make a second task. The claim moved `lease_owner`, so the
    update finds no row and nothing is sent; so does one whose lease has run out, even
    if no one has claimed the work yet. Sending renews the lease."""
    now = timezone.now()
    return bool(
        Generation.objects.filter(
            pk=generation.pk,
            lease_owner=owner,
            lease_expires_at__gt=now,
            state=State.SUBMITTING,
            sending_at__isnull=True,
        ).update(
            sending_at=now,
            # The create's own time, then its answer's: the lease outlives them.
            lease_expires_at=now + timedelta(seconds=settings.GENERATIONS_LEASE_SECONDS),
        )
    )


def _requeue_unsent(generation: Generation) -> timedelta:
    """A dispatcher marked this submitting and stopped before its create went out (no
    `sending_at`): nothing reached the provider, so it is queued again."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state == State.SUBMITTING and locked.sending_at is None:
            services.record_state(
                locked, State.QUEUED, detail="its create was never sent; queued again"
            )
    return timedelta(0)


# Where a create's answer may still land: the create is out, or the designer was asked
# about it (a late answer settles the question). Anywhere else the generation has moved
# on without this dispatcher (another took it over, the designer ended it).
AWAITING_CREATE = (State.SUBMITTING, State.SUBMISSION_UNKNOWN, State.NEEDS_ATTENTION)


def _submitted(generation: Generation, status: TaskStatus, *, found: bool = False) -> bool:
    """Record the task a create made; False if the generation has moved on meanwhile
    (this dispatcher outlived its lease and another found the task and finished it, the
    designer ended it or sent a new create): an answer arriving late must not move it
    back or stand in for another create's. The task id goes into its history, since it
    may be a task that was paid for."""
    detail = f"task {status.task_id}"
    if found:
        detail = f"task {status.task_id}, found in the provider's task list by its payload"
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state not in AWAITING_CREATE or locked.payload != generation.payload:
            if status.task_id != locked.provider_task_id:  # not the task it already follows
                logger.warning(
                    "Generation %s: the answer naming task %s came when it was %s; left as is",
                    generation.pk,
                    status.task_id,
                    locked.state,
                )
                services.add_history(
                    locked,
                    f"an earlier create's answer came late, naming task {status.task_id}; "
                    "left as it is",
                )
            return False
        services.record_state(
            locked,
            State.SUBMITTED,
            detail=detail,
            provider_task_id=status.task_id,
            submitted_at=timezone.now(),
            provider_note="",
            # Looked at now, whoever holds the lease: one asked about (no lease, no
            # planned look) would otherwise wait for a callback that may never come.
            next_action_at=timezone.now(),
        )
    services.apply_update(generation.pk, status, source="submit")
    return True


def _submit_failed(generation: Generation, error: ProviderError) -> timedelta | None:
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state != State.SUBMITTING or locked.payload != generation.payload:
            # Moved on without this dispatcher (see _submitted): the next look sees where.
            return timedelta(0)
        if error.submission_unknown:
            services.record_state(
                locked, State.SUBMISSION_UNKNOWN, detail=error.message, provider_note=error.message
            )
            return timedelta(seconds=settings.GENERATIONS_RECONCILE_SECONDS)
        if error.permanent or locked.attempts >= settings.GENERATIONS_SUBMIT_ATTEMPTS:
            message = error.message[:1].upper() + error.message[1:]
            if not error.permanent:
                message = f"{message} (tried {locked.attempts} times). Try again later."
            services.fail(locked.pk, message=message, code=error.code or "SubmitFailed")
            return None
        # The provider said no before creating anything (busy), or was never reached (the
        # connection did not open): it is safe to queue the same request again. The only
        # move back down the states the dispatcher makes on its own.
        services.record_state(locked, State.QUEUED, detail=f"will retry: {error.message}")
    delay = error.retry_after or min(60, 5 * 2 ** (locked.attempts - 1))
    return timedelta(seconds=delay)


def _lookup_for(generation: Generation) -> TaskLookup:
    """What the provider's task list is searched with: our payload, the model and the
    prompt, since a little before the create went out (clocks differ)."""
    sent = (
        generation.history.filter(state=State.SUBMITTING)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    ) or generation.created_at
    return TaskLookup(
        payload=str(generation.payload),
        endpoint=generation.endpoint,
        model=generation.model,
        prompt=generation.prompt,
        since=(sent - LOOKUP_SLACK).timestamp(),
    )


def _unknown_since(generation: Generation) -> timedelta:
    """How long ago the submission became unknown (or the create went out)."""
    last = (
        generation.history.filter(state__in=[State.SUBMITTING, State.SUBMISSION_UNKNOWN])
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return timezone.now() - (last or generation.updated_at)


def _lookup_failed(generation: Generation, error: ProviderError) -> timedelta | None:
    """The look-up itself failed: no documented way (ask now) or a passing error (retry
    until the reconcile deadline, then ask)."""
    label = generation.connection.get_kind_display()
    if error.permanent:
        _needs_attention(generation, f"{label} cannot be asked about it: {error.message}.")
        return None
    if _unknown_since(generation) > timedelta(
        seconds=settings.GENERATIONS_RECONCILE_DEADLINE_SECONDS
    ):
        _needs_attention(
            generation, f"Looking the task up in {label}'s task list kept failing: {error.message}."
        )
        return None
    services.note(generation.pk, f"Looking the task up: {error.message}")
    return timedelta(seconds=error.retry_after or settings.GENERATIONS_RECONCILE_SECONDS * 3)


def _not_found_after_submit(generation: Generation) -> timedelta | None:
    """The provider's own task list has no task with our payload.

    A create still in flight may yet appear, so wait a grace period. After that the
    task was most likely never made, but a list is not proof: the designer decides
    whether to send it again (DESIGN §0).
    """
    if _unknown_since(generation) < timedelta(seconds=settings.GENERATIONS_RECONCILE_GRACE_SECONDS):
        return timedelta(seconds=settings.GENERATIONS_RECONCILE_SECONDS)
    label = generation.connection.get_kind_display()
    _needs_attention(
        generation,
        f"{label}'s task list shows no task for this request, so it was probably not "
        "created; submit it again if you still want it.",
    )
    return None


def _needs_attention(generation: Generation, reason: str) -> None:
    """Stop and ask the designer: Check again / Submit again / Mark failed."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state not in (State.SUBMITTING, State.SUBMISSION_UNKNOWN):
            return
        lost = locked.provider_note or "The create was sent but its answer was lost"
        message = f"{lost.rstrip('.')}. {reason}"
        services.record_state(
            locked,
            State.NEEDS_ATTENTION,
            detail=reason,
            provider_note=message[:500],
            next_action_at=None,
        )


def _answered(generation: Generation, status: TaskStatus) -> None:
    """A poll got an answer: count it, and say so where the provider said something
    the studio could not use (an unknown state)."""
    note = ""
    if status.state is None:
        note = f"The provider answered a state the studio does not know: {status.raw_state!r}"
    Generation.objects.filter(pk=generation.pk).update(polls=generation.polls + 1)
    if generation.quiet_since or generation.provider_note != note:
        Generation.objects.filter(pk=generation.pk).update(quiet_since=None)
        if not generation.is_terminal:
            services.note(generation.pk, note)


def _poll_failed(generation: Generation, error: ProviderError) -> timedelta | None:
    """A poll got no usable answer. Only a documented "no such task" ends the task, and
    only once the provider has had time to list it; anything else (an unknown route, a
    bare 404, a 5xx, a timeout, a refused key) keeps the task id and keeps looking, less
    and less often, until the deadline; then the generation shows stalled, with Check
    again, and nothing more is spent on it."""
    now = timezone.now()
    submitted = generation.submitted_at or generation.created_at
    if error.task_missing and now - submitted > timedelta(
        seconds=settings.GENERATIONS_NOT_FOUND_GRACE_SECONDS
    ):
        services.fail(
            generation.pk,
            message=f"{error.message}: the provider says it has no such task",
            code=error.code or "TaskNotFound",
        )
        return None
    note = f"Last answer at {timezone.localtime(now):%H:%M:%S}: {error.message}"
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state not in TASK_STATES:
            return None
        quiet_since = locked.quiet_since or now
        repeated = locked.provider_note.partition(": ")[2] == error.message
        locked.polls += 1
        if now - submitted >= stall_after(locked):
            services.record_state(
                locked,
                State(locked.state),
                detail=f"stalled: no usable answer from the provider ({error.message}); "
                "stopped looking, Check again to look once more",
                stalled=True,
                quiet_since=quiet_since,
                provider_note=note[:500],
            )
            return None
        if repeated:
            locked.quiet_since = quiet_since
            locked.provider_note = note[:500]
            locked.save(update_fields=["quiet_since", "provider_note", "polls", "updated_at"])
            services.push_after_commit(locked)
        else:
            services.record_state(
                locked,
                State(locked.state),
                detail=f"poll: {error.message}"[:500],
                quiet_since=quiet_since,
                provider_note=note[:500],
            )
    interval = services.poll_interval(generation.connection)
    backoff = min(max(interval, (now - quiet_since).total_seconds()), MAX_POLL_BACKOFF)
    return timedelta(seconds=max(backoff, error.retry_after or 0))


def stall_after(generation: Generation) -> timedelta:
    """How long after submission a generation without a result shows as stalled.

    GENERATIONS_STALL_SECONDS when set, else ten times the model's expected time (at
    least half an hour); never less than 48 h for off-peak tasks, which Vidu may keep
    queued that long.
    """
    seconds = settings.GENERATIONS_STALL_SECONDS
    if not seconds:
        spec = capabilities.get_spec(generation.endpoint, generation.model)
        seconds = max(10 * spec.expected_seconds, 1800)
    if generation.params.get("off_peak"):
        seconds = max(seconds, OFF_PEAK_SECONDS)
    return timedelta(seconds=seconds)


def _check_stalled(generation: Generation) -> bool:
    """Mark a generation stalled once past its deadline (once); True while it is."""
    if generation.stalled:
        return True
    started = generation.submitted_at or generation.created_at
    waited = timezone.now() - started
    if waited < stall_after(generation):
        return False
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.is_terminal or locked.state == State.DOWNLOADING:
            return False
        if not locked.stalled:
            services.record_state(
                locked,
                State(locked.state),
                detail=f"stalled: no result {_duration(waited)} after submitting; "
                "still checking, less often",
                stalled=True,
            )
    return True


def _duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def _count_poll(generation: Generation) -> None:
    Generation.objects.filter(pk=generation.pk).update(polls=generation.polls + 1)


async def run() -> None:
    """Entry point for STUDIO_BACKGROUND_TASKS and `manage.py dispatcher`."""
    await Dispatcher().run_forever()
