"""The simulator's wire formats: parsing create bodies and writing task bodies.

Both dialects parse into `providers.base.GenerationRequest` and are checked by
`providers.validation.check_request`, the same code (and the same capability tables)
the studio uses before it spends credits: one source of truth for every limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from providers.base import Endpoint, GenerationRequest, ImageInput, SubjectInput
from providers.validation import FieldError

# "The post body of the HTTP request should not exceed 20MB" [S000].
MAX_BODY_BYTES = 20 * 1024 * 1024
# "payload ... maximum length of 1048576 characters" [S000].
MAX_PAYLOAD_CHARS = 1_048_576
# Keys that are not model parameters; everything else goes to `params` for the checks.
_CORE_KEYS = {"model", "prompt", "images", "subjects", "payload", "callback_url"}
# KKIAI types these as strings ("seed": "0", "auto_subjects": "false") [S001, KK-r2v]:
# the tolerant reading accepts a string that is plainly a number or a boolean.
_INT_PARAMS = {"seed", "duration", "wm_position"}
_BOOL_PARAMS = {"audio", "bgm", "off_peak", "is_rec", "watermark", "auto_subjects"}
_ECHO_CHARS = 120  # data URIs are echoed shortened: a 10 MB echo helps nobody

# The Vtrix model ids the simulator accepts: only ids found in a source, each with the
# (endpoint, Vidu model) it stands for. The studio offers exactly these on Vtrix.
VTRIX_MODELS: dict[str, tuple[Endpoint, str]] = {
    # Documented with its meaning [S003].
    "viduq2_reference2image": (Endpoint.REFERENCE2IMAGE, "viduq2"),
    # Seen ids (vidu-api.md §10.3), matched to the pair their name says (inferred).
    "viduq2_turbo_img2video": (Endpoint.IMG2VIDEO, "viduq2-turbo"),
    "viduq2_turbo_start_end": (Endpoint.START_END2VIDEO, "viduq2-turbo"),
    "viduq2_pro_reference": (Endpoint.REFERENCE2VIDEO, "viduq2-pro"),
}
# Ids whose error table asks for at least one image or subject [S003].
_VTRIX_NEEDS_INPUTS = {"viduq2_reference2image"}

VTRIX_IMAGES_MISSING = "008023001"
VTRIX_IMAGE_COUNT = "008023002"
VTRIX_PROMPT_MISSING = "008023003"
VTRIX_INTERNAL = "008023095"
VTRIX_CREATE_FAILED = "008023099"


class SimError(Exception):
    """An error answer: HTTP status, Vidu reason code and a message naming the field.

    `bare`: answer the status with an empty body, as a gateway with no such route does.
    """

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        errors: list[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        bare: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.errors = errors or []
        self.headers = dict(headers or {})
        self.had_inputs = True
        self.bare = bare


def field_errors(errors: list[FieldError]) -> SimError:
    """One 400 answer for a list of field problems: the first one's reason leads."""
    message = "; ".join(error.message for error in errors)
    return SimError(400, errors[0].reason, message, errors=errors)


@dataclass
class ImageRef:
    """An image string from the wire: a data URI, our own file URL or a foreign URL."""

    field: str
    value: str


