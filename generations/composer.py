"""The composer's workflow: from what a designer typed to `request_generation`.

Resolves `@Name` mentions against the project's libraries, gathers the input images
(subject references, uploads, stills from this project) as byte snapshots, and turns
every refusal, ours or the capability tables', into a message beside the field it is
about. Nothing is created and nothing is spent until all of it passes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.http import QueryDict

from generations.catalog import as_mode, modes_for, spec_for, specs_for
from generations.forms import ComposerForm
from generations.models import Generation, GenerationInput, GenerationOutput, Mode, State
from generations.services import GenerationRejected, InputImage, request_generation
from library.imaging import ImageRejected
from library.mentions import MENTION, find_mentions
from library.models import Subject
from library.services import checked_image
from projects.access import parse_id, parse_ids, parse_int
from projects.models import Project
from providers import capabilities
from providers.base import ImageInput
from providers.capabilities import ModelSpec
from providers.models import ProviderConnection

Role = GenerationInput.Role
REFERENCE_MODES = (Mode.REFERENCE_TO_IMAGE, Mode.REFERENCE_TO_VIDEO)
FRAME_MODES = (Mode.IMAGE_TO_VIDEO, Mode.START_END_TO_VIDEO)
# Capability field names that are also the composer's field names.
SAME_NAME_FIELDS = frozenset(
    {
        "prompt",
        "model",
        "duration",
        "resolution",
        "aspect_ratio",
        "seed",
        "audio",
        "audio_type",
        "off_peak",
        "movement_amplitude",
    }
)
RECENT_STILLS = 12


# --- subjects and mentions ------------------------------------------------------------------


def subject_index(project: Project) -> dict[str, list[Subject]]:
    """The subjects of the project's libraries by lower-cased name (names match any case)."""
    index: dict[str, list[Subject]] = defaultdict(list)
    subjects = (
        Subject.objects.filter(library__projects=project)
        .select_related("library")
        .prefetch_related("images")
        .order_by("library__name", "name")
    )
    for subject in subjects:
        index[subject.name.lower()].append(subject)
    return dict(index)


def mention_suggestions(index: Mapping[str, list[Subject]]) -> list[dict[str, Any]]:
    """What a prompt's `@` suggestions show (composer.js): each subject's name, kind,
    library, image count and first thumbnail."""
    return [
        {
            "name": s.name,
            "kind": s.get_kind_display(),
            "library": s.library.name,
            "images": len(s.images.all()),
            "thumb": s.images.all()[0].get_thumbnail_url() if s.images.all() else "",
        }
        for subjects in index.values()
        for s in subjects
    ]


def resolve_mentions(
    prompt: str, *, mode: Mode, index: Mapping[str, list[Subject]]
) -> tuple[dict[str, Subject], list[str]]:
    """`({name as written: subject}, errors)` for every `@Name` in the prompt."""
    found: dict[str, Subject] = {}
    errors: list[str] = []
    seen: set[int] = set()
    for name in find_mentions(prompt):
        candidates = index.get(name.lower(), [])
        if not candidates:
            errors.append(f"@{name} is not a subject in this project's libraries.")
        elif len(candidates) > 1:
            libraries = " and ".join(f"“{s.library.name}”" for s in candidates)
            errors.append(
                f"@{name} is ambiguous: both {libraries} have a subject of that name. "
                "Rename one, or detach a library from this project."
            )
        elif mode not in REFERENCE_MODES:
            errors.append(
                f"@{name}: {mode.label} cannot use subjects. Choose Reference to image or "
                "Reference to video, or write the name without @."
            )
        elif not candidates[0].images.all():
            errors.append(
                f"@{name} has no reference images yet; add one in “{candidates[0].library.name}”."
            )
        elif candidates[0].pk not in seen:
            seen.add(candidates[0].pk)
            found[name] = candidates[0]
    return found, errors


def mention_record(found: Mapping[str, Subject]) -> dict[str, dict[str, Any]]:
    """What a generation keeps of its mentions: name → subject at request time."""
    return {
        name: {"subject_id": s.pk, "library_id": s.library_id, "kind": s.kind, "name": s.name}
        for name, s in found.items()
    }


# --- input images -------------------------------------------------------------------------------


