"""Checking a request against the model's limits before any credits are spent.

`check_request` answers every problem at once, each a `FieldError` carrying the
reason code Vidu itself would answer (vidu-api.md §7), so the simulator can reply
with the documented error shape and the studio can show a message by the field.

Parameters a model accepts but ignores (movement_amplitude on q2/q3, bgm on q3) and
parameters an endpoint does not take at all (aspect_ratio on img2video, duration on
reference2image) are not errors: nothing documents that Vidu rejects them, and the
dialects leave them out. A value that is not one of a parameter's options is an error.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from providers import media
from providers.base import Endpoint, GenerationRequest, ImageInput
from providers.capabilities import MOVEMENT_AMPLITUDES, ModelSpec, UnknownModel, get_spec

Reason = Literal[
    "FieldLacking",
    "FieldInvalid",
    "FieldItemCountOutOfRange",
    "FieldUnwanted",
    "PageSizeOutOfRange",
    "ImageFormatInvalid",
    "ImageDownloadFailure",
]

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MIN_SIDE = 128
MAX_ASPECT = 4.0
MAX_IMAGE_BYTES = 50 * 1024 * 1024
# Enough for a 48-megapixel phone photo; decoding one takes ~200 MB at most.
MAX_PIXELS = 50_000_000
FRAME_AREA_RATIO = (0.8, 1.25)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, in plain words, with Vidu's reason code."""

    field: str
    message: str
    reason: Reason


class DataURIError(ValueError):
    """A string is not a base64 `data:` URI."""


def check_request(request: GenerationRequest) -> list[FieldError]:
    """Every way `request` breaks its model's documented limits (empty: it is fine)."""
    try:
        spec = get_spec(request.endpoint, request.model)
    except UnknownModel as exc:
        return [FieldError("model", f"model: {exc}", "FieldInvalid")]
    errors = _check_prompt(spec, request)
    errors += _check_counts(spec, request)
    errors += _check_params(spec, request.params)
    for field, image in _images_by_field(request):
        error = _check_image_limits(
            field,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size=len(image.data),
        )
        if error:
            errors.append(error)
    if spec.endpoint == Endpoint.START_END2VIDEO and len(request.images) == 2:
        errors += _check_frame_pair(request.images[0], request.images[1])
    return errors


def _check_prompt(spec: ModelSpec, request: GenerationRequest) -> list[FieldError]:
    prompt = request.prompt
    if spec.prompt_required and not prompt.strip():
        return [FieldError("prompt", f"prompt: {spec.model} needs a prompt.", "FieldLacking")]
    if len(prompt) > spec.prompt_max:
        message = (
            f"prompt: {spec.model} {spec.endpoint} allows at most {spec.prompt_max} "
            f"characters (got {len(prompt)})."
        )
        return [FieldError("prompt", message, "FieldInvalid")]
    return []


