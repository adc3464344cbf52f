"""Storyboard workflows: shots in order, takes, keepers, stills into clips, batches.

Each function commits its rows; generations are queued through
`generations.services.request_generation`, which pushes the new cards after commit.
Ordering changes lock the storyboard row, so two tabs reordering at once queue one
behind the other and positions stay 0..n-1 with no gaps or duplicates.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from PIL import Image

from generations.catalog import spec_for
from generations.composer import (
    REFERENCE_MODES,
    mention_record,
    output_input,
    resolve_mentions,
    subject_index,
    subject_inputs,
)
from generations.models import GenerationInput, GenerationOutput, Mode, State
from generations.services import GenerationRejected, InputImage, request_generation
from projects import activity
from projects.models import Verb
from providers import capabilities
from providers.base import ImageInput
from providers.capabilities import ModelSpec
from providers.models import ProviderConnection
from providers.validation import FieldError
from storyboards.models import Batch, Shot, Storyboard, Take

MAX_VARIATIONS = 4


class StoryboardError(Exception):
    """A request that cannot be done as asked; the message is shown to the designer."""


class OrderConflict(StoryboardError):
    """The order sent does not match the storyboard's shots (another tab changed them)."""


# --- storyboards and shot order -------------------------------------------------------------


def create_storyboard(
    *,
    project: Any,
    user: Any,
    title: str,
    notes: str = "",
    mode: str,
    model: str = "",
    aspect_ratio: str = "",
) -> Storyboard:
    """A new, empty storyboard in the project."""
    spec = spec_for(Mode(mode), model)
    return Storyboard.objects.create(
        project=project,
        created_by=user,
        title=title,
        notes=notes,
        mode=mode,
        model=spec.model,
        aspect_ratio=aspect_ratio,
    )


def _locked(storyboard: Storyboard) -> list[Shot]:
    """Lock the storyboard row (call inside a transaction) and return its shots in order."""
    list(Storyboard.objects.select_for_update().filter(pk=storyboard.pk).values_list("pk"))
    return list(Shot.objects.filter(storyboard_id=storyboard.pk).order_by("position", "id"))


def _write_order(storyboard_id: int, shots: Sequence[Shot]) -> None:
    # Positions are unique per storyboard and SQLite checks that row by row: park every
    # shot on a distinct negative position first, then write 0..n-1.
    Shot.objects.filter(storyboard_id=storyboard_id).update(position=-F("position") - 1)
    for position, shot in enumerate(shots):
        shot.position = position
    Shot.objects.bulk_update(shots, ["position"])


def reorder_shots(*, storyboard: Storyboard, shot_ids: Sequence[int]) -> list[Shot]:
    """Put the shots in the order given, which must name every shot exactly once.

    Raises OrderConflict when the list does not match the shots as they are now (a
    shot was added or deleted in another tab): nothing changes.
    """
    with transaction.atomic():
        shots = _locked(storyboard)
        by_id = {shot.pk: shot for shot in shots}
        if len(shot_ids) != len(by_id) or set(shot_ids) != set(by_id):
            raise OrderConflict(
                "The shots changed since this page was loaded (another tab added or "
                "deleted one). Reload the page and reorder again."
            )
        ordered = [by_id[pk] for pk in shot_ids]
        _write_order(storyboard.pk, ordered)
    return ordered


def move_shot(*, shot: Shot, offset: int) -> None:
    """Move a shot up (-1) or down (+1); at either end it stays where it is."""
    with transaction.atomic():
        shots = _locked(shot.storyboard)
        index = next(i for i, s in enumerate(shots) if s.pk == shot.pk)
        target = min(max(index + offset, 0), len(shots) - 1)
        shots.insert(target, shots.pop(index))
        _write_order(shot.storyboard_id, shots)


def add_shot(*, storyboard: Storyboard, after: Shot | None = None, **fields: Any) -> Shot:
    """A new shot after `after` (at the end when None), with the storyboard's defaults
    for anything not given."""
    fields.setdefault("mode", storyboard.mode)
    fields.setdefault("model", spec_for(Mode(fields["mode"]), storyboard.model).model)
    if "params" not in fields and storyboard.aspect_ratio:
        fields["params"] = {"aspect_ratio": storyboard.aspect_ratio}
    with transaction.atomic():
        shots = _locked(storyboard)
        shot = Shot.objects.create(storyboard=storyboard, position=len(shots), **fields)
        index = next((i + 1 for i, s in enumerate(shots) if after and s.pk == after.pk), None)
        shots.insert(len(shots) if index is None else index, shot)
        _write_order(storyboard.pk, shots)
    return shot


