"""Deterministic real media for the Vidu simulator: stills, MP4 clips and their covers.

Every function here is pure: the same prompt, seed, size and input images give
byte-identical output on the same Pillow, FFmpeg and x264 builds. Nothing reads the
clock, the environment or Python's per-process ``hash()``. Images carry no EXIF or
text chunks; clips carry no creation time (only x264's usual settings note).

Text uses Pillow's bundled font (Aileron, Latin only), so it looks the same on every
machine; characters outside it (CJK, for instance) render as boxes.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypedDict

import av
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from providers.media import HEAD_BYTES, sniff

# The "p" number is the short side. For 2K and 4K we follow the usual consumer
# convention (QHD 2560×1440 and UHD 3840×2160 at 16:9), i.e. 1440 and 2160 short side.
RESOLUTIONS: dict[str, int] = {
    "360p": 360,
    "540p": 540,
    "720p": 720,
    "1080p": 1080,
    "2K": 1440,
    "4K": 2160,
}
ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "16:9": (16, 9),
    "9:16": (9, 16),
    "1:1": (1, 1),
    "3:4": (3, 4),
    "4:3": (4, 3),
    "21:9": (21, 9),
    "2:3": (2, 3),
    "3:2": (3, 2),
}
# Images with at least this short side (2K and 4K) are JPEG: a photographic 4K PNG
# runs to well over 10 MB.
JPEG_MIN_SHORT_SIDE = 1440
MAX_SIDE = 8192
MAX_REFERENCES = 7  # the most any Vidu endpoint accepts

_RGB = tuple[int, int, int]
# How far the Ken Burns move zooms in: the base image is rendered this much larger.
_ZOOM = 1.12
_UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


class VideoInfo(TypedDict):
    duration: float  # seconds
    width: int
    height: int
    codec: str  # FFmpeg's name, "h264" for ours
    frames: int
    fps: float
    pix_fmt: str


def output_size(
    resolution: str, aspect_ratio: str, *, first_image_size: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Return the (width, height) in pixels that Vidu would deliver.

    ``resolution`` names the short side (``RESOLUTIONS``); ``aspect_ratio`` is one of
    ``ASPECT_RATIOS`` or ``auto``, which follows ``first_image_size`` (16:9 without
    one). Both sides are even because H.264 in yuv420p needs them to be. Raises
    ValueError for names Vidu does not document.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(
            f"unknown resolution {resolution!r}; expected one of {', '.join(RESOLUTIONS)}"
        )
    short = RESOLUTIONS[resolution]
    if aspect_ratio == "auto":
        ratio = 16 / 9
        if first_image_size and min(first_image_size) > 0:
            # Clamp to the widest documented ratio so a banner-shaped image cannot ask
            # for a 20 000-pixel frame.
            ratio = min(max(first_image_size[0] / first_image_size[1], 9 / 21), 21 / 9)
    elif aspect_ratio in ASPECT_RATIOS:
        across, down = ASPECT_RATIOS[aspect_ratio]
        ratio = across / down
    else:
        raise ValueError(
            f"unknown aspect ratio {aspect_ratio!r}; "
            f"expected one of {', '.join(ASPECT_RATIOS)} or auto"
        )
    if ratio >= 1:
        return _even(short * ratio), short
    return short, _even(short / ratio)


def render_image(
    *, prompt: str, seed: int, width: int, height: int, references: Sequence[bytes] = ()
) -> bytes:
    """Render a still for ``prompt`` and ``seed``: PNG, or JPEG from 2K up.

    The format is PNG when the short side is below ``JPEG_MIN_SHORT_SIDE`` (1440) and
    baseline JPEG (quality 90) from there on; ``content_type()`` tells them apart.
    Up to seven ``references`` are laid out as a collage over a blurred backdrop of the
    first one; without references the seed paints a small landscape. The prompt sits
    in a panel at the bottom and a "Vidu simulator · seed N" caption at the top left.
    References that Pillow cannot decode are ignored: the simulator validates inputs
    when a task is created, and a fake should still show something.
    """
    _check_size(width, height)
    image = _compose(prompt, seed, width, height, references, with_text=True)
    buffer = io.BytesIO()
    if min(width, height) >= JPEG_MIN_SHORT_SIDE:
        image.save(buffer, format="JPEG", quality=90)
    else:
        # Level 3 is about twice as fast as the default for a few percent more bytes.
        image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def render_video(
    *,
    prompt: str,
    seed: int,
    width: int,
    height: int,
    duration: float,
    fps: int = 24,
    start_image: bytes | None = None,
    end_image: bytes | None = None,
    references: Sequence[bytes] = (),
) -> bytes:
    """Render an MP4 clip; see ``render_video_with_cover`` for what it shows."""
    video, _cover = render_video_with_cover(
        prompt=prompt,
        seed=seed,
        width=width,
        height=height,
        duration=duration,
        fps=fps,
        start_image=start_image,
        end_image=end_image,
        references=references,
    )
    return video


def render_video_with_cover(
    *,
    prompt: str,
    seed: int,
    width: int,
    height: int,
    duration: float,
    fps: int = 24,
    start_image: bytes | None = None,
    end_image: bytes | None = None,
    references: Sequence[bytes] = (),
) -> tuple[bytes, bytes]:
    """Render an MP4 clip and a JPEG cover; return ``(mp4_bytes, jpeg_bytes)``.

    The clip is H.264 (libx264, yuv420p, BT.709, faststart) at exactly ``width`` ×
    ``height`` with ``round(duration * fps)`` frames. It slowly zooms and pans over
    ``start_image`` (cover-cropped; the first frame shows all of it), or over a
    still composed from ``references`` and the seed, and cross-fades to
    ``end_image`` when one is given (the last frame shows all of it). A caption, the
    prompt, a timecode and a progress bar are drawn on top. The cover is the first
    frame without that overlay, as Vidu's covers carry none. Undecodable images are
    treated as absent.

    x264 runs with a fixed thread count, so the bytes do not depend on the machine's
    core count.
    """
    _check_size(width, height)
    if width % 2 or height % 2:
        raise ValueError(f"video sides must be even for H.264, got {width}×{height}")
    if not 0 < duration <= 60:
        raise ValueError(f"duration must be in (0, 60] seconds, got {duration}")
    if not 1 <= fps <= 60:
        raise ValueError(f"fps must be in [1, 60], got {fps}")

    frame_count = max(1, round(duration * fps))
    rng = _rng(seed, prompt, "video")
    big = (round(width * _ZOOM), round(height * _ZOOM))
    start = _open_image(start_image, big) if start_image else None
    end = _open_image(end_image, big) if end_image else None

    size = (width, height)
    if start is not None:
        first = _Move.zoom_in(rng)
        base_a = ImageOps.fit(start, big, method=Image.Resampling.BICUBIC)
    else:
        # No start frame to honour, so the still may zoom either way.
        first = _Move.zoom_in(rng) if rng.random() < 0.5 else _Move.zoom_in(rng).reversed()
        base_a = _compose(prompt, seed, *big, references, with_text=False)
    last = _Move.zoom_in(rng).reversed()
    base_b = ImageOps.fit(end, big, method=Image.Resampling.BICUBIC) if end else None

    def picture(index: int) -> Image.Image:
        t = index / (frame_count - 1) if frame_count > 1 else 0.0
        if base_b is None:
            return first.frame(base_a, size, t)
        # The fade fills the middle half so both ends are held briefly.
        alpha = _ease(min(max((t - 0.25) / 0.5, 0.0), 1.0))
        if alpha <= 0:
            return first.frame(base_a, size, t)
        if alpha >= 1:
            return last.frame(base_b, size, t)
        return Image.blend(first.frame(base_a, size, t), last.frame(base_b, size, t), alpha)

    overlay = _Overlay.build(prompt, seed, width, height, frame_count, fps)
    cover = io.BytesIO()

    def frames() -> Iterator[Image.Image]:
        for index, frame in enumerate(_prefetch(picture, frame_count)):
            if index == 0:
                frame.save(cover, format="JPEG", quality=88)
            overlay.paint(frame, index, index / (frame_count - 1) if frame_count > 1 else 0.0)
            yield frame

    video = _encode_mp4(frames(), width, height, fps)
    return video, cover.getvalue()


def _prefetch(
    make: Callable[[int], Image.Image], count: int, *, workers: int = 2, ahead: int = 4
) -> Iterator[Image.Image]:
    """Yield ``make(0) … make(count - 1)`` in order, computing a few ahead in threads.

    Pillow and x264 release the GIL, so resizing the next frames overlaps encoding
    this one: about twice as fast on two cores. ``make`` must be pure for the output
    to stay deterministic; the window bounds memory to a handful of frames.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[Image.Image]] = deque()
        for index in range(count):
            pending.append(pool.submit(make, index))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def probe_video(data: bytes) -> VideoInfo:
    """Describe the first video stream of ``data`` (any container FFmpeg reads).

    Raises ``av.error.InvalidDataError`` (a ValueError) for bytes that are not media.
    """
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        frames = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
        return VideoInfo(
            duration=duration,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            frames=frames,
            fps=float(stream.average_rate or 0),
            pix_fmt=stream.codec_context.pix_fmt,
        )


