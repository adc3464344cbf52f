"""The ASGI handler that runs Django's pages in a fixed pool of threads (studio/handlers.py).

Driven as uvicorn drives it, message by message, with views of this module's own.
"""

from __future__ import annotations

import asyncio
import io

import pytest
from asgiref.testing import ApplicationCommunicator
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import path

from studio.handlers import PooledASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "é" * 100_000  # 200 KB of UTF-8: more than one body message
FILE = bytes(range(256)) * 1000  # 256 KB: four chunks of 64 KiB
closed: list[str] = []


class TrackedFile(io.BytesIO):
    def close(self) -> None:
        closed.append("file")
        super().close()


@login_not_required
def page(request):
    return HttpResponse(PAGE)


@login_not_required
def people(request):
    return HttpResponse(str(User.objects.count()))


@login_not_required
def download(request):
    return FileResponse(TrackedFile(FILE), filename="frames.bin", as_attachment=True)


def endless():
    try:
        while True:
            yield b"frame " * 1000
    finally:
        closed.append("stream")


@login_not_required
def live_stream(request):
    return StreamingHttpResponse(endless())


@login_not_required
async def answered_later(request):
    await asyncio.sleep(0.01)
    return HttpResponse("later")


urlpatterns = [
    path("page/", page),
    path("people/", people),
    path("download/", download),
    path("stream/", live_stream),
    path("later/", answered_later),
]


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    closed.clear()
    handler = PooledASGIHandler(threads=1)
    yield handler
    handler.pool.submit(connections.close_all).result()
    handler.pool.shutdown()


def scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def get(handler: PooledASGIHandler, path: str) -> tuple[int, dict, list[bytes]]:
    """Status, headers and every body message of one request."""
    app = ApplicationCommunicator(handler, scope(path))
    await app.send_input({"type": "http.request"})
    start = await app.receive_output(5)
    bodies = []
    while True:
        message = await app.receive_output(5)
        bodies.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await app.wait(5)
    return start["status"], dict(start["headers"]), bodies


async def test_a_page_is_answered_in_full(handler):
    status, headers, bodies = await get(handler, "/page/")
    assert status == 200
    assert b"".join(bodies).decode() == PAGE
    assert headers[b"Content-Type"] == b"text/html; charset=utf-8"


async def test_the_request_thread_keeps_its_database_connection(handler):
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(count)
    try:
        answers = [await get(handler, "/people/") for _ in range(3)]
    finally:
        connection_created.disconnect(count)
    assert [b"".join(bodies) for _, _, bodies in answers] == [b"0", b"0", b"0"]
    assert opened == ["default"]  # one connection for three requests


async def test_a_file_is_sent_chunk_by_chunk_and_closed(handler):
    status, headers, bodies = await get(handler, "/download/")
    assert status == 200
    assert headers[b"Content-Disposition"] == b'attachment; filename="frames.bin"'
    assert b"".join(bodies) == FILE
    assert len([body for body in bodies if body]) == 4  # in messages of 64 KiB
    assert closed == ["file"]


async def test_a_stream_stops_when_the_client_leaves(handler):
    app = ApplicationCommunicator(handler, scope("/stream/"))
    await app.send_input({"type": "http.request"})
    assert (await app.receive_output(5))["status"] == 200
    assert (await app.receive_output(5))["body"].startswith(b"frame ")
    await app.send_input({"type": "http.disconnect"})
    await app.wait(5)  # the endless stream ended instead of running on
    assert closed == ["stream"]


async def test_a_coroutine_view_is_answered(handler):
    status, _, bodies = await get(handler, "/later/")
    assert (status, b"".join(bodies)) == (200, b"later")
