"""The middleware stack's edges: its bottom, where Django's ASGI handler enters a
thread, and the headers of the static files answered at its top."""

from __future__ import annotations

from django.utils.decorators import sync_only_middleware


@sync_only_middleware
def synchronous_views(get_response):
    """Last in MIDDLEWARE: the studio's views are synchronous (all but the provider
    callback: generations/views/callbacks.py), so the stack above them runs
    synchronously too.

    Django's own middleware can run either way, and under ASGI it picks the mode of what
    lies below it. Left async, MiddlewareMixin runs each of its hooks through
    `sync_to_async`: about fifteen entries into the request's thread a request. With a
    sync-only layer at the bottom, Django runs the middleware between ServeStatic and
    here synchronously, in one entry; the URL resolution, the view hooks and the view
    itself still cross as Django's handler does ("Django optimizes the middleware call
    stack to have as few sync/async transitions as possible", docs: Middleware,
    Asynchronous support). In ad-hoc runs of benchmarks/pipeline.py and load.py: 137 →
    157 signed callbacks/s, a team's page p95 332 → 209 ms.
    """
    return get_response


def static_file_headers(headers, path: str, url: str) -> None:
    """ServeStatic's SERVESTATIC_ADD_HEADERS_FUNCTION: what the security middleware gives
    a page, for the static files answered above it."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
