"""Provider callbacks: the only view without CSRF or a session (it has a signature)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import services

P = ParamSpec("P")
T = TypeVar("T")

MAX_BODY = 1024 * 1024  # a task's JSON is a few KB; anything near this is not one


# The callback's own worker threads: a few, since SQLite takes one writer at a time,
# and apart from the event loop's default pool, where renders, thumbnails and media
# streaming run for seconds or minutes.
CALLBACK_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="callbacks")


def in_lasting_thread(work: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """`work` (synchronous, with its queries) as a coroutine function that, on SQLite,
    runs it in one of CALLBACK_THREADS, which live as long as the process.

    Django's ASGI handler gives each request a thread of its own, so a synchronous view
    opens a database connection and closes it again every time. On SQLite that costs
    more than a small view's own queries, and every request in flight queues on the
    write lock. In a lasting thread (asgiref's documented `thread_sensitive=False` with
    an executor of our own) the SQLite connection is opened once and kept while it is
    in autocommit, as Django leaves it between transactions. Measured with
    `benchmarks/pipeline.py` (2 cores, 32 callbacks in flight): 216-224 signed
    callbacks a second with the connection closed after each call, 260-272 with it
    kept (2 threads: 251-261; 8: 244-247).

    A pooled PostgreSQL connection costs nothing to borrow, so there `work` runs in the
    request's own thread, as a synchronous view would (and a slow Redis, which the
    poke's wake-up goes through, holds up that request alone).

    All of `work`'s database use, its transactions included, begins and ends within one
    call: the next call may run in another thread. Tests that reach this view through
    Django's test client need a transactional database, since the work's connection is
    not the test's.
    """

    def keeping_the_connection(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return work(*args, **kwargs)
        finally:
            if not transaction.get_autocommit():
                connection.close()

    lasting = sync_to_async(
        keeping_the_connection, thread_sensitive=False, executor=CALLBACK_THREADS
    )
    per_request = sync_to_async(work)

    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if connection.vendor == "sqlite":
            return await lasting(*args, **kwargs)
        return await per_request(*args, **kwargs)

    return run


@in_lasting_thread
def receive_callback(**callback: Any) -> tuple[int, dict]:
    """The signature check, nonce and poke: one short transaction."""
    return services.receive_callback(**callback)


@csrf_exempt
@login_not_required
@require_POST
async def provider_callback(request: HttpRequest, kind: str, token: str) -> JsonResponse:
    """A provider's callback: checked and answered at once; the task is re-read later.

    The studio's one async view: providers send callbacks in bursts, a hundred a second
    across a team's generations (README, Performance)."""
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    # A chunked body declares no length: read no more than a callback can be.
    body = request.read(MAX_BODY + 1) if declared <= MAX_BODY else b""
    if declared > MAX_BODY or len(body) > MAX_BODY:
        return JsonResponse({"error": "Callback body too large."}, status=413)
    started = time.perf_counter()
    status, answer = await receive_callback(
        kind=kind, token=token, method=request.method, headers=request.headers, body=body
    )
    response = JsonResponse(answer, status=status)
    # From the view's start to the poke's commit: what benchmarks/pipeline.py reports.
    response["Server-Timing"] = f"ingest;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response
