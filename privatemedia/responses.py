"""File responses for login-checked media views."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse

CHUNK = 256 * 1024
CACHE_CONTROL = "private, max-age=86400"
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def _chunks(name: str, start: int, length: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(default_storage.open, name, "rb")
    try:
        await asyncio.to_thread(handle.seek, start)
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


def serve_file(
    request: HttpRequest,
    name: str,
    *,
    content_type: str,
    etag: str,
    download_as: str | None = None,
) -> HttpResponse:
    """Answer with the stored file `name` (the caller has checked permission).

    `etag` should change whenever the content does (a content hash); `download_as`
    makes browsers save the file under that name instead of showing it.
    """
    quoted_etag = f'"{etag}"'
    if quoted_etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        size = default_storage.size(name)
        start, end = 0, size - 1
        status = 200
        match = RANGE.match(request.headers.get("Range", ""))
        if match and size and (match.group(1) or match.group(2)):
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:  # "bytes=-N": the last N bytes
                start = max(0, size - int(match.group(2)))
            if start > end or start >= size:
                response = HttpResponse(status=416)
                response["Content-Range"] = f"bytes */{size}"
                return response
            status = 206
        response = StreamingHttpResponse(
            _chunks(name, start, end - start + 1), content_type=content_type, status=status
        )
        response["Content-Length"] = str(end - start + 1)
        response["Accept-Ranges"] = "bytes"
        if status == 206:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        if download_as:
            ascii_name = download_as.encode("ascii", "ignore").decode() or "download"
            ascii_name = ascii_name.replace('"', "")
            response["Content-Disposition"] = (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_as)}"
            )
        else:
            response["Content-Disposition"] = "inline"
    response["ETag"] = quoted_etag
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response
