"""Looking at downloaded results: dimensions, duration, thumbnails, posters, frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, ImageOps

THUMBNAIL_SIZE = 640


@dataclass(frozen=True)
class Described:
    width: int
    height: int
    duration: float | None
    thumbnail: Path | None = None
    poster: Path | None = None
    last_frame: Path | None = None


def describe_image(path: Path) -> Described:
    """Dimensions of an image result and a WebP thumbnail beside it."""
    with Image.open(path) as image:
        width, height = image.size
        # Only a thumbnail is made: a JPEG decodes straight to 1/2, 1/4 or 1/8 of its size.
        image.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        thumb = ImageOps.exif_transpose(image).convert("RGB")
        thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        thumbnail = path.with_name(f"{path.stem}-thumb.webp")
        thumb.save(thumbnail, "WEBP", quality=82)
    return Described(width=width, height=height, duration=None, thumbnail=thumbnail)


def describe_video(path: Path) -> Described:
    """Size and duration of a video result, with its first frame (poster, thumbnail)
    and last frame (to start the next shot from) saved beside it."""
    first = last = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        for frame in container.decode(stream):
            if first is None:
                first = frame.to_image()
            last = frame
    if first is None or last is None:
        raise ValueError("the video has no frames")
    poster = path.with_name(f"{path.stem}-poster.jpg")
    first.save(poster, "JPEG", quality=88)
    last_frame = path.with_name(f"{path.stem}-last.png")
    last.to_image().save(last_frame, "PNG")
    thumb = first.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    thumbnail = path.with_name(f"{path.stem}-thumb.webp")
    thumb.save(thumbnail, "WEBP", quality=82)
    return Described(
        width=width,
        height=height,
        duration=round(duration, 3),
        thumbnail=thumbnail,
        poster=poster,
        last_frame=last_frame,
    )
