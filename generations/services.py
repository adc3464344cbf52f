"""Generation workflows: request, follow, finish. Each commits, then tells the browsers.

The dispatcher (generations/dispatcher.py) drives these; views call `request_generation`
and the actions. Provider calls happen outside database transactions.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from generations import realtime
from generations.models import (
    STATE_RANK,
    TERMINAL_STATES,
    Generation,
    GenerationInput,
    Mode,
    ProviderExchange,
    State,
    StateChange,
    snapshot_name,
)
from generations.wakeup import wake_dispatchers_sync
from projects import activity
from projects.models import Verb
from providers import capabilities, http
from providers.base import (
    CallbackRequest,
    GenerationRequest,
    ImageInput,
    ProviderError,
    SubjectInput,
    TaskState,
    TaskStatus,
)
from providers.models import ProviderConnection, remember_nonce
from providers.validation import FieldError, check_request

logger = logging.getLogger(__name__)

# Poll exchanges kept per generation in its provider log (creates are all kept).
LOG_KEEP_READS = 50

# How a provider's task state shows in the studio.
PROVIDER_STATES = {
    TaskState.CREATED: State.SUBMITTED,
    TaskState.QUEUEING: State.QUEUEING,
    TaskState.PROCESSING: State.PROCESSING,
    TaskState.SUCCESS: State.DOWNLOADING,
    TaskState.FAILED: State.FAILED,
}


class GenerationRejected(Exception):
    """The request breaks a model limit; nothing was created and nothing spent."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class InputImage:
    """An image to send, before it is snapshotted. `role` is a GenerationInput.Role."""

    role: str
    image: ImageInput
    subject_name: str = ""


# --- requesting ---------------------------------------------------------------------------


def build_request(
    *, mode: Mode, model: str, prompt: str, params: dict, inputs: Sequence[InputImage]
) -> GenerationRequest:
    """The provider-neutral request these inputs make (subjects grouped by name)."""
    images: list[ImageInput] = []
    subjects: dict[str, list[ImageInput]] = {}
    for item in inputs:
        if item.role == GenerationInput.Role.SUBJECT and mode == Mode.REFERENCE_TO_VIDEO:
            subjects.setdefault(item.subject_name, []).append(item.image)
        else:
            images.append(item.image)
    return GenerationRequest(
        endpoint=mode.endpoint,
        model=model,
        prompt=prompt,
        images=tuple(images),
        subjects=tuple(SubjectInput(name, tuple(imgs)) for name, imgs in subjects.items()),
        params=dict(params),
    )


def request_generation(
    *,
    project,
    user,
    connection,
    mode: Mode,
    model: str,
    prompt: str,
    params: dict,
    inputs: Sequence[InputImage] = (),
    mentions: dict | None = None,
    variations: int = 1,
    source: Generation | None = None,
) -> list[Generation]:
    """Validate against the model's limits, snapshot the inputs and queue the work.

    Raises GenerationRejected before anything is stored when a limit is broken.
    Returns one generation per variation; the dispatcher submits them.
    """
    mode = Mode(mode)
    request = build_request(mode=mode, model=model, prompt=prompt, params=params, inputs=inputs)
    errors = check_request(request)
    if not errors and not offered(connection, mode, model):
        errors = [
            FieldError(
                "model",
                f"{connection.name} does not offer {model} for {mode.label.lower()}; "
                "choose one of the models the composer lists for it.",
                "FieldInvalid",
            )
        ]
    if errors:
        raise GenerationRejected(errors)
    spec = capabilities.get_spec(mode.endpoint, model)
    estimate = capabilities.estimate_credits(spec, params)
    snapshots = [(item, _store_snapshot(item.image)) for item in inputs]
    now = timezone.now()
    created = []
    with transaction.atomic():
        for index in range(variations):
            generation = Generation.objects.create(
                project=project,
                created_by=user,
                connection=connection,
                mode=mode,
                model=model,
                prompt=prompt,
                params=_variation_params(params, index),
                mentions=mentions or {},
                source=source,
                credits_estimate=estimate,
                next_action_at=now,
            )
            GenerationInput.objects.bulk_create(
                GenerationInput(
                    generation=generation,
                    role=item.role,
                    position=position,
                    subject_name=item.subject_name,
                    file=name,
                    sha256=sha,
                    content_type=item.image.content_type,
                    width=item.image.width,
                    height=item.image.height,
                )
                for position, (item, (name, sha)) in enumerate(snapshots)
            )
            StateChange.objects.create(generation=generation, state=State.QUEUED, at=now)
            created.append(generation)
        activity.record(
            project=project,
            verb=Verb.GENERATED,
            summary=_generated_summary(mode, model, prompt, variations),
            link=created[0].get_absolute_url(),
            actor=user,
        )
        project_id = project.pk
        transaction.on_commit(lambda: _after_change(project_id, [g.pk for g in created], wake=True))
    return created


