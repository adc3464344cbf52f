"""Provider callbacks: the only view without CSRF or a session (it has a signature)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import services

P = ParamSpec("P")
T = TypeVar("T")

MAX_BODY = 1024 * 1024  # a task's JSON is a few KB; anything near this is not one


def in_lasting_thread(work: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """`work` (synchronous, with its queries) as a coroutine function that runs it in one
    of the event loop's worker threads, which live as long as the server.

    Django's ASGI handler gives each request a thread of its own, so a synchronous view
    opens a database connection and closes it again every time. On SQLite that costs
    more than a small view's own queries, and every request in flight queues on the
    write lock. In the loop's few lasting threads (`thread_sensitive=False`, asgiref's
    documented choice for code that needs no particular thread) a SQLite connection is
    opened once per thread and kept; a pooled PostgreSQL connection goes back to the
    pool after each call, as at the end of a request. Measured with
    `benchmarks/pipeline.py` (2 cores, 32 callbacks in flight): 216-224 signed callbacks
    a second with the connection closed after each, 280-304 with it kept.

    All of `work`'s database use, its transactions included, begins and ends within one
    call: the next call may run in another thread. Tests that reach this view through
    Django's test client need a transactional database, since the work's connection is
    not the test's.
    """

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return work(*args, **kwargs)
        finally:
            if connection.vendor != "sqlite":
                connection.close()

    return sync_to_async(run, thread_sensitive=False)


# The signature check, nonce and poke: one short transaction.
receive_callback = in_lasting_thread(services.receive_callback)


@csrf_exempt
@login_not_required
@require_POST
async def provider_callback(request: HttpRequest, kind: str, token: str) -> JsonResponse:
    """A provider's callback: checked and answered at once; the task is re-read later.

    The studio's one async view: providers send callbacks in bursts, a hundred a second
    across a team's generations (README, Performance)."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return JsonResponse({"error": "Callback body too large."}, status=413)
    started = time.perf_counter()
    status, answer = await receive_callback(
        kind=kind, token=token, method=request.method, headers=request.headers, body=request.body
    )
    response = JsonResponse(answer, status=status)
    # From the view's start to the poke's commit: what benchmarks/pipeline.py reports.
    response["Server-Timing"] = f"ingest;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response
