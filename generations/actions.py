"""What a designer can do with a generation: cancel, retry, re-run, vary, delete.

Retries, re-runs and variations are new generations built from the original's
snapshots (its GenerationInput files), never from the subjects as they are now, so
history stays reproducible after a subject changes. Each new one points at the
original through `source`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from generations import services
from generations.composer import read_image
from generations.models import TASK_STATES, Generation, GenerationInput, Mode, State
from generations.services import InputImage, request_generation
from generations.wakeup import wake_dispatchers_sync
from providers import http
from providers.base import ProviderError
from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

# Before a task id exists the provider has nothing to cancel; while the create call is
# out we cannot know whether it will exist, so cancelling must wait for the answer.
LOCAL_CANCEL_STATES = frozenset({State.QUEUED})
PROVIDER_CANCEL_STATES = TASK_STATES


class ActionRefused(Exception):
    """The action cannot be done now; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def can_cancel(generation: Generation) -> bool:
    return generation.state in LOCAL_CANCEL_STATES | PROVIDER_CANCEL_STATES


def cancel_generation(*, generation: Generation) -> Generation:
    """Cancel a generation that has not finished. Raises ActionRefused if it cannot be.

    A queued one is cancelled here; a running one is cancelled at the provider first,
    and if the provider refuses, its message is passed on and nothing changes.
    """
    state = State(generation.state)
    if state in PROVIDER_CANCEL_STATES and generation.provider_task_id:
        try:
            async_to_sync(_cancel_at_provider)(generation.connection, generation.provider_task_id)
        except ProviderError as error:
            raise ActionRefused(f"The provider would not cancel it: {error.message}") from None
    elif state not in LOCAL_CANCEL_STATES:
        raise ActionRefused(_not_cancellable(state))
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.is_terminal:
            return locked
        if locked.state not in LOCAL_CANCEL_STATES | PROVIDER_CANCEL_STATES:
            # The dispatcher picked it up meanwhile (it is being sent right now).
            raise ActionRefused(_not_cancellable(State(locked.state)))
        services.record_state(
            locked,
            State.CANCELLED,
            detail="cancelled in the studio",
            err_code="UserCancelled",
            error_message="Cancelled by the user.",
        )
    return locked


async def _cancel_at_provider(connection: ProviderConnection, task_id: str) -> None:
    async with http.make_client() as client:
        await connection.dialect(client).cancel(task_id)


def _not_cancellable(state: State) -> str:
    if state in (State.SUBMITTING, State.SUBMISSION_UNKNOWN):
        return "It is being sent to the provider right now; try again in a moment."
    if state == State.NEEDS_ATTENTION:
        return "The provider may have it, under an id we never heard: mark it failed instead."
    if state == State.DOWNLOADING:
        return "It has already finished; the result is being saved."
    return f"It has already ended ({State(state).label.lower()})."


# --- a task the provider may have: the designer decides ------------------------------------


def _look_now() -> dict[str, Any]:
    """Due now; `poke` so that a dispatcher still holding the lease from its last step
    keeps this when it lets go (its release would otherwise plan its own next look)."""
    return {"next_action_at": timezone.now(), "poke": True}


def can_check_again(generation: Generation) -> bool:
    """A submission that may exist, or a task the provider stopped answering about."""
    return generation.state == State.NEEDS_ATTENTION or (
        generation.state in TASK_STATES and generation.stalled
    )


def _who(user: Any) -> str:
    return getattr(user, "username", "") or "a designer"


def check_again(*, generation: Generation, user: Any) -> Generation:
    """Look once more: the task list for an unknown submission, the task for a stalled
    one. Nothing is sent that could be charged."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if not can_check_again(locked):
            raise ActionRefused("There is nothing to check: it is not waiting for a decision.")
        # An unknown submission is looked up again; a stalled task is polled again.
        state = State.SUBMISSION_UNKNOWN if locked.state == State.NEEDS_ATTENTION else locked.state
        services.record_state(
            locked,
            State(state),
            detail=f"check again, asked by {_who(user)}",
            stalled=False,
            **_look_now(),
        )
    wake_dispatchers_sync()
    return locked


def submit_again(*, generation: Generation, user: Any) -> Generation:
    """Send the create once more, by the designer's explicit choice: if the first one
    did reach the provider, this is a second task and a second charge. A fresh payload
    tells the two tasks apart."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.state != State.NEEDS_ATTENTION:
            raise ActionRefused("Only a generation that needs a decision can be submitted again.")
        services.record_state(
            locked,
            State.QUEUED,
            detail=f"submitted again by {_who(user)}, who accepted a possible second charge "
            f"(the first create's payload was {locked.payload})",
            payload=uuid.uuid4(),
            provider_note="",
            **_look_now(),
        )
    wake_dispatchers_sync()
    return locked