def _generated_summary(mode: Mode, model: str, prompt: str, variations: int) -> str:
    takes = f" ({variations} variations)" if variations > 1 else ""
    words = f": {prompt[:120]}" if prompt else ""
    return f"{mode.label} with {model}{takes}{words}"


def offered(connection, mode: Mode, model: str) -> bool:
    """Whether this connection sells `model` for `mode` (its documented catalog, plus
    the experiments staff enabled on it)."""
    mode = Mode(mode)
    without_images = mode == Mode.TEXT_TO_IMAGE
    return connection.offer_for(mode.endpoint, model, without_images=without_images) is not None


def _variation_params(params: dict, index: int) -> dict:
    # An explicit seed gives reproducible variations: seed, seed+1, ...; none (or 0)
    # lets the provider pick a fresh random seed for each.
    seed = params.get("seed")
    if seed and index:
        return {**params, "seed": int(seed) + index}
    return dict(params)


def _store_snapshot(image: ImageInput) -> tuple[str, str]:
    """Save the exact bytes under their hash (once), returning (storage name, sha256)."""
    sha = hashlib.sha256(image.data).hexdigest()
    name = snapshot_name(sha, image.content_type)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(image.data))
        if saved != name:  # another process saved the same content a moment ago
            default_storage.delete(saved)
    return name, sha


def provider_request(generation: Generation, *, callback_url: str | None) -> GenerationRequest:
    """The request to send for this generation, rebuilt from its snapshots."""
    inputs = [
        InputImage(
            role=item.role,
            subject_name=item.subject_name,
            image=ImageInput(
                data=_read(item.file.name),
                content_type=item.content_type,
                width=item.width,
                height=item.height,
            ),
        )
        for item in generation.inputs.all()
    ]
    request = build_request(
        mode=Mode(generation.mode),
        model=generation.model,
        prompt=generation.prompt,
        params=generation.params,
        inputs=inputs,
    )
    return GenerationRequest(
        endpoint=request.endpoint,
        model=request.model,
        prompt=request.prompt,
        images=request.images,
        subjects=request.subjects,
        params=request.params,
        payload=str(generation.payload),
        callback_url=callback_url,
    )


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


# --- following ------------------------------------------------------------------------------


def record_state(
    generation: Generation, state: State, *, detail: str = "", at=None, **fields
) -> None:
    """Move a locked generation to `state` (saving `fields` too) and log the step."""
    at = at or timezone.now()
    generation.state = state
    for name, value in fields.items():
        setattr(generation, name, value)
    if state in TERMINAL_STATES:
        generation.finished_at = at
        generation.next_action_at = None
    if state in TERMINAL_STATES or state == State.DOWNLOADING:
        generation.stalled = False  # it has an outcome: no longer stalled
    generation.save()
    add_history(generation, detail, at=at)
    project_id, pk = generation.project_id, generation.pk
    transaction.on_commit(lambda: _after_change(project_id, [pk]))