def read_image(name: str, *, content_type: str, width: int, height: int) -> ImageInput:
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    return ImageInput(data=data, content_type=content_type, width=width, height=height)


def subject_inputs(found: Mapping[str, Subject]) -> list[tuple[InputImage, str]]:
    """Each mentioned subject's images as they are now, with a label for messages."""
    inputs = []
    for name, subject in found.items():
        for number, image in enumerate(subject.images.all(), start=1):
            snapshot = read_image(
                image.file.name,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
            )
            item = InputImage(role=Role.SUBJECT, image=snapshot, subject_name=name)
            inputs.append((item, f"@{name} image {number}"))
    return inputs


def output_input(output: GenerationOutput, role: str) -> InputImage:
    image = read_image(
        output.file.name,
        content_type=output.content_type,
        width=output.width,
        height=output.height,
    )
    return InputImage(role=role, image=image)


def upload_input(file: Any, role: str) -> InputImage:
    """An uploaded file, checked and re-encoded (raises ImageRejected)."""
    processed = checked_image(file)
    image = ImageInput(
        data=processed.content,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
    )
    return InputImage(role=role, image=image)


def project_stills(project: Project) -> Any:
    """Image outputs of this project's finished generations: what can be picked as input."""
    return GenerationOutput.objects.filter(
        generation__project=project,
        generation__state=State.READY,
        kind=GenerationOutput.Kind.IMAGE,
    ).order_by("-created_at", "-pk")


def recent_stills(project: Project, *, include: Iterable[Any] = ()) -> list[GenerationOutput]:
    """The latest stills to pick from, plus any already picked (say, from an action)."""
    stills = list(project_stills(project).select_related("generation")[:RECENT_STILLS])
    wanted = set(parse_ids(include)) - {s.pk for s in stills}
    if wanted:
        stills += list(project_stills(project).select_related("generation").filter(pk__in=wanted))
    return stills


# --- the options shown for a mode and model ---------------------------------------------------

BOOLEAN_OPTIONS = ("audio", "off_peak")
OPTION_NAMES = (
    "aspect_ratio",
    "resolution",
    "duration",
    "seed",
    "audio",
    "audio_type",
    "movement_amplitude",
    "off_peak",
)


@dataclass
class LinkNote:
    """What the composer says about a link's prompt it had to change: the mentions a
    subject-less mode cannot take became plain words; one click keeps them instead."""

    names: list[str]
    mode: Mode
    original_prompt: str


def prefill(*, project: Project, data: QueryDict) -> QueryDict:
    """Composer values from a link elsewhere in the studio (detail page, gallery).

    `prompt=...` fills the prompt; `animate=<output>` starts Image to video from that
    still; `from=<generation>` copies its mode, model, prompt and parameters, with
    `seed=new` for a fresh seed or `run=again` for the seed it recorded. (The exact
    input snapshots are reused by the Retry / Re-run actions, not by the composer.)
    """
    data = data.copy()
    if parse_id(data.get("animate")):
        data["mode"], data["start_output"] = Mode.IMAGE_TO_VIDEO.value, data["animate"]
    source = None
    if source_id := parse_id(data.get("from")):
        source = Generation.objects.filter(project=project, pk=source_id).first()
    if source is None:
        if find_mentions(data.get("prompt", "")) and not data.get("mode"):
            data["mode"] = Mode.REFERENCE_TO_IMAGE.value  # a prompt with subjects needs one
        return data
    asked_seed, again = data.get("seed"), data.get("run") == "again"
    data["mode"], data["model"], data["options_for"] = source.mode, source.model, source.model
    if not data.get("prompt"):
        data["prompt"] = source.prompt
    for name in OPTION_NAMES:
        if name in source.params:
            value = source.params[name]
            data[name] = ("on" if value else "") if isinstance(value, bool) else str(value)
    if asked_seed == "new":
        data["seed"] = ""
    elif again and (source.seed or source.params.get("seed")):
        data["seed"] = str(source.seed or source.params["seed"])
    return data


def plain_link_prompt(data: QueryDict) -> tuple[QueryDict, LinkNote | None]:
    """A link's values with `@Name` written as plain words where its mode takes no
    subjects (Animate a still from a prompt that mentioned some), and the note saying so.
    """
    names = find_mentions(data.get("prompt", ""))
    mode = as_mode(data.get("mode"))
    if not names or mode in REFERENCE_MODES:
        return data, None
    data = data.copy()
    note = LinkNote(names=names, mode=mode, original_prompt=data["prompt"])
    data["prompt"] = MENTION.sub(r"\1", data["prompt"])
    return data, note