def duplicate_shot(*, shot: Shot) -> Shot:
    """A copy of the shot (prompt, mode, model, parameters, duration, notes) right after
    it; takes stay with the original."""
    return add_shot(
        storyboard=shot.storyboard,
        after=shot,
        title=shot.title,
        prompt=shot.prompt,
        mode=shot.mode,
        model=shot.model,
        params=dict(shot.params),
        duration=shot.duration,
        notes=shot.notes,
    )


def delete_shot(*, shot: Shot) -> None:
    """Delete the shot and its takes' links (the generations stay in the project)."""
    with transaction.atomic():
        shots = _locked(shot.storyboard)
        Shot.objects.filter(pk=shot.pk).delete()
        _write_order(shot.storyboard_id, [s for s in shots if s.pk != shot.pk])


# --- takes and keepers ----------------------------------------------------------------------


def shot_spec(shot: Shot) -> ModelSpec:
    return spec_for(Mode(shot.mode), shot.model)


def off_peak_allowed(spec: ModelSpec) -> bool:
    """Whether a shot on this model may run off-peak as it stands: video only, and Vidu
    ties off-peak to the audio setting (q3 only with audio, older models only without)."""
    audio = spec.audio_default if spec.audio else False
    return spec.is_video and spec.off_peak_audio is not None and audio == spec.off_peak_audio


def shot_params(shot: Shot, spec: ModelSpec, *, off_peak: bool = False) -> dict[str, Any]:
    """The Vidu parameters for a shot: its own, limited to what the model takes, and
    its duration when the model allows it (else the model's default). `off_peak` asks
    for the cheaper, slower queue wherever the model allows it."""
    params: dict[str, Any] = {}
    if off_peak and off_peak_allowed(spec):
        params["off_peak"] = True
    if spec.aspect_ratios and shot.params.get("aspect_ratio") in spec.aspect_ratios:
        params["aspect_ratio"] = shot.params["aspect_ratio"]
    if spec.resolutions and shot.params.get("resolution") in spec.resolutions:
        params["resolution"] = shot.params["resolution"]
    if spec.is_video:
        params["duration"] = (
            shot.duration if shot.duration in spec.durations else spec.default_duration
        )
    return params


def estimate_shot(shot: Shot, *, variations: int = 1, off_peak: bool = False) -> int:
    """The credits one Generate on this shot is expected to cost."""
    spec = shot_spec(shot)
    params = shot_params(shot, spec, off_peak=off_peak)
    return capabilities.estimate_credits(spec, params) * variations


def _queue(
    *,
    shot: Shot,
    user: Any,
    connection: ProviderConnection,
    mode: Mode,
    spec: ModelSpec,
    prompt: str,
    params: dict[str, Any],
    inputs: list[InputImage],
    mentions: dict | None = None,
    variations: int = 1,
    batch: Batch | None = None,
) -> list[Take]:
    with transaction.atomic():
        generations = request_generation(
            project=shot.storyboard.project,
            user=user,
            connection=connection,
            mode=mode,
            model=spec.model,
            prompt=prompt,
            params=params,
            inputs=inputs,
            mentions=mentions,
            variations=variations,
        )
        return [
            Take.objects.create(shot=shot, generation=generation, batch=batch)
            for generation in generations
        ]


def generate_takes(
    *,
    shot: Shot,
    user: Any,
    connection: ProviderConnection,
    variations: int = 1,
    batch: Batch | None = None,
    off_peak: bool = False,
) -> list[Take]:
    """Queue 1-4 takes of the shot, its @mentions resolved as the composer does.

    Raises GenerationRejected (nothing created, nothing spent) when a mention is
    unknown or a limit of the model is broken.
    """
    if not 1 <= variations <= MAX_VARIATIONS:
        raise GenerationRejected(
            [FieldError("variations", "Choose 1 to 4 variations.", "FieldInvalid")]
        )
    mode, spec = Mode(shot.mode), shot_spec(shot)
    index = subject_index(shot.storyboard.project)
    found, errors = resolve_mentions(shot.prompt, mode=mode, index=index)
    if errors:
        raise GenerationRejected(
            [FieldError("prompt", message, "FieldInvalid") for message in errors]
        )
    inputs = [item for item, _label in subject_inputs(found)] if mode in REFERENCE_MODES else []
    return _queue(
        shot=shot,
        user=user,
        connection=connection,
        mode=mode,
        spec=spec,
        prompt=shot.prompt,
        params=shot_params(shot, spec, off_peak=off_peak),
        inputs=inputs,
        mentions=mention_record(found),
        variations=variations,
        batch=batch,
    )


