"""Replaying provider answers through `httpx.MockTransport`, recording what was sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from providers import http


class Replay:
    """Answers requests from a route table `{(method, path): response | callable}`.

    Unrouted requests answer 404 with no body, like a gateway without that route.
    """

    def __init__(self, routes: dict[tuple[str, str], Any] | None = None) -> None:
        self.routes = dict(routes or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(404)
        if isinstance(answer, Callable):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self) -> httpx.AsyncClient:
        return http.make_client(transport=httpx.MockTransport(self))

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> dict[str, Any]:
        return json.loads(self.last.content)


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)