def content_type(data: bytes) -> str:
    """The media type of bytes made here: image/png, image/jpeg or video/mp4."""
    return sniff(data[:HEAD_BYTES]) or "application/octet-stream"


# --- composition ---------------------------------------------------------------------


def _compose(
    prompt: str,
    seed: int,
    width: int,
    height: int,
    references: Sequence[bytes],
    *,
    with_text: bool,
) -> Image.Image:
    rng = _rng(seed, prompt, "image")
    palette = _palette(rng)
    short = min(width, height)
    refs = [
        image
        for data in references[:MAX_REFERENCES]
        if (image := _open_image(data, (width, height))) is not None
    ]
    if refs:
        canvas = _backdrop(refs[0], palette, width, height)
    else:
        canvas = _landscape(rng, palette, width, height)
    _vignette(canvas)

    margin = round(short * 0.05)
    # Without text this is a video still: keep the cards clear of the video's subtitle.
    panel_top = height - round(short * 0.16)
    if with_text:
        panel_top = _prompt_panel(canvas, prompt, margin)
        _caption(canvas, f"Vidu simulator · seed {seed}", margin)
    if refs:
        top = margin * 2 + round(short * 0.03)
        _collage(canvas, refs, rng, (margin, top, width - margin, panel_top - margin))
    return canvas