def _limit_words(limits: tuple[int, int]) -> str:
    low, high = limits
    if low == high:
        return f"exactly {low}"
    if low == 0:
        return f"at most {high}"
    return f"{low} to {high}"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _check_counts(spec: ModelSpec, request: GenerationRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    who = f"{spec.model} {spec.endpoint}"
    low, high = spec.image_count
    got = len(request.images)
    if high == 0 and got:
        hint = "; give the images to subjects instead" if spec.takes_subjects else ""
        message = f"images: {who} takes no images{hint} (got {got})."
        errors.append(FieldError("images", message, "FieldUnwanted"))
    elif not low <= got <= high:
        message = (
            f"images: {who} needs {_limit_words(spec.image_count)} "
            f"{_plural(high, 'image')} (got {got})."
        )
        errors.append(FieldError("images", message, "FieldItemCountOutOfRange"))

    subjects = request.subjects
    if not spec.takes_subjects:
        if subjects:
            message = f"subjects: {who} takes no subjects (got {len(subjects)})."
            errors.append(FieldError("subjects", message, "FieldUnwanted"))
        return errors
    if not spec.subject_count[0] <= len(subjects) <= spec.subject_count[1]:
        message = (
            f"subjects: {spec.model} needs {_limit_words(spec.subject_count)} subjects "
            f"(got {len(subjects)})."
        )
        errors.append(FieldError("subjects", message, "FieldItemCountOutOfRange"))
    seen: set[str] = set()
    for index, subject in enumerate(subjects):
        name = subject.name.strip()
        field = f"subjects[{index}].name"
        if not name:
            errors.append(
                FieldError(field, f"{field}: every subject needs a name.", "FieldLacking")
            )
        elif name in seen:
            # The prompt says `@name`, so two alike would be ambiguous. Vidu documents no
            # rules for names (case, charset), so only exact repeats are refused.
            message = f"{field}: another subject is already called {name!r}."
            errors.append(FieldError(field, message, "FieldInvalid"))
        seen.add(name)
        if len(subject.images) > spec.images_per_subject:
            field = f"subjects[{index}].images"
            message = (
                f"{field}: a subject takes at most {spec.images_per_subject} images "
                f"(got {len(subject.images)})."
            )
            errors.append(FieldError(field, message, "FieldItemCountOutOfRange"))
    # Sources differ on whether the 1-7 total applies to q3 (vidu-api.md §11.7); KKIAI
    # and the official CN copy state it, so we apply it. A subject with no image is a
    # text subject, which S002 allows.
    total = sum(len(subject.images) for subject in subjects)
    low, high = spec.subject_images_total
    if subjects and not low <= total <= high:
        message = f"subjects: all subjects together need {low} to {high} images (got {total})."
        errors.append(FieldError("subjects", message, "FieldItemCountOutOfRange"))
    return errors


def _as_int(value: Any) -> int | None:
    """An int from JSON-ish input: 5, 5.0 and "5" are all 5 (KKIAI sends strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _options(values: Sequence[Any]) -> str:
    words = [str(value) for value in values]
    if len(words) == 1:
        return f"only {words[0]}"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _seconds_words(durations: tuple[int, ...]) -> str:
    low, high = durations[0], durations[-1]
    if len(durations) > 2 and durations == tuple(range(low, high + 1)):
        return f"{low} to {high} seconds"
    return _options(durations) + " seconds"


def _invalid(field: str, message: str) -> FieldError:
    return FieldError(field, f"{field}: {message}", "FieldInvalid")


def _given(params: Mapping[str, Any], name: str) -> bool:
    # A None value means "not set": forms and JSON clients send it for blank fields.
    return params.get(name) is not None


def _check_params(spec: ModelSpec, params: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    model = spec.model

    duration = spec.default_duration
    if spec.is_video and _given(params, "duration"):
        value = params["duration"]
        given = _as_int(value)
        if given in spec.durations:
            duration = given
        else:
            errors.append(
                _invalid(
                    "duration", f"{model} allows {_seconds_words(spec.durations)} (got {value})."
                )
            )

    if _given(params, "resolution"):
        value = params["resolution"]
        allowed = spec.resolutions_for(duration)
        if value not in allowed:
            at = f" at {duration} seconds" if allowed != spec.resolutions else ""
            errors.append(
                _invalid("resolution", f"{model} allows {_options(allowed)}{at} (got {value}).")
            )

    if spec.aspect_ratios and _given(params, "aspect_ratio"):
        value = params["aspect_ratio"]
        free = spec.any_aspect_ratio and re.fullmatch(r"[1-9]\d*:[1-9]\d*", str(value))
        if value not in spec.aspect_ratios and not free:
            other = ", or any other W:H" if spec.any_aspect_ratio else ""
            message = f"{model} allows {_options(spec.aspect_ratios)}{other} (got {value})."
            errors.append(_invalid("aspect_ratio", message))

    for name in ("audio", "off_peak", "bgm", "is_rec"):
        if spec.is_video and _given(params, name) and not isinstance(params[name], bool):
            errors.append(_invalid(name, f"must be true or false (got {params[name]})."))

    audio = spec.audio_default
    if spec.is_video and isinstance(params.get("audio"), bool):
        if params["audio"] and not spec.audio:
            # Asking for sound and silently getting none would surprise the user.
            message = f"{model} {spec.endpoint} cannot generate audio; turn it off."
            errors.append(_invalid("audio", message))
        audio = params["audio"] and spec.audio

    if spec.audio and audio and _given(params, "audio_type"):
        value = params["audio_type"]
        # The prose also spells it "sound-effect_only"; accept both, send the enum's.
        if value not in spec.audio_types and value != "sound-effect_only":
            message = f"{model} allows {_options(spec.audio_types)} (got {value})."
            errors.append(_invalid("audio_type", message))

    if (
        spec.off_peak_audio is not None
        and params.get("off_peak") is True
        and audio != spec.off_peak_audio
    ):
        needed = "on" if spec.off_peak_audio else "off"
        message = f"{model} runs off-peak only with audio {needed}."
        errors.append(_invalid("off_peak", message))

    if spec.is_video and _given(params, "movement_amplitude"):
        value = params["movement_amplitude"]
        if value not in MOVEMENT_AMPLITUDES:
            message = f"allows {_options(MOVEMENT_AMPLITUDES)} (got {value})."
            errors.append(_invalid("movement_amplitude", message))

    if spec.styles and _given(params, "style") and params["style"] not in spec.styles:
        message = f"{model} allows {_options(spec.styles)} (got {params['style']})."
        errors.append(_invalid("style", message))

    if _given(params, "seed") and _as_int(params["seed"]) is None:
        errors.append(_invalid("seed", f"must be a whole number (got {params['seed']})."))
    return errors


def _images_by_field(request: GenerationRequest) -> list[tuple[str, ImageInput]]:
    named = [(f"images[{i}]", image) for i, image in enumerate(request.images)]
    for s, subject in enumerate(request.subjects):
        named += [(f"subjects[{s}].images[{i}]", image) for i, image in enumerate(subject.images)]
    return named


def _check_image_limits(
    field: str, *, content_type: str, width: int, height: int, size: int
) -> FieldError | None:
    if content_type not in IMAGE_TYPES.values():
        message = f"{field}: must be a PNG, JPEG or WebP image (got {content_type or 'unknown'})."
        return FieldError(field, message, "ImageFormatInvalid")
    if size > MAX_IMAGE_BYTES:
        message = f"{field}: must be at most 50 MB (got {size / 1024 / 1024:.1f} MB)."
        return FieldError(field, message, "PageSizeOutOfRange")
    if max(width, height) > MAX_ASPECT * min(width, height):
        message = f"{field}: the aspect ratio must be between 1:4 and 4:1 (got {width}×{height})."
        return FieldError(field, message, "PageSizeOutOfRange")
    if min(width, height) < MIN_SIDE:
        message = f"{field}: must be at least {MIN_SIDE}×{MIN_SIDE} pixels (got {width}×{height})."
        return FieldError(field, message, "PageSizeOutOfRange")
    return None


def _check_frame_pair(start: ImageInput, end: ImageInput) -> list[FieldError]:
    # "the resolution of the start frame / the resolution of the end frame" between 0.8
    # and 1.25 [CN-copy]: read as pixel counts, which the wording suggests.
    ratio = (start.width * start.height) / max(1, end.width * end.height)
    low, high = FRAME_AREA_RATIO
    if low <= ratio <= high:
        return []
    message = (
        f"images: the start and end frames need similar resolutions, start/end between "
        f"{low} and {high} (got {start.width}×{start.height} and {end.width}×{end.height}, "
        f"{ratio:.2f})."
    )
    return [FieldError("images", message, "PageSizeOutOfRange")]


def _sniff_format(data: bytes) -> str | None:
    """The image format (Pillow's name) by its first bytes, whatever the file claims."""
    formats = {content_type: name for name, content_type in IMAGE_TYPES.items()}
    return formats.get(media.sniff(data[: media.HEAD_BYTES]))


def check_image(
    data: bytes, *, field: str = "image", max_pixels: int = MAX_PIXELS
) -> tuple[ImageInput | None, FieldError | None]:
    """Decode untrusted image bytes safely: `(image, None)` or `(None, error)`.

    The format is judged by content, not by name or declared type. The size is read
    from the header and checked before any pixel is decoded, so a decompression bomb
    costs a few bytes of reading, not gigabytes of memory.
    """
    fmt = _sniff_format(data)
    if fmt is None:
        message = f"{field}: is not a PNG, JPEG or WebP image."
        return None, FieldError(field, message, "ImageFormatInvalid")
    too_large = f"{field}: is too large to decode; the most is {max_pixels // 1_000_000} megapixels"
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width * height > max_pixels:
                message = f"{too_large} (got {width}×{height})."
                return None, FieldError(field, message, "PageSizeOutOfRange")
            error = _check_image_limits(
                field, content_type=IMAGE_TYPES[fmt], width=width, height=height, size=len(data)
            )
            if error:
                return None, error
            # Decoding is the only way to find a damaged or truncated file.
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own cap (above ours) fires inside open(). Its warning is only an
        # exception when warnings are errors; either way ours refuses before decoding.
        return None, FieldError(field, f"{too_large}.", "PageSizeOutOfRange")
    except (OSError, SyntaxError, ValueError, EOFError):
        message = f"{field}: could not be read as {fmt}; the file may be damaged or cut short."
        return None, FieldError(field, message, "ImageFormatInvalid")
    return ImageInput(data=data, content_type=IMAGE_TYPES[fmt], width=width, height=height), None


def decode_data_uri(value: str) -> tuple[str, bytes]:
    """`(content_type, bytes)` from `data:image/png;base64,...`; raises `DataURIError`."""
    if not value[:5].lower() == "data:":
        raise DataURIError("not a data URI: it should start with data:image/png;base64,")
    marker = value.lower().find(";base64")
    if marker < 0:
        raise DataURIError("the data URI must be base64-encoded (data:<type>;base64,<data>).")
    content_type = value[5:marker].split(";")[0].strip().lower()
    if not content_type:
        raise DataURIError("the data URI names no content type (data:image/png;base64,...).")
    if content_type == "image/jpg":
        content_type = "image/jpeg"
    encoded = value[marker + len(";base64") :]
    # Vtrix's own example omits the comma (`data:image/png;base64{...}`): accept both.
    encoded = re.sub(r"\s+", "", encoded.removeprefix(","))
    if not encoded:
        raise DataURIError("the data URI holds no data.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataURIError(f"the data URI's base64 is damaged ({exc}).") from None
    return content_type, data