@dataclass
class WireRequest:
    """A create body taken apart, before images are fetched and checked."""

    endpoint: Endpoint
    model: str
    prompt: str
    images: list[ImageRef] = field(default_factory=list)
    subjects: list[tuple[str, list[ImageRef]]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    payload: str = ""
    callback_url: str = ""
    vtrix_model: str = ""

    def to_request(
        self, images: list[ImageInput], subjects: list[list[ImageInput]]
    ) -> GenerationRequest:
        return GenerationRequest(
            endpoint=self.endpoint,
            model=self.model,
            prompt=self.prompt,
            images=tuple(images),
            subjects=tuple(
                SubjectInput(name=name, images=tuple(subject_images))
                for (name, _), subject_images in zip(self.subjects, subjects, strict=True)
            ),
            params=dict(self.params),
            payload=self.payload,
            callback_url=self.callback_url or None,
        )

    def echo_images(self) -> list[str]:
        return [echo(ref.value) for ref in self.images]


def echo(value: str) -> str:
    """An image string as echoed back: URLs whole, data URIs cut short."""
    if value.startswith("data:") and len(value) > _ECHO_CHARS:
        return value[:_ECHO_CHARS] + "..."
    return value


def load_json(body: bytes) -> dict[str, Any]:
    """The JSON object in a request body, or a 400 BadRequest that says what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise body_too_large(len(body))
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SimError(400, "BadRequest", f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SimError(400, "BadRequest", "request body must be a JSON object")
    return data


def body_too_large(size: int) -> SimError:
    return SimError(
        413,
        "BadRequest",
        f"request body is {size / 1024 / 1024:.1f} MB; the limit is 20 MB "
        "(send smaller or recompressed images)",
    )


def parse_official(endpoint: Endpoint, data: dict[str, Any]) -> WireRequest:
    """Take an `/ent/v2/<endpoint>` body apart (types only; limits come later)."""
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise field_errors([FieldError("model", "model: is required.", "FieldLacking")])
    return _parse_native(endpoint, model.strip(), data)


def parse_vtrix(data: dict[str, Any]) -> WireRequest:
    """Take a Vtrix `/model/v1/generation` body apart: the flat body of seed 003 only.

    Seed 003 documents the parameters next to `model` (`{"model":
    "viduq2_reference2image", "prompt": ..., "images": [...]}`). The gateway envelope
    `{"model": ..., "input": [{"params": {...}}]}` is seen only in third-party code for
    other models [VT-base], so it is refused: a client that sent it would meet a
    provider whose documents do not promise it.
    """
    vtrix_model = data.get("model")
    if not isinstance(vtrix_model, str) or not vtrix_model.strip():
        raise field_errors([FieldError("model", "model: is required.", "FieldLacking")])
    vtrix_model = vtrix_model.strip()
    if vtrix_model not in VTRIX_MODELS:
        known = ", ".join(VTRIX_MODELS)
        message = f"model: {vtrix_model!r} is not a Vtrix model id we know ({known})."
        raise field_errors([FieldError("model", message, "FieldInvalid")])
    if "input" in data:
        message = (
            "input: not accepted; send the parameters next to `model` "
            "(the flat body of the model's page)."
        )
        raise field_errors([FieldError("input", message, "FieldUnwanted")])
    if vtrix_model in _VTRIX_NEEDS_INPUTS and not data.get("images") and not data.get("subjects"):
        # The page says "0 to 7 images" (text-to-image with none), but its error table
        # has 008023001 "Images or subjects parameter missing (at least need to provide
        # one)" [S003]. The error table is the stricter documented behaviour, so it wins:
        # a client that relies on text-to-image here would be refused by the real thing.
        message = "images: at least one image or subject is needed for this model."
        error = field_errors([FieldError("images", message, "FieldLacking")])
        error.had_inputs = False
        raise error
    endpoint, model = VTRIX_MODELS[vtrix_model]
    wire = _parse_native(endpoint, model, {k: v for k, v in data.items() if k != "model"})
    wire.vtrix_model = vtrix_model
    return wire


def _parse_native(endpoint: Endpoint, model: str, data: dict[str, Any]) -> WireRequest:
    errors: list[FieldError] = []
    prompt = data.get("prompt", "")
    if prompt is None:
        prompt = ""
    if not isinstance(prompt, str):
        errors.append(FieldError("prompt", "prompt: must be a string.", "FieldInvalid"))
        prompt = ""
    images = _image_list(data.get("images"), "images", errors)
    subjects = _subjects(data.get("subjects"), errors)
    payload = data.get("payload") or ""
    if not isinstance(payload, str):
        errors.append(FieldError("payload", "payload: must be a string.", "FieldInvalid"))
        payload = ""
    elif len(payload) > MAX_PAYLOAD_CHARS:
        message = f"payload: at most {MAX_PAYLOAD_CHARS} characters (got {len(payload)})."
        errors.append(FieldError("payload", message, "FieldInvalid"))
    callback_url = data.get("callback_url") or ""
    if not isinstance(callback_url, str) or (
        callback_url
        and (urlsplit(callback_url).scheme not in ("http", "https") or len(callback_url) > 2048)
    ):
        message = "callback_url: must be an http(s) URL of at most 2048 characters."
        errors.append(FieldError("callback_url", message, "FieldInvalid"))
        callback_url = ""
    params = {
        key: _coerce(key, value)
        for key, value in data.items()
        if key not in _CORE_KEYS and value is not None
    }
    if errors:
        raise field_errors(errors)
    return WireRequest(
        endpoint=endpoint,
        model=model,
        prompt=prompt,
        images=images,
        subjects=subjects,
        params=params,
        payload=payload,
        callback_url=callback_url,
    )


def _coerce(key: str, value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if key in _INT_PARAMS and text.isascii() and text.lstrip("-").isdigit():
            return int(text)
        if key in _BOOL_PARAMS and text.lower() in ("true", "false"):
            return text.lower() == "true"
    return value


def _image_list(value: Any, name: str, errors: list[FieldError]) -> list[ImageRef]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(FieldError(name, f"{name}: must be a list of strings.", "FieldInvalid"))
        return []
    return [ImageRef(f"{name}[{index}]", item) for index, item in enumerate(value)]


def _subjects(value: Any, errors: list[FieldError]) -> list[tuple[str, list[ImageRef]]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append(
            FieldError("subjects", "subjects: must be a list of objects.", "FieldInvalid")
        )
        return []
    subjects = []
    for index, item in enumerate(value):
        # Older requests named subjects by `id` and mentioned them as `@1` [CN-copy].
        name = item.get("name", item.get("id", ""))
        if not isinstance(name, str | int):
            message = f"subjects[{index}].name: must be a string."
            errors.append(FieldError(f"subjects[{index}].name", message, "FieldInvalid"))
            name = ""
        images = _image_list(item.get("images"), f"subjects[{index}].images", errors)
        subjects.append((str(name), images))
    return subjects


def iso(moment: datetime | None) -> str:
    """Vidu's timestamps: ISO 8601 in UTC with a `Z` (e.g. 2025-01-01T15:41:31.968916Z)."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
