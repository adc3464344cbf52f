"""How long the Vidu simulator takes to render its media, and how big the files are.

Run from the repository root: ``.venv/bin/python benchmarks/simulator_media.py``.
``main()`` returns the figures for benchmarks/results.json.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

RUNS = 3
PROMPT = (
    "A lighthouse on a basalt cliff at dusk, waves crashing below, volumetric light, "
    "seagulls circling the lantern room"
)
IMAGE_RESOLUTIONS = ("1080p", "2K", "4K")
VIDEO_RESOLUTIONS = ("540p", "720p", "1080p")
VIDEO_SECONDS = 5


def _median_seconds(render: Callable[[], bytes], runs: int = RUNS) -> tuple[float, bytes]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        data = render()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), data


def _photo(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A JPEG the size of a phone photo crop, standing in for a user's reference."""
    shade = Image.linear_gradient("L").resize((width, height)).rotate(25)
    image = Image.composite(
        Image.new("RGB", (width, height), colour),
        Image.new("RGB", (width, height), (20, 30, 60)),
        shade,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def main() -> dict[str, object]:
    """Time images (text-only and with three references) and 5 s clips; return figures."""
    from simulator.media import content_type, output_size, render_image, render_video

    references = [
        _photo(1600, 1200, (230, 120, 40)),
        _photo(1200, 1600, (40, 170, 120)),
        _photo(1400, 1400, (200, 40, 90)),
    ]
    images = []
    for resolution in IMAGE_RESOLUTIONS:
        width, height = output_size(resolution, "16:9")
        for mode, refs in (("text", []), ("3 references", references)):
            seconds, data = _median_seconds(
                lambda w=width, h=height, r=refs: render_image(
                    prompt=PROMPT, seed=42, width=w, height=h, references=r
                )
            )
            images.append(
                {
                    "resolution": resolution,
                    "width": width,
                    "height": height,
                    "mode": mode,
                    "seconds": round(seconds, 3),
                    "bytes": len(data),
                    "format": content_type(data),
                }
            )

    start = render_image(prompt=PROMPT, seed=7, width=1920, height=1080)
    videos = []
    for resolution in VIDEO_RESOLUTIONS:
        width, height = output_size(resolution, "16:9")
        for mode, start_image in (("img2video", start), ("text2video", None)):
            seconds, data = _median_seconds(
                lambda w=width, h=height, s=start_image: render_video(
                    prompt=PROMPT, seed=42, width=w, height=h, duration=VIDEO_SECONDS, start_image=s
                )
            )
            videos.append(
                {
                    "resolution": resolution,
                    "width": width,
                    "height": height,
                    "mode": mode,
                    "duration": VIDEO_SECONDS,
                    "fps": 24,
                    "seconds": round(seconds, 3),
                    "bytes": len(data),
                }
            )
    return {"runs": RUNS, "cpus": os.cpu_count(), "images": images, "videos": videos}


def _print_table(figures: dict[str, object]) -> None:
    print(f"median of {figures['runs']} runs on {figures['cpus']} CPUs\n")
    header = (
        f"{'kind':<6} {'resolution':<10} {'size':>11} {'mode':<13} {'seconds':>8} {'output':>10}"
    )
    print(header)
    print("-" * len(header))
    for kind in ("images", "videos"):
        for row in figures[kind]:  # type: ignore[attr-defined]
            size = f"{row['width']}×{row['height']}"
            print(
                f"{kind[:-1]:<6} {row['resolution']:<10} {size:>11} {row['mode']:<13} "
                f"{row['seconds']:>8.2f} {row['bytes'] / 1024:>8.0f} KB"
            )


if __name__ == "__main__":
    # Running the file directly puts benchmarks/ on the path, not the project.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _print_table(main())
