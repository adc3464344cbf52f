"""File responses for login-checked media views."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from zipstream import ZipStream

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
            response["Content-Disposition"] = _attachment(download_as)
        else:
            response["Content-Disposition"] = "inline"
    response["ETag"] = quoted_etag
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve_zip(archive: ZipStream, *, filename: str) -> HttpResponse:
    """Send a ZIP as zipstream-ng writes it (the caller has checked permission).

    `archive` must be sized (ZIP_STORED, every size given), so its length is known
    before the first byte and the browser's download bar shows real progress.
    """
    response = StreamingHttpResponse(_off_loop(iter(archive)), content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = _attachment(filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


async def _off_loop(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Storage reads and zip writes happen in a thread, never on the event loop (and
    Django would otherwise buffer a synchronous iterator whole under ASGI)."""
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            if chunk:
                yield chunk
    finally:
        # Cancelled mid-chunk (the browser went away), the generator may still be running
        # in its thread; it is collected when that chunk is done.
        with contextlib.suppress(ValueError):
            chunks.close()


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode() or "download"
    ascii_name = ascii_name.replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