def _palette(rng: random.Random) -> list[_RGB]:
    """Dark, mid and bright shades of a seeded hue, plus a light and an accent colour
    from a contrasting hue (complementary, split or analogous) for sun and horizon."""
    hue = rng.random()
    contrast = rng.choice((0.5, 0.42, 0.58, 0.12, -0.12))

    def hls(offset: float, lightness: float, saturation: float) -> _RGB:
        r, g, b = colorsys.hls_to_rgb((hue + offset) % 1.0, lightness, saturation)
        return round(r * 255), round(g * 255), round(b * 255)

    return [
        hls(0.0, 0.12, 0.45),
        hls(0.03, 0.32, 0.5),
        hls(0.06, 0.55, 0.6),
        hls(contrast, 0.88, 0.9),
        hls(contrast, 0.62, 0.75),
    ]


def _gradient(corners: Sequence[_RGB], width: int, height: int) -> Image.Image:
    """A smooth four-corner gradient (top-left, top-right, bottom-left, bottom-right)."""
    tiny = Image.new("RGB", (2, 2))
    tiny.putdata(list(corners))
    # Resizing 2×2 with a box at the pixel centres makes the corners exact.
    return tiny.resize((width, height), Image.Resampling.BILINEAR, box=(0.5, 0.5, 1.5, 1.5))


