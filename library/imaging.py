"""Checking and re-encoding images people upload.

Every image that enters the studio from a person (subject references now, extra
generation inputs later) goes through `process_upload`. It trusts nothing about the
file: the format is read from the content, the size from the header before any pixel
is decoded, and what is kept is a fresh encoding of the pixels alone, so metadata,
trailing payloads (PNG+HTML polyglots) and odd encoder tricks do not survive.

No Django here: the module works on bytes and file objects, so it can be tested and
measured on its own.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps

from providers import media

MAX_BYTES = 50 * 1024 * 1024
# Checked against the header before decoding: 40 MP of RGBA is 160 MB of pixels, the
# most we are willing to hold for one upload.
MAX_PIXELS = 40_000_000
MIN_SIDE = 128
MAX_ASPECT = 4  # 1:4 to 4:1, as Vidu accepts
THUMBNAIL_SIDE = 512
JPEG_QUALITY = 92
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")
ALLOWED_TEXT = "Use PNG, JPEG or WebP."

# Names for what people commonly try instead, recognised by their first bytes.
_OTHER_FORMATS = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
)


class ImageRejected(Exception):
    """The upload is not an image we accept; `message` says what is wrong and what is allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    # Of the re-encoded file: our encoder is deterministic, so the same pixels give the
    # same hash whatever metadata or trailing bytes the original carried.
    sha256: str
    thumbnail: bytes
    thumbnail_content_type: str
    thumbnail_extension: str


def check_upload(file: BinaryIO) -> None:
    """Everything that can be told without decoding a pixel: bytes, format, and the
    dimensions the header declares. Raises ImageRejected; cheap enough to run before
    waiting for a turn at decoding (library.services bounds those per process)."""
    with _opened(file) as image:
        _check_dimensions(*image.size)


def process_upload(file: BinaryIO) -> ProcessedImage:
    """Check an uploaded image and re-encode it; raises ImageRejected with a clear message.

    A 40-megapixel image is 160 MB of pixels once decoded (Pillow keeps RGB in 4 bytes):
    the work keeps one full-size copy of them at a time (transposed in place, converted
    only when not RGB already, the thumbnail made from a reduced image).
    """
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns below its error threshold: treat both as refusals.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _opened(file) as image:
            _check_dimensions(*image.size)
            try:
                image.load()
                pixels = _normalised(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageRejected(_too_many_pixels_message()) from None
            except Exception:
                raise ImageRejected(
                    "The image could not be read: the file looks damaged or incomplete. "
                    "Export it again as PNG, JPEG or WebP."
                ) from None
            # Rotation by EXIF can swap the sides; the checks hold either way, but recheck.
            _check_dimensions(*pixels.size)
            # Inside: `pixels` may be the opened image itself, whose pixels closing frees.
            return _encode(pixels)


@contextmanager
def _opened(file: BinaryIO) -> Iterator[Image.Image]:
    """The image with its header read (no pixels yet), once size and format are right."""
    size = _size_of(file)
    if size > MAX_BYTES:
        raise ImageRejected(
            f"The file is {size / 1024 / 1024:.0f} MB; images can be at most 50 MB."
        )
    if size == 0:
        raise ImageRejected(f"The file is empty. {ALLOWED_TEXT}")
    file.seek(0)
    head = file.read(512)
    file.seek(0)
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns below its error threshold: treat both as refusals.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(_too_many_pixels_message()) from None
        except Exception:
            # Not one of our formats, or a header Pillow cannot parse.
            raise ImageRejected(_unsupported_message(head)) from None
    with image:
        yield image


def _size_of(file: BinaryIO) -> int:
    size = getattr(file, "size", None)
    if size is None:
        size = file.seek(0, io.SEEK_END)
    return int(size)


def _check_dimensions(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageRejected(
            f"The image is {width}×{height} pixels, too large to process; "
            f"images can be at most 40 megapixels (for example 7000×5700)."
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageRejected(
            f"The image is {width}×{height} pixels; images must be at least {MIN_SIDE}×{MIN_SIDE}."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageRejected(
            f"The image is {width}×{height} pixels, too long and thin; "
            "the aspect ratio must be between 1:4 and 4:1."
        )


def _too_many_pixels_message() -> str:
    return "The image has too many pixels to process; images can be at most 40 megapixels."


def _unsupported_message(head: bytes) -> str:
    for magic, name in _OTHER_FORMATS:
        if head.startswith(magic):
            return f"{name} is not supported. {ALLOWED_TEXT}"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return f"HEIC is not supported. {ALLOWED_TEXT}"
        if brand in (b"avif", b"avis"):
            return f"AVIF is not supported. {ALLOWED_TEXT}"
        return f"Videos are not supported here. {ALLOWED_TEXT}"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text or (text.startswith(b"<?xml") and b"svg" in text):
        return f"SVG is not supported. {ALLOWED_TEXT}"
    if text.startswith((b"<!doctype html", b"<html", b"<")):
        return f"This is a web page or text file, not an image. {ALLOWED_TEXT}"
    if media.sniff(head) in media.IMAGE_TYPES:
        return "The image could not be read: the file looks damaged or incomplete. " + (
            "Export it again as PNG, JPEG or WebP."
        )
    return f"This file is not a supported image. {ALLOWED_TEXT}"


def _normalised(image: Image.Image) -> Image.Image:
    """Upright RGB, or RGBA when some pixel is actually transparent."""
    # Animated PNG/WebP: the first frame is the reference (Image.open is positioned on it).
    # In place: without it, exif_transpose returns a full copy even with nothing to turn.
    ImageOps.exif_transpose(image, in_place=True)
    upright = image
    if upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        rgba = upright.convert("RGBA")
        if rgba.getchannel("A").getextrema() != (255, 255):
            return rgba
        return rgba.convert("RGB")
    if upright.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits before colour conversion.
        upright = upright.point(lambda value: value / 256).convert("L")
    return upright if upright.mode == "RGB" else upright.convert("RGB")


def _encode(pixels: Image.Image) -> ProcessedImage:
    # Transparency matters for subjects cut out of their background, so it stays PNG
    # (lossless); everything opaque becomes a high-quality JPEG (4:4:4), which every
    # Vidu reseller accepts and keeps photos small enough for the 20 MB request budget.
    out = io.BytesIO()
    if pixels.mode == "RGBA":
        pixels.save(out, format="PNG", optimize=False, compress_level=6)
        content_type, extension = "image/png", "png"
    else:
        pixels.save(out, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
        content_type, extension = "image/jpeg", "jpg"
    content = out.getvalue()

    # From a copy reduced by a whole factor (still at least twice the thumbnail's size,
    # as thumbnail()'s own reducing gap keeps it), not from a full-size copy.
    factor = max(1, min(pixels.width, pixels.height) // (2 * THUMBNAIL_SIDE))
    thumb = pixels.reduce(factor) if factor > 1 else pixels.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="WEBP", quality=82, method=4)
    return ProcessedImage(
        content=content,
        content_type=content_type,
        extension=extension,
        width=pixels.width,
        height=pixels.height,
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=thumb_out.getvalue(),
        thumbnail_content_type="image/webp",
        thumbnail_extension="webp",
    )
