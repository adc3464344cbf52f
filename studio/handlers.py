"""Request wiring: Django's pages served under ASGI from a fixed pool of threads.

Django's own ASGI handler runs each request's sync work in a thread made for that
request, so every request opened a new database connection (its PRAGMAs included) and
closed it again, and crossed between the event loop and the thread at every hook. This
handler keeps the event loop for what it is good at (reading bodies, writing responses,
websockets) and runs the whole request, middleware to view, in one of a fixed set of
long-lived threads, as a WSGI server does: each thread keeps its database connection
from one request to the next (connections are per thread, closed when CONN_MAX_AGE
says so) and the request crosses to its thread once.

Views that are coroutines (the simulator's) still work: Django runs them through
`async_to_sync`, which hands them to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

_END = object()


class PooledASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        BaseHandler.__init__(self)
        # The sync middleware chain, as under WSGI: the whole request runs in one thread.
        self.load_middleware(is_async=False)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="request")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}.")
        try:
            body = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self.in_thread(self.respond, scope, body)
            if response.streaming and not response.is_async:
                # Django's handler would read a sync stream (a FileResponse) whole into
                # a list before sending it: read it chunk by chunk in the pool instead.
                response.streaming_content = self.read_in_pool(response.streaming_content)
            try:
                await self.send_or_abandon(response, receive, send)
            finally:
                # Sends request_finished, which is where a connection too old is closed.
                await self.in_thread(response.close)
        finally:
            body.close()

    async def in_thread(self, function: Any, *args: Any) -> Any:
        # Not thread-sensitive: any of the pool's threads will do. The call still sets
        # what `async_to_sync` needs to reach this event loop from the thread.
        return await sync_to_async(function, thread_sensitive=False, executor=self.pool)(*args)

    def respond(self, scope: dict, body: SpooledTemporaryFile) -> HttpResponseBase:
        """In a pool thread: what Django's WSGI handler does for one request."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body)
        if request is None:
            return error_response
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response

    async def send_or_abandon(self, response: HttpResponseBase, receive: Any, send: Any) -> None:
        """Send the response; a stream stops as soon as the client goes away."""
        if not response.streaming:
            await self.send_response(response, send)
            return
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait((sending, listening), return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, sending):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task

    async def read_in_pool(self, stream: Any) -> AsyncIterator[bytes]:
        chunks = iter(stream)
        while (chunk := await self.in_thread(next, chunks, _END)) is not _END:
            yield chunk