def choose_keeper(*, shot: Shot, take: Take | None, user: Any = None) -> None:
    """Make `take` the shot's keeper (None: no keeper). It must be a ready take of
    this very shot. A keeper chosen is a line of the project's activity."""
    if take is not None:
        if take.shot_id != shot.pk:
            raise StoryboardError("That take belongs to another shot.")
        if take.generation.state != State.READY:
            raise StoryboardError(f"Take #{take.generation_id} is not ready yet; keep a ready one.")
    with transaction.atomic():
        Shot.objects.filter(pk=shot.pk).update(keeper=take)
        if take is not None:
            activity.record(
                project=shot.storyboard.project,
                verb=Verb.KEPT,
                summary=f"Take #{take.generation_id} for {shot}",
                link=shot.get_absolute_url(),
                actor=user,
            )
    shot.keeper = take


def _animate_spec(connection: ProviderConnection) -> ModelSpec:
    return spec_for(Mode.IMAGE_TO_VIDEO, None, connection)


def _animate_params(shot: Shot, spec: ModelSpec) -> dict[str, Any]:
    duration = shot.duration if shot.duration in spec.durations else spec.default_duration
    return {"duration": duration}


def animate_take(*, take: Take, user: Any, connection: ProviderConnection) -> Take:
    """Image to video from a ready still take: the still is the start frame, the shot's
    prompt the motion. The new take belongs to the same shot."""
    generation = take.generation
    output = generation.outputs.filter(kind=GenerationOutput.Kind.IMAGE).first()
    if generation.state != State.READY or output is None:
        raise StoryboardError("Only a ready still can be animated.")
    spec = _animate_spec(connection)
    (created,) = _queue(
        shot=take.shot,
        prompt=_without_mentions(take.shot.prompt),
        user=user,
        connection=connection,
        mode=Mode.IMAGE_TO_VIDEO,
        spec=spec,
        params=_animate_params(take.shot, spec),
        inputs=[output_input(output, GenerationInput.Role.START)],
    )
    return created


def continuity_frame(shot: Shot) -> GenerationOutput | None:
    """The previous shot's keeper clip, when it has a last frame to start this shot from."""
    previous = (
        Shot.objects.filter(storyboard_id=shot.storyboard_id, position__lt=shot.position)
        .select_related("keeper__generation")
        .order_by("-position")
        .first()
    )
    if previous is None or previous.keeper is None:
        return None
    output = previous.keeper.generation.outputs.filter(kind=GenerationOutput.Kind.VIDEO).first()
    return output if output is not None and output.last_frame else None


def continue_from_previous(*, shot: Shot, user: Any, connection: ProviderConnection) -> Take:
    """Image to video whose start frame is the last frame of the previous shot's keeper."""
    output = continuity_frame(shot)
    if output is None:
        raise StoryboardError(
            "The previous shot has no kept clip to continue from; keep a video take there first."
        )
    with default_storage.open(output.last_frame.name, "rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        content_type = Image.MIME.get(image.format or "PNG", "image/png")
    start = InputImage(
        role=GenerationInput.Role.START,
        image=ImageInput(data=data, content_type=content_type, width=width, height=height),
    )
    spec = _animate_spec(connection)
    (created,) = _queue(
        shot=shot,
        prompt=_without_mentions(shot.prompt),
        user=user,
        connection=connection,
        mode=Mode.IMAGE_TO_VIDEO,
        spec=spec,
        params=_animate_params(shot, spec),
        inputs=[start],
    )
    return created


def _without_mentions(prompt: str) -> str:
    # Image to video takes no subjects: "@Mia" is sent as "Mia" (the start frame shows her).
    return prompt.replace("@", "")


# --- batches --------------------------------------------------------------------------------


@dataclass
class BatchResult:
    batch: Batch | None
    takes: list[Take]
    refused: list[tuple[Shot, str]]


def shots_to_generate(storyboard: Storyboard) -> list[Shot]:
    """Shots with no keeper and nothing generating: what "Generate all" would queue."""
    shots = storyboard.shots.prefetch_related("takes__generation")
    return [shot for shot in shots if shot.status in ("empty", "ready", "failed")]


def generate_all(
    *, storyboard: Storyboard, user: Any, connection: ProviderConnection, off_peak: bool = False
) -> BatchResult:
    """One take for every shot without a keeper, grouped into one batch.

    The dispatcher keeps within the connection's concurrency limit. A shot the model
    refuses is reported by number; the others are still queued. `off_peak` sends the
    video shots whose model allows it to Vidu's cheaper queue (done within 48 h).
    """
    shots = shots_to_generate(storyboard)
    if not shots:
        return BatchResult(batch=None, takes=[], refused=[])
    batch = Batch.objects.create(storyboard=storyboard, created_by=user)
    takes, refused = [], []
    for shot in shots:
        try:
            takes += generate_takes(
                shot=shot, user=user, connection=connection, batch=batch, off_peak=off_peak
            )
        except GenerationRejected as rejected:
            refused.append((shot, str(rejected)))
    if not takes:
        batch.delete()
        return BatchResult(batch=None, takes=[], refused=refused)
    return BatchResult(batch=batch, takes=takes, refused=refused)
