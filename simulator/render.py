"""Turning a task into real files: one still, or one MP4 clip with its JPEG cover.

Runs in a worker thread (never on the event loop). Input images are read from disk
here and dropped when the render returns, so memory stays bounded by one task.
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from PIL import Image

from simulator import files, media
from simulator.models import SimTask

_RATIO = re.compile(r"^([1-9]\d*):([1-9]\d*)$")


def output_size(task: SimTask, first_image: bytes | None) -> tuple[int, int]:
    """The size Vidu would deliver for the task's resolution and aspect ratio.

    img2video and start-end2video take no aspect ratio: the start frame decides, as
    `auto` does on reference2image. q2/q3 reference2video accept any `W:H` [S002]; the
    media module knows the listed ratios, so other ones go through `auto` with a
    made-up first-image size of W×H.
    """
    resolution = task.params.get("resolution") or "1080p"
    ratio = task.params.get("aspect_ratio") or "auto"
    if task.endpoint in ("img2video", "start-end2video"):
        ratio = "auto"
    first_size = _image_size(first_image) if first_image else None
    if ratio not in media.ASPECT_RATIOS and ratio != "auto":
        match = _RATIO.match(ratio)
        first_size = (int(match.group(1)), int(match.group(2))) if match else None
        ratio = "auto"
    return media.output_size(resolution, ratio, first_image_size=first_size)


def render_task(task: SimTask) -> list[dict[str, Any]]:
    """Render and store the task's output; return its `creations` records."""
    images = [files.read_file(task.task_id, name) for name in task.inputs.get("images", [])]
    images = [data for data in images if data]
    subject_images = [
        data
        for subject in task.inputs.get("subjects", [])
        for data in (files.read_file(task.task_id, name) for name in subject["images"])
        if data
    ]
    references = (images or subject_images)[: media.MAX_REFERENCES]
    first = references[0] if references else None
    width, height = output_size(task, first)
    creation_id = f"{task.task_id}01"
    if task.endpoint == "reference2image":
        data = media.render_image(
            prompt=task.prompt, seed=task.seed, width=width, height=height, references=references
        )
        name = "image" + files.extension_for(media.content_type(data))
        files.write_file(task.task_id, name, data)
        return [_creation(creation_id, name, name, "image", width, height)]
    duration = float(task.params.get("duration") or 5)
    fps = int(getattr(settings, "SIMULATOR_VIDEO_FPS", 12))
    frames_mode = task.endpoint in ("img2video", "start-end2video")
    video, cover = media.render_video_with_cover(
        prompt=task.prompt,
        seed=task.seed,
        width=width,
        height=height,
        duration=duration,
        fps=fps,
        start_image=images[0] if frames_mode and images else None,
        end_image=images[1] if task.endpoint == "start-end2video" and len(images) > 1 else None,
        references=() if frames_mode else references,
    )
    files.write_file(task.task_id, "video.mp4", video)
    files.write_file(task.task_id, "cover.jpg", cover)
    creation = _creation(creation_id, "video.mp4", "cover.jpg", "video", width, height)
    creation.update(duration=duration, fps=fps)
    return [creation]


def _creation(
    creation_id: str, name: str, cover: str, kind: str, width: int, height: int
) -> dict[str, Any]:
    return {
        "id": creation_id,
        "file": name,
        "cover": cover,
        "kind": kind,
        "width": width,
        "height": height,
    }


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
