"""The animatic: every shot's keeper, in order, for the shot's duration, as one MP4.

A keeper clip plays (trimmed to the shot's duration, its last frame held if shorter),
a keeper still is held, and a shot without a keeper shows a placeholder card. Frames
are letterboxed into one size and encoded as H.264 (yuv420p) the way the simulator
does: fixed x264 threads and bitexact muxing.

Rendering in the background keeps two files per storyboard under MEDIA_ROOT:
`animatics/<id>/animatic.mp4` and `status.json` ({"state", "progress", "updated"}).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from PIL import Image, ImageDraw, ImageFont, ImageOps

from generations.models import GenerationOutput
from storyboards.export import keeper_shots
from storyboards.models import Shot, Storyboard

FPS = 24
SIZE = (1280, 720)
BACKGROUND = (0, 0, 0)
# A "running" status not touched for this long belongs to a render that died.
STALE_AFTER = 120

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


# --- background rendering ------------------------------------------------------------


def folder(storyboard: Storyboard) -> Path:
    return Path(settings.MEDIA_ROOT) / "animatics" / str(storyboard.pk)


def video_path(storyboard: Storyboard) -> Path:
    return folder(storyboard) / "animatic.mp4"


def status(storyboard: Storyboard) -> dict:
    """{"state": none|running|done|failed, "progress": 0..1}; a dead render is failed."""
    try:
        found = json.loads((folder(storyboard) / "status.json").read_text())
    except (OSError, ValueError):
        return {"state": "none", "progress": 0.0}
    if found.get("state") == "running" and time.time() - found.get("updated", 0) > STALE_AFTER:
        found["state"] = "failed"
    if found.get("state") == "done" and not video_path(storyboard).is_file():
        return {"state": "none", "progress": 0.0}
    return found


def _write_status(target: Path, state: str, progress: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    data = {"state": state, "progress": round(progress, 3), "updated": time.time()}
    temporary.write_text(json.dumps(data))
    os.replace(temporary, target)


_starting = threading.Lock()


def start(storyboard: Storyboard) -> bool:
    """Render in a background thread; False if a render of it is already running."""
    where = folder(storyboard)
    with _starting:
        if status(storyboard)["state"] == "running":
            return False
        _write_status(where / "status.json", "running", 0.0)
    # The rows are read here, in the request; the thread only reads files.
    items = keeper_shots(storyboard)
    threading.Thread(target=_render, args=(items, where), daemon=True).start()
    return True


def _render(items: Items, where: Path) -> None:
    status_file = where / "status.json"
    partial = where / "animatic.part.mp4"
    try:
        write_animatic(
            items, partial, progress=lambda done: _write_status(status_file, "running", done)
        )
        os.replace(partial, where / "animatic.mp4")
        _write_status(status_file, "done", 1.0)
    except Exception:
        partial.unlink(missing_ok=True)
        _write_status(status_file, "failed", 0.0)
        raise
    finally:
        connection.close()