def mark_failed(*, generation: Generation, user: Any) -> Generation:
    """End it as failed by the designer's choice; the provider is not asked."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if not can_check_again(locked):
            raise ActionRefused("Only a generation that needs a decision can be marked failed.")
        message = (
            f"Marked failed by {_who(user)}. If the provider did run it, it may still have "
            "charged for it: check the provider account."
        )
        services.record_state(
            locked,
            State.FAILED,
            detail=message,
            err_code="MarkedFailed",
            error_message=message,
        )
    return locked


def snapshot_inputs(generation: Generation) -> list[InputImage]:
    """The original's inputs exactly as they were sent, read back from the snapshots."""
    return [
        InputImage(
            role=item.role,
            subject_name=item.subject_name,
            image=read_image(
                item.file.name,
                content_type=item.content_type,
                width=item.width,
                height=item.height,
            ),
        )
        for item in generation.inputs.all()
    ]


def _again(*, generation: Generation, user: Any, params: dict) -> Generation:
    connection = generation.connection
    if not connection.is_active:
        connection = ProviderConnection.objects.for_new_work()
        if connection is None:
            raise ActionRefused("No provider connection is active.")
    try:
        [new] = request_generation(
            project=generation.project,
            user=user,
            connection=connection,
            mode=Mode(generation.mode),
            model=generation.model,
            prompt=generation.prompt,
            params=params,
            inputs=snapshot_inputs(generation),
            mentions=generation.mentions,
            source=generation,
        )
    except services.GenerationRejected as rejected:
        raise ActionRefused(str(rejected)) from None
    return new


def retry_generation(*, generation: Generation, user: Any) -> Generation:
    """A failed or cancelled generation again: same inputs, same parameters."""
    if generation.state not in (State.FAILED, State.CANCELLED):
        raise ActionRefused("Only a failed or cancelled generation can be retried.")
    return _again(generation=generation, user=user, params=dict(generation.params))


def recorded_seed(generation: Generation) -> int | None:
    """The seed the provider used (recorded from its answer), else the one we asked for."""
    seed = generation.seed or generation.params.get("seed")
    return int(seed) if seed else None


def rerun_generation(*, generation: Generation, user: Any) -> Generation:
    """The same request with the same seed: as close to the same result as Vidu allows."""
    seed = recorded_seed(generation)
    if not seed:
        raise ActionRefused("No seed was recorded for this generation; try Vary instead.")
    return _again(generation=generation, user=user, params={**generation.params, "seed": seed})


def vary_generation(*, generation: Generation, user: Any) -> Generation:
    """The same request with a fresh random seed."""
    params = {k: v for k, v in generation.params.items() if k != "seed"}
    return _again(generation=generation, user=user, params=params)


def delete_generation(*, generation: Generation) -> None:
    """Delete the generation, its history and its files.

    Snapshots are shared by content hash between generations, so a snapshot file goes
    only when no other generation still uses it. Files go after the rows commit. A
    running one must be cancelled first: the dispatcher may be working on it.
    """
    if not generation.is_terminal:
        raise ActionRefused("It is still running; cancel it first.")
    with transaction.atomic():
        names = [
            f.name
            for output in generation.outputs.all()
            for f in (output.file, output.thumbnail, output.poster, output.last_frame)
            if f
        ]
        snapshots = set(generation.inputs.values_list("file", flat=True))
        shared = set(
            GenerationInput.objects.filter(file__in=snapshots)
            .exclude(generation=generation)
            .values_list("file", flat=True)
        )
        names += sorted(snapshots - shared)
        generation.delete()
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s", name, exc_info=True)
