"""Where the simulator keeps files: MEDIA_ROOT/simulator/<task_id>/<name>.

Outputs are served at `/simulator/files/<task files_token>/<name>`: public to whoever
holds the URL, like Vidu's signed result URLs, and never guessable from a task id.
Input copies live in the same folder for the render but are never served
(services.open_output), and the clock deletes a task's folder when its 24 h are over.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve, reverse

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
}


def task_dir(task_id: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "simulator" / task_id


def file_path(task_id: str, name: str) -> Path | None:
    """The path of a task's file, or None for a name that could escape the folder."""
    if not _SAFE_NAME.match(name) or ".." in name:
        return None
    return task_dir(task_id) / name


def write_file(task_id: str, name: str, data: bytes) -> None:
    """Write atomically, so a reader never serves half a file."""
    path = file_path(task_id, name)
    if path is None:
        raise ValueError(f"unsafe simulator file name {name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


def read_file(task_id: str, name: str) -> bytes | None:
    path = file_path(task_id, name)
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def delete_task_files(task_id: str) -> None:
    shutil.rmtree(task_dir(task_id), ignore_errors=True)


def task_bytes(task_id: str) -> int:
    """Bytes the task's files take on disk (0 when it has none)."""
    try:
        with os.scandir(task_dir(task_id)) as entries:
            return sum(entry.stat().st_size for entry in entries if entry.is_file())
    except FileNotFoundError:
        return 0


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def extension_for(content_type_: str) -> str:
    for suffix, known in CONTENT_TYPES.items():
        if known == content_type_ and suffix != ".jpeg":
            return suffix
    return ".bin"


def file_url(base_url: str, token: str, name: str) -> str:
    """The absolute URL of an output file; `base_url` is the scheme and host asked."""
    return base_url.rstrip("/") + reverse("simulator:file", args=[token, name])


def own_file_reference(url: str) -> tuple[str, str] | None:
    """`(token, name)` when `url` points at one of the simulator's own files.

    Only the path is compared: the client may know us under another host name
    (localhost vs 127.0.0.1, a proxy), and the token is what grants access anyway.
    """
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    if match.view_name != "simulator:file":
        return None
    return match.kwargs["token"], match.kwargs["name"]