def apply_update(generation_id: int, status: TaskStatus, *, source: str = "poll") -> Generation:
    """Apply what a provider says about a task. Monotonic: never moves backwards.

    A late, duplicated or out-of-order update changes nothing; an unknown provider
    state is logged and ignored. Returns the generation as it now stands.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if status.state is None:
            logger.warning(
                "Generation %s: unknown provider state %r ignored", generation.pk, status.raw_state
            )
            return generation
        target = PROVIDER_STATES[status.state]
        if status.state is TaskState.FAILED and status.err_code == "UserCancelled":
            target = State.CANCELLED
        fields = _status_fields(generation, status)
        if STATE_RANK[target] <= STATE_RANK[State(generation.state)]:
            if fields:
                for name, value in fields.items():
                    setattr(generation, name, value)
                generation.save(update_fields=[*fields, "updated_at"])
            return generation
        if target == State.FAILED:
            fields["err_code"] = status.err_code or "failed"
            fields["error_message"] = status.message or "The provider reported a failure."
        fields["next_action_at"] = (
            timezone.now() if target == State.DOWNLOADING else (generation.next_action_at)
        )
        record_state(generation, target, detail=f"{source}: {status.raw_state}", **fields)
        return generation


def _status_fields(generation: Generation, status: TaskStatus) -> dict:
    fields = {}
    # A figure no account could spend is not one to store (the column is 32-bit).
    credits = status.credits if status.credits is not None and 0 <= status.credits < 2**31 else None
    if credits is not None and credits != generation.credits:
        fields["credits"] = credits
    if status.cost and status.cost != generation.cost:
        fields["cost"] = status.cost
    if status.seed and not generation.seed:
        fields["seed"] = status.seed
    return fields


def add_history(generation: Generation, detail: str, *, at=None) -> None:
    """A line in the generation's history at the state it is in now."""
    StateChange.objects.create(
        generation=generation, state=generation.state, at=at or timezone.now(), detail=detail[:500]
    )


def note(generation_id: int, text: str) -> None:
    """Say on the card what the provider last answered ("" clears it); no state moves."""
    with transaction.atomic():
        updated = Generation.objects.filter(pk=generation_id).exclude(provider_note=text[:500])
        if updated.update(provider_note=text[:500], updated_at=timezone.now()):
            push_after_commit(Generation.objects.get(pk=generation_id))


def push_after_commit(generation: Generation) -> None:
    """Show a changed card to the project's browsers once the change is committed."""
    project_id, pk = generation.project_id, generation.pk
    transaction.on_commit(lambda: _after_change(project_id, [pk]))


def log_exchanges(generation_id: int, entries: Sequence[http.Exchange]) -> None:
    """Keep what was said to the provider and what it answered (the provider log).

    Creates are kept for good; of the polls, the latest LOG_KEEP_READS, so a task
    followed for days does not grow its log without end.
    """
    ProviderExchange.objects.bulk_create(
        ProviderExchange(
            generation_id=generation_id,
            at=datetime.fromtimestamp(entry.at, tz=UTC),
            method=entry.method[:8],
            url=entry.url[:500],
            status=entry.status,
            duration_ms=max(0, entry.duration_ms),
            request_body=entry.request_body,
            response_body=entry.response_body,
            error=entry.error[:500],
        )
        for entry in entries
    )
    reads = ProviderExchange.objects.filter(generation_id=generation_id).exclude(method="POST")
    stale = list(reads.order_by("-at", "-id").values_list("id", flat=True)[LOG_KEEP_READS:])
    if stale:
        ProviderExchange.objects.filter(id__in=stale).delete()