def _landscape(rng: random.Random, palette: list[_RGB], width: int, height: int) -> Image.Image:
    """A flat-illustration scene: sky, glowing sun, rings, stars and layered hills."""
    dark, mid, bright, light, accent = palette
    # Supersample for anti-aliased edges where memory allows; 4K is fine without.
    scale = 2 if max(width, height) <= 2048 else 1
    w, h = width * scale, height * scale
    short = min(w, h)
    horizon = _mix(mid, accent, 0.65)
    sky = _gradient([_mix(dark, mid, 0.4), dark, horizon, _mix(horizon, mid, 0.5)], w, h)
    draw = ImageDraw.Draw(sky, "RGBA")

    for _ in range(rng.randint(25, 45)):
        x, y = rng.uniform(0, w), rng.uniform(0, h * 0.5)
        r = rng.uniform(0.6, 2.2) * short / 540
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*light, rng.randint(70, 200)))

    sun_x, sun_y = rng.uniform(0.25, 0.75) * w, rng.uniform(0.22, 0.4) * h
    sun_r = rng.uniform(0.1, 0.17) * short
    _glow(sky, (sun_x / w, sun_y / h), sun_r * 2.8 / short, accent, 170)
    for ring in range(rng.randint(1, 3)):
        r = sun_r * (1.35 + 0.3 * ring)
        draw.ellipse(
            (sun_x - r, sun_y - r, sun_x + r, sun_y + r),
            outline=(*light, 110 - 25 * ring),
            width=max(1, round(short * 0.004)),
        )
    draw.ellipse((sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=light)

    layers = 4
    for layer in range(layers):
        depth = layer / (layers - 1)
        base = h * (0.52 + 0.12 * layer)
        amplitude = short * (0.07 - 0.012 * layer)
        waves = [(rng.uniform(1.0, 3.5), rng.uniform(0, math.tau)) for _ in range(3)]
        points = [(0.0, float(h))]
        for step in range(65):
            x = w * step / 64
            y = base - amplitude * sum(
                math.sin(x / w * math.tau * freq + phase) / (i + 1)
                for i, (freq, phase) in enumerate(waves)
            )
            points.append((x, y))
        points.append((float(w), float(h)))
        colour = _mix(_mix(bright, accent, 0.2), dark, 0.15 + depth * 0.8)
        draw.polygon(points, fill=colour)

    return sky.reduce(scale) if scale > 1 else sky


def _backdrop(ref: Image.Image, palette: list[_RGB], width: int, height: int) -> Image.Image:
    """The first reference, blurred and tinted with the palette, filling the frame."""
    # Blurring a 1/16 thumbnail and scaling up is far cheaper than blurring full size.
    small = (max(1, width // 16), max(1, height // 16))
    blurred = ImageOps.fit(ref, small, method=Image.Resampling.BILINEAR)
    blurred = blurred.filter(ImageFilter.GaussianBlur(max(1, min(small) / 12)))
    blurred = blurred.resize((width, height), Image.Resampling.BICUBIC)
    tint = _gradient([palette[1], palette[0], palette[2], palette[1]], width, height)
    return Image.blend(blurred, tint, 0.3)


def _collage(
    canvas: Image.Image,
    refs: list[Image.Image],
    rng: random.Random,
    area: tuple[int, int, int, int],
) -> None:
    """Lay the references out as slightly tilted white-bordered cards in ``area``."""
    left, top, right, bottom = area
    if right - left < 16 or bottom - top < 16:
        return
    ratios = [min(max(ref.width / ref.height, 0.6), 1.8) for ref in refs]
    gap = round(min(canvas.size) * 0.03)

    # Try one to three rows and keep the layout with the largest cards.
    best: tuple[float, list[list[int]]] = (0.0, [])
    for row_count in range(1, min(3, len(refs)) + 1):
        per_row = math.ceil(len(refs) / row_count)
        rows = [list(range(i, min(i + per_row, len(refs)))) for i in range(0, len(refs), per_row)]
        card_h = (bottom - top - gap * (len(rows) - 1)) / len(rows)
        for row in rows:
            room = right - left - gap * (len(row) - 1)
            card_h = min(card_h, room / sum(ratios[i] for i in row))
        if card_h > best[0]:
            best = (card_h, rows)
    card_h, rows = best
    card_h *= 0.94  # room for the tilt
    if card_h < 8:
        return

    border = max(2, round(card_h * 0.025))
    shadow = Image.new("L", canvas.size, 0)
    cards: list[tuple[Image.Image, tuple[int, int]]] = []
    y = top + (bottom - top - card_h * len(rows) - gap * (len(rows) - 1)) / 2
    for row in rows:
        row_w = sum(ratios[i] * card_h for i in row) + gap * (len(row) - 1)
        x = left + (right - left - row_w) / 2
        for i in row:
            card_w = ratios[i] * card_h
            card = _card(refs[i], round(card_w), round(card_h), border, rng.uniform(-3.5, 3.5))
            cx, cy = x + card_w / 2, y + card_h / 2
            position = (round(cx - card.width / 2), round(cy - card.height / 2))
            offset = round(card_h * 0.03)
            shadow.paste(255, (position[0], position[1] + offset), card.getchannel("A"))
            cards.append((card, position))
            x += card_w + gap
        y += card_h + gap

    shadow = _soft(shadow, card_h * 0.05).point(lambda v: v * 0.55)
    canvas.paste((0, 0, 0), (0, 0), shadow)
    for card, position in cards:
        canvas.paste(card, position, card)


def _card(ref: Image.Image, width: int, height: int, border: int, angle: float) -> Image.Image:
    card = Image.new("RGBA", (width, height), (250, 250, 247, 255))
    inner = (max(1, width - 2 * border), max(1, height - 2 * border))
    card.paste(ImageOps.fit(ref, inner, method=Image.Resampling.BICUBIC), (border, border))
    mask = Image.new("L", (width * 2, height * 2), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, width * 2 - 1, height * 2 - 1), radius=border * 3, fill=255
    )
    card.putalpha(mask.reduce(2))
    return card.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)


def _vignette(canvas: Image.Image) -> None:
    # radial_gradient is 0 at the centre and 255 at the edge; darken only the rim.
    rim = Image.radial_gradient("L").resize(canvas.size, Image.Resampling.BILINEAR)
    canvas.paste((0, 0, 0), (0, 0), rim.point(lambda v: max(0, v - 120) * 0.6))


def _glow(
    canvas: Image.Image, centre: tuple[float, float], radius: float, colour: _RGB, strength: int
) -> None:
    """A soft light at ``centre`` (fractions of the canvas), radius as a short-side share."""
    small_w, small_h = max(4, canvas.width // 16), max(4, canvas.height // 16)
    r = radius * min(small_w, small_h)
    x, y = centre[0] * small_w, centre[1] * small_h
    mask = Image.new("L", (small_w, small_h), 0)
    ImageDraw.Draw(mask).ellipse((x - r / 2, y - r / 2, x + r / 2, y + r / 2), fill=strength)
    mask = mask.filter(ImageFilter.GaussianBlur(r / 3))
    canvas.paste(colour, (0, 0), mask.resize(canvas.size, Image.Resampling.BICUBIC))


def _prompt_panel(canvas: Image.Image, prompt: str, margin: int) -> int:
    """Draw the prompt on a frosted panel at the bottom; return the panel's top edge."""
    width, height = canvas.size
    short = min(width, height)
    size = max(12, round(short * 0.04))
    font = _font(size)
    pad = round(size * 0.7)
    max_lines = 3 if width >= height else 5
    lines = _wrap(prompt.strip() or "(no prompt)", font, width - 2 * margin - 2 * pad, max_lines)
    line_h = round(size * 1.3)
    box = (margin, height - margin - len(lines) * line_h - 2 * pad, width - margin, height - margin)
    _frost(canvas, box, radius=round(size * 0.5), darken=0.5)
    draw = ImageDraw.Draw(canvas)
    for n, line in enumerate(lines):
        draw.text(
            (box[0] + pad, box[1] + pad + n * line_h + line_h / 2),
            line,
            font=font,
            fill=(255, 255, 255),
            anchor="lm",
        )
    return box[1]


def _caption(canvas: Image.Image, text: str, margin: int) -> None:
    size = max(11, round(min(canvas.size) * 0.022))
    font = _font(size)
    pad = round(size * 0.6)
    text_w = font.getlength(text)
    box = (margin, margin, round(margin + text_w + 2 * pad + size), margin + size + 2 * pad)
    _frost(canvas, box, radius=(box[3] - box[1]) // 2, darken=0.45)
    draw = ImageDraw.Draw(canvas)
    dot = size * 0.22
    cx, cy = box[0] + pad + dot, (box[1] + box[3]) / 2
    draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=(255, 92, 92))
    draw.text((cx + dot + size * 0.45, cy), text, font=font, fill=(240, 240, 240), anchor="lm")


def _frost(
    canvas: Image.Image, box: tuple[int, int, int, int], *, radius: int, darken: float
) -> None:
    """Blur and darken ``box`` behind a rounded mask, like frosted glass."""
    region = canvas.crop(box)
    small = region.reduce(8) if min(region.size) >= 16 else region
    small = small.filter(ImageFilter.GaussianBlur(2))
    region = small.resize(region.size, Image.Resampling.BICUBIC)
    region = Image.blend(region, Image.new("RGB", region.size, (8, 8, 16)), darken)
    mask = Image.new("L", (region.width * 2, region.height * 2), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, mask.width - 1, mask.height - 1), radius=radius * 2, fill=255
    )
    canvas.paste(region, box[:2], mask.reduce(2))


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap; overlong words are split; overflow ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > max_width and len(word) > 1:
            cut = _fit(word, font, max_width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[:max_lines]
        while last and font.getlength(last + "…") > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _fit(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> int:
    """How many leading characters of ``text`` fit in ``max_width`` (at least one)."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if font.getlength(text[:mid]) <= max_width:
            low = mid
        else:
            high = mid - 1
    return low


# --- video ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    """A camera move over a base image: visible share and centre, from t=0 to t=1.

    ``share`` is the fraction of the base's width and height in view (1 = all of it);
    centres are fractions of the base. Both interpolate linearly in eased time, so a
    view inside the base at both ends stays inside it throughout.
    """

    share: tuple[float, float]
    centre_x: tuple[float, float]
    centre_y: tuple[float, float]

    @classmethod
    def zoom_in(cls, rng: random.Random) -> _Move:
        end_share = 1 / _ZOOM
        slack = (1 - end_share) / 2
        return cls(
            share=(1.0, end_share),
            centre_x=(0.5, 0.5 + rng.uniform(-slack, slack)),
            centre_y=(0.5, 0.5 + rng.uniform(-slack, slack)),
        )

    def reversed(self) -> _Move:
        return _Move(self.share[::-1], self.centre_x[::-1], self.centre_y[::-1])

    def frame(self, base: Image.Image, size: tuple[int, int], t: float) -> Image.Image:
        e = _ease(t)
        share = _lerp(*self.share, e)
        cx, cy = _lerp(*self.centre_x, e) * base.width, _lerp(*self.centre_y, e) * base.height
        half_w, half_h = share * base.width / 2, share * base.height / 2
        # A float box gives sub-pixel motion: no stepping at slow speeds.
        box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        return base.resize(size, Image.Resampling.BILINEAR, box=box)


@dataclass
class _Overlay:
    """Caption chip, prompt subtitle, timecode and progress bar, pre-rendered once."""

    chip: Image.Image
    chip_at: tuple[int, int]
    strip: Image.Image
    strip_at: tuple[int, int]
    bar: tuple[int, int, int, int]
    font: ImageFont.FreeTypeFont
    fps: int
    total: str

    @classmethod
    def build(
        cls, prompt: str, seed: int, width: int, height: int, frame_count: int, fps: int
    ) -> _Overlay:
        short = min(width, height)
        margin = round(short * 0.04)
        size = max(11, round(short * 0.03))
        font = _font(size)
        bar_h = max(2, round(short * 0.007))
        bar = (margin, height - margin - bar_h, width - margin, height - margin)

        total = _timecode(frame_count / fps)
        room = width - 2 * margin - font.getlength(f"{total} / {total}") - size
        lines = _wrap(prompt.strip(), font, room, 2) if prompt.strip() else []
        line_h = round(size * 1.3)
        strip_h = min(height, round(len(lines) * line_h + size * 1.4 + bar_h + margin * 3.5))
        # A black scrim that fades in towards the bottom keeps white text legible.
        alpha = Image.linear_gradient("L").resize((width, strip_h)).point(lambda v: v * 0.7)
        strip = Image.new("RGBA", (width, strip_h), (0, 0, 0, 0))
        strip.putalpha(alpha)
        draw = ImageDraw.Draw(strip)
        bottom = strip_h - margin - bar_h - round(size * 0.6)
        for n, line in enumerate(lines):
            y = bottom - (len(lines) - 1 - n) * line_h
            draw.text((margin, y), line, font=font, fill=(255, 255, 255, 255), anchor="ls")
        draw.rectangle(
            (bar[0], bar[1] - height + strip_h, bar[2], bar[3] - height + strip_h),
            fill=(255, 255, 255, 90),
        )

        caption = f"Vidu simulator · seed {seed}"
        chip_font = _font(max(11, round(short * 0.022)))
        pad = round(chip_font.size * 0.6)
        chip_w = round(chip_font.getlength(caption) + 2 * pad)
        chip_h = round(chip_font.size + 2 * pad)
        chip = Image.new("RGBA", (chip_w, chip_h), (0, 0, 0, 0))
        chip_draw = ImageDraw.Draw(chip)
        chip_draw.rounded_rectangle(
            (0, 0, chip_w - 1, chip_h - 1), radius=chip_h // 2, fill=(10, 10, 20, 120)
        )
        chip_draw.text(
            (chip_w / 2, chip_h / 2), caption, font=chip_font, fill=(245, 245, 245), anchor="mm"
        )
        # Top right, so it does not sit on the caption of a simulator still used as
        # the start frame.
        chip_at = (width - margin - chip_w, margin)
        return cls(chip, chip_at, strip, (0, height - strip_h), bar, font, fps, total)

    def paint(self, frame: Image.Image, index: int, t: float) -> None:
        frame.paste(self.strip, self.strip_at, self.strip)
        frame.paste(self.chip, self.chip_at, self.chip)
        draw = ImageDraw.Draw(frame)
        left, top, right, bottom = self.bar
        draw.rectangle((left, top, left + round((right - left) * t), bottom), fill=(255, 255, 255))
        draw.text(
            (right, top - round(self.font.size * 0.6)),
            f"{_timecode(index / self.fps)} / {self.total}",
            font=self.font,
            fill=(255, 255, 255),
            anchor="rs",
        )


def _encode_mp4(frames: Iterator[Image.Image], width: int, height: int, fps: int) -> bytes:
    # faststart rewrites the file to put the index first, so FFmpeg needs a real file
    # it can reopen; a BytesIO fails at close.
    with tempfile.TemporaryDirectory(prefix="vidu-sim-") as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(
            str(path), "w", format="mp4", options={"movflags": "+faststart", "fflags": "+bitexact"}
        ) as container:
            stream = container.add_stream(
                "libx264",
                rate=fps,
                options={
                    "preset": "veryfast",
                    "crf": "23",
                    # A fixed count: x264 output depends on it, and "auto" would follow
                    # the host's cores and break byte-identical output across machines.
                    "threads": "2",
                    "g": str(fps * 2),  # a keyframe every two seconds for scrubbing
                    "colorspace": "bt709",
                    "color_primaries": "bt709",
                    "color_trc": "bt709",
                },
            )
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for index, image in enumerate(frames):
                frame = av.VideoFrame.from_image(image).reformat(
                    format="yuv420p", dst_colorspace="ITU709"
                )
                frame.pts, frame.time_base = index, Fraction(1, fps)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


# --- helpers -------------------------------------------------------------------------


def _rng(seed: int, prompt: str, purpose: str) -> random.Random:
    # hashlib, not hash(): Python salts str hashes per process.
    digest = hashlib.sha256(f"{purpose}\0{seed}\0{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _open_image(data: bytes, target: tuple[int, int]) -> Image.Image | None:
    """Decode ``data`` to RGB (transparency over white), or None if Pillow cannot."""
    try:
        image = Image.open(io.BytesIO(data))
        # JPEG only: decode at a reduced scale that still covers the target either way
        # round (EXIF rotation comes after), much faster for 12-megapixel photos.
        side = max(target)
        image.draft("RGB", (side, side))
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, (0, 0), image)
            return flat
        return image.convert("RGB")
    except _UNREADABLE:
        return None


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    assert isinstance(font, ImageFont.FreeTypeFont), "Pillow was built without FreeType"
    return font


def _soft(mask: Image.Image, radius: float) -> Image.Image:
    """Gaussian-blur a mask cheaply: blur a quarter-size copy and scale it back."""
    small = mask.reduce(4) if min(mask.size) >= 16 else mask
    blurred = small.filter(ImageFilter.GaussianBlur(max(0.5, radius / 4)))
    return blurred.resize(mask.size, Image.Resampling.BICUBIC)


def _check_size(width: int, height: int) -> None:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"size must be within 1..{MAX_SIDE} pixels a side, got {width}×{height}")


def _timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:05.2f}"


def _mix(a: _RGB, b: _RGB, amount: float) -> _RGB:
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _ease(t: float) -> float:
    """Sine ease-in-out: the camera starts and stops gently."""
    return 0.5 - 0.5 * math.cos(math.pi * t)
