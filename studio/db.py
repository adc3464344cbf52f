"""Database work for an async view, in threads that outlive the request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connection

P = ParamSpec("P")
T = TypeVar("T")


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
    call: the next call may run in another thread. Tests that reach such a view through
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
