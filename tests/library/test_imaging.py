"""library.imaging: what gets in, what is refused and why, and what is kept of it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from library.imaging import ImageRejected, process_upload
from tests.factories import make_image, make_png
from tests.library.images import (
    HTML_PAYLOAD,
    jpeg_with_exif,
    png_bomb,
    png_html_polyglot,
    transparent_png,
)

REPO = Path(__file__).resolve().parents[2]


def rejection_of(content: bytes) -> str:
    with pytest.raises(ImageRejected) as refused:
        process_upload(io.BytesIO(content))
    return refused.value.message


def opened(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_png_jpeg_and_webp_are_accepted(fmt):
    processed = process_upload(io.BytesIO(make_image(300, 200, fmt=fmt)))

    assert (processed.width, processed.height) == (300, 200)
    assert opened(processed.content).size == (300, 200)


def test_an_opaque_image_is_stored_as_jpeg_and_a_transparent_one_as_png():
    opaque = process_upload(io.BytesIO(make_png(300, 300)))
    see_through = process_upload(io.BytesIO(transparent_png(alpha=0)))
    opaque_with_alpha_channel = process_upload(io.BytesIO(transparent_png(alpha=255)))

    assert opaque.content_type == "image/jpeg" and opened(opaque.content).format == "JPEG"
    assert see_through.content_type == "image/png" and opened(see_through.content).mode == "RGBA"
    assert opaque_with_alpha_channel.content_type == "image/jpeg"


def test_a_thumbnail_of_at_most_512_pixels_is_made():
    processed = process_upload(io.BytesIO(make_image(2000, 1000, fmt="JPEG")))

    thumbnail = opened(processed.thumbnail)
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (512, 256)


def test_exif_orientation_is_applied_and_metadata_dropped():
    content = jpeg_with_exif(400, 200, orientation=6, comment="GPS secret location")

    processed = process_upload(io.BytesIO(content))

    stored = opened(processed.content)
    assert stored.size == (200, 400)  # rotated upright
    assert b"GPS secret location" not in processed.content
    assert not stored.getexif()
    # Orientation 6 turns the marked top-left corner into the top-right corner.
    assert stored.getpixel((195, 5))[0] > 200 and stored.getpixel((195, 5))[1] < 80


def test_a_png_html_polyglot_loses_its_html():
    processed = process_upload(io.BytesIO(png_html_polyglot()))

    assert HTML_PAYLOAD not in processed.content
    assert b"<script" not in processed.content and b"<html" not in processed.content
    assert b"<script" not in processed.thumbnail


def test_the_same_picture_with_different_metadata_gets_the_same_hash():
    plain = jpeg_with_exif(300, 300, orientation=1, comment="one")
    other_comment = jpeg_with_exif(300, 300, orientation=1, comment="two")

    assert plain != other_comment
    first, second = process_upload(io.BytesIO(plain)), process_upload(io.BytesIO(other_comment))
    assert first.sha256 == second.sha256


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (make_image(256, 256, fmt="GIF"), "GIF is not supported. Use PNG, JPEG or WebP."),
        (make_image(256, 256, fmt="BMP"), "BMP is not supported. Use PNG, JPEG or WebP."),
        (make_image(256, 256, fmt="TIFF"), "TIFF is not supported. Use PNG, JPEG or WebP."),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
            "SVG is not supported. Use PNG, JPEG or WebP.",
        ),
        (b"<svg onload=alert(1)>", "SVG is not supported"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "not an image"),
        (b"%PDF-1.7\n...", "PDF is not supported"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "HEIC is not supported"),
        (b"just some text", "not a supported image. Use PNG, JPEG or WebP."),
        (b"", "The file is empty."),
    ],
    ids=["gif", "bmp", "tiff", "svg", "svg-bare", "html", "pdf", "heic", "text", "empty"],
)
def test_other_formats_are_refused_by_content_with_what_is_allowed(content, expected):
    assert expected in rejection_of(content)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_truncated_file_is_refused_as_damaged(fmt):
    content = make_image(600, 600, fmt=fmt, color=(1, 2, 3))
    noisy = Image.effect_noise((600, 600), 60).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format=fmt)
    content = buffer.getvalue()

    message = rejection_of(content[: len(content) // 2])

    assert "damaged or incomplete" in message


def test_a_header_alone_is_refused_as_damaged():
    assert "damaged or incomplete" in rejection_of(make_png(300, 300)[:40])


def test_a_tiny_image_is_refused_with_the_minimum():
    message = rejection_of(make_png(100, 300))

    assert message == "The image is 100×300 pixels; images must be at least 128×128."


@pytest.mark.parametrize(("width", "height"), [(1000, 200), (200, 1000)])
def test_an_extreme_aspect_ratio_is_refused(width, height):
    assert "aspect ratio must be between 1:4 and 4:1" in rejection_of(make_png(width, height))


@pytest.mark.parametrize(("width", "height"), [(800, 200), (200, 800), (128, 128)])
def test_the_limits_themselves_are_accepted(width, height):
    assert process_upload(io.BytesIO(make_png(width, height))).width == width


def test_more_than_40_megapixels_is_refused_before_decoding():
    message = rejection_of(png_bomb(8000, 6000))

    assert message.startswith("The image is 8000×6000 pixels, too large to process")
    assert "40 megapixels" in message


def test_a_decompression_bomb_is_refused_with_a_clear_message():
    assert "40 megapixels" in rejection_of(png_bomb(20_000, 20_000))


def test_more_than_50_mb_is_refused_without_reading_it():
    big = io.BytesIO(make_png(300, 300))
    big.size = 51 * 1024 * 1024

    assert rejection_of_file(big) == "The file is 51 MB; images can be at most 50 MB."


def rejection_of_file(file) -> str:
    with pytest.raises(ImageRejected) as refused:
        process_upload(file)
    return refused.value.message


def test_processing_the_bomb_allocates_little_python_memory():
    bomb = png_bomb()
    tracemalloc.start()
    try:
        with pytest.raises(ImageRejected):
            process_upload(io.BytesIO(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 50 * 1024 * 1024


# tracemalloc cannot see Pillow's pixel buffers (they come from C malloc), so the real
# bound is measured as the peak resident size of a fresh process.
PEAK_RSS_SCRIPT = textwrap.dedent(
    """
    import io, json, resource, sys
    sys.path.insert(0, {repo!r})
    from library.imaging import ImageRejected, process_upload
    from tests.library.images import png_bomb
    bomb = png_bomb({width}, {height})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        process_upload(io.BytesIO(bomb))
        outcome = "accepted"
    except ImageRejected as refused:
        outcome = refused.message
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"grew_kb": after - before, "outcome": outcome}}))
    """
)


def peak_growth_of_processing(width: int, height: int) -> dict:
    script = PEAK_RSS_SCRIPT.format(repo=str(REPO), width=width, height=height)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout)


def test_the_bomb_is_refused_without_the_memory_decoding_would_take():
    measured = peak_growth_of_processing(20_000, 20_000)

    # Decoding it would take 400 MB (one byte per pixel); refusing takes next to nothing.
    assert "40 megapixels" in measured["outcome"]
    assert measured["grew_kb"] < 50 * 1024
