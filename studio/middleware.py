"""The bottom of the middleware stack: where Django's ASGI handler enters a thread."""

from __future__ import annotations

from django.utils.decorators import sync_only_middleware


@sync_only_middleware
def synchronous_views(get_response):
    """Last in MIDDLEWARE: every view of the studio is synchronous, so the stack above
    them runs synchronously too.

    Django's own middleware can run either way, and under ASGI it picks the mode of what
    lies below it. Left async, MiddlewareMixin runs each of its hooks through
    `sync_to_async`, about fifteen crossings into the request's thread and back; a
    sync-only layer at the bottom makes Django adapt the whole stack once, at the top
    ("Django optimizes the middleware call stack to have as few sync/async transitions as
    possible", docs: Middleware, Asynchronous support). benchmarks/pipeline.py measured
    137 → 157 signed callbacks/s and benchmarks/load.py a team's page p95 332 → 209 ms.
    """
    return get_response


def static_file_headers(headers, path: str, url: str) -> None:
    """SERVESTATIC_ADD_HEADERS_FUNCTION: static files are answered above Django's
    SecurityMiddleware, so they carry its one header that matters for a file."""
    headers["X-Content-Type-Options"] = "nosniff"