def off_peak_hint(spec: ModelSpec, *, audio: bool) -> str:
    """One true sentence about off-peak for this model with audio as it is set now:
    q3 runs off-peak only with audio on; q2, q1 and 2.0 only with it off (vidu-api.md)."""
    if spec.off_peak_audio is None:
        return ""
    if spec.off_peak_audio and not spec.audio:
        return f"Not offered: {spec.model} runs off-peak only with audio, which it lacks here."
    if spec.off_peak_audio != audio:
        needed = "on" if spec.off_peak_audio else "off"
        return f"{spec.model} runs off-peak only with audio {needed}: turn Audio {needed} first."
    return "Fewer credits; done within 48 hours instead of now (or cancelled with a refund)."


def refresh_options(data: QueryDict, connection: ProviderConnection | None = None) -> QueryDict:
    """The composer's values with its options made valid for the chosen mode and model.

    A model the mode does not offer becomes the mode's first; values the model does
    not accept become its defaults (capabilities.defaults_for); when the model changed,
    its on/off options start from its defaults too.
    """
    data = data.copy()
    mode = as_mode(data.get("mode"))
    modes = modes_for(connection)
    if modes and mode not in modes:
        mode = modes[0]  # the connection sells nothing for this mode
    spec = spec_for(mode, data.get("model"), connection)
    defaults = capabilities.defaults_for(spec)
    data["mode"], data["model"] = mode.value, spec.model
    duration = parse_int(data.get("duration"))
    if spec.is_video and duration not in spec.durations:
        duration = spec.default_duration
    data["duration"] = str(duration or "")
    choices = {
        "resolution": spec.resolutions_for(duration),
        "aspect_ratio": spec.aspect_ratios,
        "audio_type": spec.audio_types,
        "movement_amplitude": capabilities.MOVEMENT_AMPLITUDES,
    }
    for name, allowed in choices.items():
        if data.get(name) not in allowed:
            default = (
                spec.default_resolution_for(duration)
                if name == "resolution"
                else defaults.get(name)
            )
            data[name] = default or ""
    if data.get("options_for") != spec.model:
        for name in BOOLEAN_OPTIONS:
            data[name] = "on" if defaults.get(name) else ""
    if not parse_int(data.get("variations")):
        data["variations"] = "1"
    data["options_for"] = spec.model
    return data


def initial_from(data: QueryDict) -> dict[str, Any]:
    """A display form's initial values from (refreshed) query data."""
    initial: dict[str, Any] = {key: data.get(key) for key in data}
    initial["picked"] = data.getlist("picked")
    for name in BOOLEAN_OPTIONS:
        initial[name] = bool(data.get(name))
    return initial