def fail(generation_id: int, *, message: str, code: str = "studio") -> None:
    """End a generation as failed with a message a designer can act on."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.is_terminal:
            return
        record_state(generation, State.FAILED, detail=message, err_code=code, error_message=message)


def poll_delay(generation: Generation, *, first: bool) -> timedelta:
    """When to look at a running task next (DESIGN §3: polling is the safety net)."""
    simulator = generation.connection.is_builtin_simulator
    if first:
        floor = (
            settings.GENERATIONS_SIMULATOR_FIRST_POLL
            if simulator
            else settings.GENERATIONS_FIRST_POLL
        )
        seconds = max(floor, generation.expected_seconds())
    else:
        seconds = poll_interval(generation.connection)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def poll_interval(connection: ProviderConnection) -> float:
    """Seconds between safety-net polls of a running task (before jitter)."""
    if connection.is_builtin_simulator:
        return settings.GENERATIONS_SIMULATOR_POLL
    return settings.GENERATIONS_POLL_SECONDS


def callback_url_for(generation: Generation) -> str | None:
    """The per-generation callback URL, or None when the provider cannot reach us."""
    base = settings.STUDIO_PUBLIC_BASE_URL
    connection = generation.connection
    if not base or not connection.callbacks_enabled or not connection.verifiable_callbacks:
        return None
    return f"{base.rstrip('/')}/callbacks/{connection.kind}/{generation.callback_token}/"


# --- telling the browsers -----------------------------------------------------------------


def _after_change(project_id: int, generation_ids: list[int], *, wake: bool = False) -> None:
    """After commit: push the cards to the project's browsers, and wake a dispatcher for
    new work. Each card is rendered once here, not once per open socket."""
    try:
        realtime.broadcast(project_id, generation_ids, new=wake)
    except Exception:  # pushes are at-most-once; the page re-syncs on reconnect
        logger.warning("Could not push generation changes", exc_info=True)
    if wake:
        wake_dispatchers_sync()


def poke(generation_id: int) -> None:
    """A provider says something changed: look at this generation now (after commit)."""
    with transaction.atomic(savepoint=False):
        Generation.objects.mark_poked(generation_id, timezone.now())
        transaction.on_commit(wake_dispatchers_sync)


def receive_callback(
    *, kind: str, token: str, method: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, dict]:
    """Check a provider callback's signature and nonce, then ask for a look at once.

    Returns (HTTP status, JSON answer). The body is only a hint (it is not signed): the
    dispatcher re-reads the task from the provider before acting, so a forged body can
    neither move a generation nor make us download anything. No provider is called
    here, so the answer is quick.
    """
    target = Generation.objects.callback_target(token=token, kind=kind)
    if target is None:
        return 404, {"error": "Unknown callback."}
    # parse_callback makes no HTTP call, so the dialect needs no client here.
    dialect = target.connection.dialect(client=None)
    callback = CallbackRequest(method=method, headers=headers, body=body)
    # The nonce and the poke commit together: one write transaction per callback.
    with transaction.atomic():
        try:
            status = dialect.parse_callback(
                callback,
                callback_url=target.callback_url,
                now=time.time(),
                seen_nonce=remember_nonce,
            )
        except ProviderError as error:
            logger.warning("Callback for generation %s refused: %s", target.pk, error.message)
            return 401, {"error": error.message}
        if status.task_id and target.provider_task_id and status.task_id != target.provider_task_id:
            return 400, {"error": "This callback is about another task."}
        if _could_move(State(target.state), status):
            poke(target.pk)
        else:
            interval = poll_interval(target.connection)
            Generation.objects.defer_poll(target.pk, timezone.now() + timedelta(seconds=interval))
    return 200, {"ok": True}


def _could_move(state: State, hint: TaskStatus) -> bool:
    """Whether a callback's (unsigned) body hints at a step beyond `state`.

    States only move forward, so a hint at the state we have or an earlier one (a
    repeat, a late arrival) cannot teach the re-read anything: it is answered without
    waking the dispatcher, and it puts the next safety-net poll off by an interval: the
    provider is plainly at work on the task. Anything else, an unknown state included, is
    looked at. If a body understated the news, the next poll still finds it.
    """
    if hint.state is None:
        return True
    return STATE_RANK[PROVIDER_STATES[hint.state]] > STATE_RANK[state]
