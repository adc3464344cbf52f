"""The animatic: every shot's keeper, in order, for the shot's duration, as one MP4.

A keeper clip plays (trimmed to the shot's duration, its last frame held if shorter),
a keeper still is held, and a shot without a keeper shows a placeholder card. Frames
are letterboxed into one size and encoded as H.264 (yuv420p) the way the simulator
does: fixed x264 threads and bitexact muxing.

Every file is read through the storage. `storyboards.renders` runs this as a durable
job and saves the result through the storage too.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont, ImageOps

from generations.models import GenerationOutput
from storyboards.export import keeper_shots
from storyboards.models import Shot, Storyboard

FPS = 24
SIZE = (1280, 720)
BACKGROUND = (0, 0, 0)

Progress = Callable[[float], None]
Items = list[tuple[Shot, GenerationOutput | None]]


def render_animatic(storyboard: Storyboard, *, progress: Progress | None = None) -> bytes:
    """The storyboard's animatic as MP4 bytes."""
    with tempfile.TemporaryDirectory(prefix="animatic-") as folder:
        path = Path(folder) / "animatic.mp4"
        write_animatic(keeper_shots(storyboard), path, progress=progress)
        return path.read_bytes()


def write_animatic(items: Items, path: Path, *, progress: Progress | None = None) -> None:
    """Encode the shots to `path`; `progress` gets the fraction of frames written."""
    counts = [max(0, round(shot.duration * FPS)) for shot, _output in items]
    total = sum(counts)
    # faststart rewrites the file to put the index first, so it needs a real file.
    with av.open(
        str(path), "w", format="mp4", options={"movflags": "+faststart", "fflags": "+bitexact"}
    ) as container:
        stream = container.add_stream(
            "libx264",
            rate=FPS,
            options={
                "preset": "veryfast",
                "crf": "23",
                "threads": "2",
                "g": str(FPS * 2),
                "colorspace": "bt709",
                "color_primaries": "bt709",
                "color_trc": "bt709",
            },
        )
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        written = 0
        for (shot, output), count in zip(items, counts, strict=True):
            for image in shot_frames(shot, output, count):
                frame = av.VideoFrame.from_image(image).reformat(
                    format="yuv420p", dst_colorspace="ITU709"
                )
                frame.pts, frame.time_base = written, Fraction(1, FPS)
                container.mux(stream.encode(frame))
                written += 1
                if progress is not None and (written % FPS == 0 or written == total):
                    progress(written / total)
        container.mux(stream.encode(None))
    if progress is not None:
        progress(1.0)


def shot_frames(shot: Shot, output: GenerationOutput | None, count: int) -> Iterator[Image.Image]:
    """Exactly `count` frames of SIZE for one shot."""
    if count <= 0:
        return
    if output is not None and output.kind == GenerationOutput.Kind.VIDEO:
        yield from _clip_frames(shot, output, count)
        return
    still = _open_still(output.file.name) if output is not None else None
    image = still or placeholder(shot)
    for _ in range(count):
        yield image


def _clip_frames(shot: Shot, output: GenerationOutput, count: int) -> Iterator[Image.Image]:
    """The clip's frames at FPS (by timestamp), its last frame held if it runs short.

    A clip that FFmpeg cannot decode falls back to its last frame, poster or a card."""
    try:
        handle = default_storage.open(output.file.name, "rb")
    except OSError:
        handle = None
    if handle is not None:
        with handle:
            try:
                container = av.open(handle, "r")
            except (av.error.FFmpegError, ValueError, OSError):
                container = None
            if container is not None:
                with container:
                    yield from _resampled(container.decode(video=0), count)
                return
    fallback = next(
        (
            image
            for name in (output.last_frame.name, output.thumbnail.name)
            if name and (image := _open_still(name)) is not None
        ),
        None,
    )
    image = fallback or placeholder(shot)
    for _ in range(count):
        yield image


def _resampled(frames: Iterator[av.VideoFrame], count: int) -> Iterator[Image.Image]:
    """For output frame i, the latest source frame starting at or before i / FPS."""
    current: Image.Image | None = None
    pending = next(frames, None)
    start = pending.time if pending is not None and pending.time is not None else 0.0
    for index in range(count):
        moment = start + index / FPS + 1e-6
        while pending is not None and (
            current is None or (pending.time if pending.time is not None else 0.0) <= moment
        ):
            current = fit(pending.to_image())
            pending = next(frames, None)
        if current is None:  # a stream without frames
            current = Image.new("RGB", SIZE, BACKGROUND)
        yield current


def _open_still(name: str) -> Image.Image | None:
    try:
        with default_storage.open(name, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return fit(image)


def fit(image: Image.Image) -> Image.Image:
    """Letterbox into SIZE, keeping the aspect ratio."""
    return ImageOps.pad(image.convert("RGB"), SIZE, color=BACKGROUND)


def placeholder(shot: Shot) -> Image.Image:
    """A plain card: the shot number and the start of its prompt."""
    card = Image.new("RGB", SIZE, (24, 24, 28))
    draw = ImageDraw.Draw(card)
    big, small = ImageFont.load_default(size=72), ImageFont.load_default(size=30)
    centre = (SIZE[0] // 2, SIZE[1] // 2)
    draw.text(
        (centre[0], centre[1] - 40),
        f"Shot {shot.number}",
        font=big,
        fill=(235, 235, 240),
        anchor="mm",
    )
    excerpt = " ".join((shot.title or shot.prompt or "(no keeper)").split())
    excerpt = excerpt if len(excerpt) <= 70 else excerpt[:69] + "…"
    draw.text((centre[0], centre[1] + 50), excerpt, font=small, fill=(170, 170, 180), anchor="mm")
    draw.rectangle((20, 20, SIZE[0] - 20, SIZE[1] - 20), outline=(90, 90, 100), width=2)
    return card
