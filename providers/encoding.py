"""Putting images on the wire: data URIs, and keeping a request under Vidu's body limit.

Vidu takes images inline as base64 data URIs and refuses an HTTP body over 20 MB
(vidu-api.md §2). `fit_body_budget` downscales and recompresses a request's images
until its JSON body fits, the way designers' large PNGs have to be tamed anyway
(the r2v notes report create timeouts with large PNGs that compressed JPEGs fixed).
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math

from PIL import Image

from providers.base import GenerationRequest, ImageInput, SubjectInput

BODY_BUDGET = 20 * 1024 * 1024
MIN_SIDE = 128
# Room for what a dialect adds around our fields (Vtrix's `input[].params` wrapper,
# watermark fields, ...).
BODY_SLACK = 1024
# Each step re-encodes from the original, so losses never compound. Quality first,
# then size: a designer's reference keeps its detail as long as it can.
_LONG_SIDES: tuple[int | None, ...] = (None, 4096, 3072, 2048, 1536, 1024, 768, 512, 384, 256)
_QUALITIES = (85, 70)


class BodyTooLarge(ValueError):
    """The request cannot be brought under the body budget; `over_bytes` says by how much."""

    def __init__(self, message: str, *, over_bytes: int) -> None:
        super().__init__(message)
        self.over_bytes = over_bytes


def to_data_uri(image: ImageInput) -> str:
    """`data:<type>;base64,<data>`, the inline form every Vidu endpoint accepts."""
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def _data_uri_length(image: ImageInput) -> int:
    return len(f"data:{image.content_type};base64,") + 4 * math.ceil(len(image.data) / 3)


def estimated_body_bytes(request: GenerationRequest) -> int:
    """The size of the create call's JSON body, without base64-encoding the images.

    Errs high: non-ASCII text is counted as `\\uXXXX` escapes, and a little slack
    covers fields a dialect adds.
    """
    skeleton = {
        "model": request.model,
        "prompt": request.prompt,
        "images": ["" for _ in request.images],
        "subjects": [
            {"name": subject.name, "images": ["" for _ in subject.images]}
            for subject in request.subjects
        ],
        "payload": request.payload,
        "callback_url": request.callback_url or "",
        **request.params,
    }
    text = json.dumps(skeleton, default=str)
    images = _all_images(request)
    return len(text.encode()) + sum(_data_uri_length(image) for image in images) + BODY_SLACK


def _all_images(request: GenerationRequest) -> list[ImageInput]:
    return [*request.images, *(image for subject in request.subjects for image in subject.images)]


def _shrink(image: ImageInput, long_side: int | None) -> Image.Image:
    """The image decoded, at most `long_side` long but never under MIN_SIDE, same shape."""
    with Image.open(io.BytesIO(image.data)) as source:
        picture = source.convert("RGBA") if _has_alpha(source) else source.convert("RGB")
    width, height = picture.size
    scale = 1.0
    if long_side is not None and max(width, height) > long_side:
        scale = long_side / max(width, height)
    # Vidu refuses images under 128 px: shrink no further than the short side allows.
    scale = max(scale, min(1.0, MIN_SIDE / min(width, height)))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    if picture.mode == "RGBA":
        # JPEG has no transparency; white is what a designer's transparent PNG shows on.
        background = Image.new("RGB", picture.size, (255, 255, 255))
        background.paste(picture, mask=picture.getchannel("A"))
        picture = background
    return picture


def _jpeg(picture: Image.Image, quality: int) -> ImageInput:
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=quality, optimize=True)
    width, height = picture.size
    return ImageInput(data=buffer.getvalue(), content_type="image/jpeg", width=width, height=height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _with_images(request: GenerationRequest, replace: dict[int, ImageInput]) -> GenerationRequest:
    """`request` with images swapped by identity (`id()` of the original ImageInput)."""

    def swap(images: tuple[ImageInput, ...]) -> tuple[ImageInput, ...]:
        return tuple(replace.get(id(image), image) for image in images)

    subjects = tuple(
        SubjectInput(name=subject.name, images=swap(subject.images)) for subject in request.subjects
    )
    return dataclasses.replace(request, images=swap(request.images), subjects=subjects)


def fit_body_budget(
    request: GenerationRequest, *, budget_bytes: int = BODY_BUDGET
) -> GenerationRequest:
    """`request` itself if its body fits `budget_bytes`, else one with smaller images.

    Images are re-encoded as JPEG at falling quality, then at shorter long sides,
    largest first, keeping their aspect ratio and at least 128 px on the short side;
    an image is only replaced when that makes it smaller. Raises `BodyTooLarge` when
    even the smallest encoding does not fit.
    """
    size = estimated_body_bytes(request)
    if size <= budget_bytes:
        return request
    originals = sorted(_all_images(request), key=lambda image: len(image.data), reverse=True)
    current = {id(image): image for image in originals}
    for long_side in _LONG_SIDES:
        for quality in _QUALITIES:
            # Largest first, stopping as soon as it fits: small images stay untouched.
            for image in originals:
                encoded = _jpeg(_shrink(image, long_side), quality)
                if len(encoded.data) >= len(current[id(image)].data):
                    continue
                current[id(image)] = encoded
                candidate = _with_images(request, current)
                size = estimated_body_bytes(candidate)
                if size <= budget_bytes:
                    return candidate
    over = size - budget_bytes
    raise BodyTooLarge(
        f"The request body would be {_megabytes(size)} even with every image shrunk as far "
        f"as Vidu allows; the limit is {_megabytes(budget_bytes)}, {_megabytes(over)} over. "
        "Use fewer images or a shorter prompt or payload.",
        over_bytes=over,
    )


def _megabytes(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"
