"""Request wiring: how Django runs the middleware stack under ASGI (no logic here)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class SyncStackMiddleware:
    """The innermost layer, sync only, so that every layer above it runs sync too.

    Under ASGI Django adapts each middleware to the one inside it. WhiteNoise is sync
    only and the others can be either, so without this the ones below WhiteNoise ran
    async, and each of their hooks crossed between the event loop and the request's
    worker thread: about fifteen crossings a request, a good part of a small page's
    CPU. Every view here is sync anyway; the stack now runs in that one thread.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)