def params_from(spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The Vidu parameters for this model from the composer's (cleaned) values.

    Options the model does not take are left out, so a value kept from another model
    never reaches the provider; values given are passed as they are, for the
    capability tables to judge.
    """
    params: dict[str, Any] = {}
    if spec.aspect_ratios and values.get("aspect_ratio"):
        params["aspect_ratio"] = values["aspect_ratio"]
    if spec.resolutions and values.get("resolution"):
        params["resolution"] = values["resolution"]
    if spec.is_video and values.get("duration"):
        params["duration"] = parse_int(values["duration"]) or values["duration"]
    if values.get("seed"):
        params["seed"] = values["seed"]
    if spec.audio:
        params["audio"] = bool(values.get("audio"))
        if params["audio"] and values.get("audio_type"):
            params["audio_type"] = values["audio_type"]
    if spec.movement_amplitude and values.get("movement_amplitude"):
        params["movement_amplitude"] = values["movement_amplitude"]
    if spec.off_peak_audio is not None and values.get("off_peak"):
        params["off_peak"] = True
    return params


# --- the live summary: reference budget and cost ----------------------------------------------


@dataclass
class Summary:
    mode: Mode
    spec: ModelSpec
    images_used: int = 0
    images_limit: int = 0
    subjects_used: int = 0
    subjects_limit: int = 0
    frames: list[tuple[str, bool]] = field(default_factory=list)
    credits_each: int = 0
    variations: int = 1
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (name, "ok"/"unknown"...)

    @property
    def credits_total(self) -> int:
        return self.credits_each * self.variations

    @property
    def over_budget(self) -> bool:
        return self.images_used > self.images_limit or self.subjects_used > self.subjects_limit

    @property
    def uses_budget(self) -> bool:
        return self.mode in REFERENCE_MODES


def summarize(
    *,
    project: Project,
    data: QueryDict,
    index: Mapping | None = None,
    connection: ProviderConnection | None = None,
) -> Summary:
    """How many of the model's image/subject slots this request fills, and its cost.

    Works on raw form values (nothing validated yet); `files_chosen` is filled in by
    composer.js with how many files each file field holds, as GET cannot carry files.
    """
    mode = as_mode(data.get("mode"))
    spec = spec_for(mode, data.get("model"), connection)
    index = subject_index(project) if index is None else index
    found, _errors = resolve_mentions(data.get("prompt", ""), mode=mode, index=index)
    chosen = _files_chosen(data.get("files_chosen", ""))
    summary = Summary(mode=mode, spec=spec)
    summary.mentions = _mention_states(data.get("prompt", ""), mode=mode, index=index)
    subject_images = sum(len(s.images.all()) for s in found.values())
    if mode == Mode.REFERENCE_TO_IMAGE:
        summary.images_used = subject_images + chosen.get("images", 0) + len(_ids(data, "picked"))
        summary.images_limit = spec.image_count[1]
    elif mode == Mode.REFERENCE_TO_VIDEO:
        summary.images_used = subject_images
        summary.images_limit = spec.subject_images_total[1]
        summary.subjects_used = len(found)
        summary.subjects_limit = spec.subject_count[1]
    if mode in FRAME_MODES:
        names = ["start"] if mode == Mode.IMAGE_TO_VIDEO else ["start", "end"]
        summary.frames = [
            (f"{n.capitalize()} frame", bool(chosen.get(n) or data.get(f"{n}_output")))
            for n in names
        ]
    values = {
        **data.dict(),
        "seed": parse_int(data.get("seed")),
        "off_peak": bool(data.get("off_peak")),
    }
    summary.credits_each = capabilities.estimate_credits(spec, params_from(spec, values))
    summary.variations = min(max(parse_int(data.get("variations")) or 1, 1), 4)
    return summary


def _mention_states(prompt: str, *, mode: Mode, index: Mapping) -> list[tuple[str, str]]:
    states = []
    for name in find_mentions(prompt):
        candidates = index.get(name.lower(), [])
        if not candidates:
            states.append((name, "unknown"))
        elif len(candidates) > 1:
            states.append((name, "ambiguous"))
        elif not candidates[0].images.all():
            states.append((name, "no-images"))
        else:
            states.append((name, "ok"))
    return states


def _files_chosen(value: str) -> dict[str, int]:
    chosen = {}
    for part in value.split(","):
        name, _, count = part.partition(":")
        if name.strip() and (number := parse_int(count)) is not None:
            chosen[name.strip()] = number
    return chosen


def _ids(data: Any, name: str) -> list[int]:
    values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
    if isinstance(values, str):
        values = [values]
    return parse_ids(values)


# --- submitting --------------------------------------------------------------------------------


def submit(*, form: ComposerForm, project: Project, user: Any) -> list[Generation]:
    """Queue what a valid composer form asks for; on any refusal, say why by the field.

    Returns the new generations, or [] with errors added to `form` (nothing created).
    """
    values = form.cleaned_data
    mode, spec = form.mode, form.spec
    connection = values["connection"]
    if values["model"] not in {s.model for s in specs_for(mode, connection)}:
        offered = ", ".join(s.model for s in specs_for(mode, connection)) or "another provider"
        form.add_error(
            "model",
            f"{connection.name} does not offer {values['model']} for {mode.label.lower()}; "
            f"choose {offered}.",
        )
        return []
    found, errors = resolve_mentions(values["prompt"], mode=mode, index=subject_index(project))
    for message in errors:
        form.add_error("prompt", message)
    labelled = _gather_inputs(form, project=project, found=found)
    if form.errors:
        return []
    try:
        return request_generation(
            project=project,
            user=user,
            connection=values["connection"],
            mode=mode,
            model=spec.model,
            prompt=values["prompt"],
            params=params_from(spec, values),
            inputs=[item for item, _label in labelled],
            mentions=mention_record(found),
            variations=values["variations"],
        )
    except GenerationRejected as rejected:
        for error in rejected.errors:
            target, message = place_error(error.field, error.message, mode=mode, labelled=labelled)
            form.add_error(target, message)
        return []


def _gather_inputs(
    form: ComposerForm, *, project: Project, found: Mapping[str, Subject]
) -> list[tuple[InputImage, str]]:
    """The input images in the order they are sent, each with a label for messages."""
    mode, values = form.mode, form.cleaned_data
    labelled = subject_inputs(found) if mode in REFERENCE_MODES else []
    stills = {o.pk: o for o in project_stills(project)}
    if mode == Mode.REFERENCE_TO_IMAGE:
        for file in values.get("images") or []:
            try:
                labelled.append((upload_input(file, Role.IMAGE), f"“{file.name}”"))
            except ImageRejected as rejected:
                form.add_error("images", f"“{file.name}”: {rejected.message}")
        for pk in _ids(values, "picked"):
            if pk not in stills:
                form.add_error("picked", "That still is not a finished image of this project.")
                continue
            labelled.append((output_input(stills[pk], Role.IMAGE), f"still #{pk}"))
    if mode in FRAME_MODES:
        frames = [("start", Role.START)]
        if mode == Mode.START_END_TO_VIDEO:
            frames.append(("end", Role.END))
        for name, role in frames:
            item = _frame(form, name=name, role=role, stills=stills)
            if item:
                labelled.append(item)
    return labelled


def _frame(
    form: ComposerForm, *, name: str, role: str, stills: Mapping[int, GenerationOutput]
) -> tuple[InputImage, str] | None:
    upload = form.cleaned_data.get(f"{name}_upload")
    picked = parse_id(form.cleaned_data.get(f"{name}_output"))
    label = f"{name.capitalize()} frame"
    if upload and picked:
        form.add_error(f"{name}_upload", f"Upload a {name} frame or pick a still, not both.")
    elif upload:
        try:
            return upload_input(upload, role), label
        except ImageRejected as rejected:
            form.add_error(f"{name}_upload", f"“{upload.name}”: {rejected.message}")
    elif picked:
        if picked in stills:
            return output_input(stills[picked], role), label
        form.add_error(f"{name}_upload", "That still is not a finished image of this project.")
    else:
        form.add_error(
            f"{name}_upload", f"{label} needed: upload an image or pick a still from this project."
        )
    return None


def place_error(
    field_name: str, message: str, *, mode: Mode, labelled: list[tuple[InputImage, str]]
) -> tuple[str | None, str]:
    """Where a capability FieldError shows in the composer, and in which words.

    "duration: viduq3 allows 3 to 16 seconds" goes by Duration without its prefix;
    "images[2]: ..." is told by the image's own label; subjects show by the prompt
    their mentions came from; anything else goes above the form.
    """
    base = re.match(r"[a-z_]*", field_name).group(0)
    if message.startswith(f"{field_name}: "):
        message = message[len(field_name) + 2 :]
    index = re.match(r"[a-z_]+\[(\d+)\]", field_name)
    if base == "images" and index:
        images = [label for item, label in labelled if _is_flat(item, mode)]
        position = int(index.group(1))
        if position < len(images):
            message = f"{images[position]}: {message}"
    if base == "subjects" and index:
        names = list(dict.fromkeys(i.subject_name for i, _l in labelled if i.subject_name))
        position = int(index.group(1))
        if position < len(names):
            message = f"@{names[position]}: {message}"
    if base in SAME_NAME_FIELDS:
        return base, message
    if base == "subjects":
        return "prompt", message
    if base == "images":
        if mode == Mode.REFERENCE_TO_IMAGE:
            return "images", message
        if mode in FRAME_MODES:
            is_end = index is not None and index.group(1) == "1"
            return ("end_upload" if is_end else "start_upload"), message
    return None, message


def _is_flat(item: InputImage, mode: Mode) -> bool:
    return not (item.role == Role.SUBJECT and mode == Mode.REFERENCE_TO_VIDEO)
