"""Fixtures for driving the simulator over real HTTP (uvicorn on a loopback port)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.factories import make_png

KEY = "sim-test-key"
# A second key the simulator accepts: another customer, for scoping tests.
OTHER_KEY = "sim-other-key"
# Fast clock: a still "processes" for 0.2 s, a clip for 0.4 s; clips at 4 fps.
IMAGE_SECONDS = 0.2
VIDEO_SECONDS = 0.4


def data_uri(data: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def png_uri(width: int = 160, height: int = 160, color=(30, 120, 200)) -> str:
    return data_uri(make_png(width, height, color=color))


@dataclass
class Sim:
    """A client for the simulator under test, with the defaults most tests want."""

    url: str
    client: httpx.Client = field(repr=False)

    def headers(self, key: str = KEY, scheme: str = "Token") -> dict[str, str]:
        return {"Authorization": f"{scheme} {key}"}

    def post(
        self, path: str, body: Any = None, *, key: str = KEY, scheme: str = "Token", **kwargs: Any
    ) -> httpx.Response:
        return self.client.post(
            self.url + path, json=body, headers=self.headers(key, scheme), **kwargs
        )

    def get(
        self, path: str, *, key: str = KEY, scheme: str = "Token", **kwargs: Any
    ) -> httpx.Response:
        return self.client.get(self.url + path, headers=self.headers(key, scheme), **kwargs)

    def create(self, endpoint: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        response = self.post(f"/simulator/ent/v2/{endpoint}", body, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def query(
        self, task_id: str, *, path_prefix: str = "/simulator", **kwargs: Any
    ) -> dict[str, Any]:
        response = self.get(f"{path_prefix}/ent/v2/tasks/{task_id}/creations", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(
        self,
        task_id: str,
        states: tuple[str, ...] = ("success", "failed"),
        *,
        timeout: float = 20,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Poll until the task reaches one of `states` (a deadline, never a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.query(task_id, **kwargs)
            if body["state"] in states:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"task {task_id} stuck in {body['state']}")
            time.sleep(0.05)


def wait_until(predicate, *, timeout: float = 15, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


@pytest.fixture
def sim_settings(settings, tmp_path):
    """Simulator settings for tests; must be set up before the live server starts."""
    settings.SIMULATOR_IMAGE_SECONDS = IMAGE_SECONDS
    settings.SIMULATOR_VIDEO_SECONDS = VIDEO_SECONDS
    settings.SIMULATOR_TICK_SECONDS = 0.05
    settings.SIMULATOR_VIDEO_FPS = 4
    settings.SIMULATOR_CONCURRENCY = 5
    settings.SIMULATOR_FAULTS = []
    settings.SIMULATOR_ENABLED = True
    settings.SIMULATOR_API_KEYS = [KEY, OTHER_KEY]
    settings.SIMULATOR_LIST_PAYLOAD = False
    settings.SIMULATOR_TIMEOUT_SECONDS = 3
    settings.SIMULATOR_CALLBACK_BACKOFF_SECONDS = 0.1
    settings.SIMULATOR_PRUNE_SECONDS = 0.1
    settings.STUDIO_PUBLIC_BASE_URL = None
    settings.MEDIA_ROOT = tmp_path / "media"
    # Only the simulator's clock: other loops (the dispatcher) are not under test here.
    settings.STUDIO_BACKGROUND_TASKS = ["simulator.clock.run"]
    return settings


@pytest.fixture
def sim(sim_settings, live_studio) -> Iterator[Sim]:
    # The studio's own address: the one place callbacks may go when no public base
    # URL is set.
    sim_settings.SIMULATOR_URL = f"{live_studio.url}/simulator"
    with httpx.Client(timeout=30) as client:
        yield Sim(url=live_studio.url, client=client)


@dataclass
class Received:
    """One callback as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class CallbackReceiver:
    """A tiny HTTP server on a loopback port that records the callbacks it gets.

    `fail_first[(path, state)]` makes the first N callbacks of that state to a path
    answer 500 (`state` None: any state), to exercise the simulator's retries.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_first: dict[tuple[str, str | None], int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                path = urlsplit(self.path).path
                body = json.loads(raw)
                state = body.get("state") or body.get("status")
                with receiver._lock:
                    key = (path, state) if (path, state) in receiver.fail_first else (path, None)
                    failing = receiver.fail_first.get(key, 0)
                    if failing:
                        receiver.fail_first[key] = failing - 1
                    else:
                        receiver.received.append(
                            Received(self.path, dict(self.headers), body, time.time())
                        )
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def for_path(self, path: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if urlsplit(item.path).path == path]

    def states(self, path: str) -> list[str]:
        return [item.body.get("state") or item.body.get("status") for item in self.for_path(path)]


@pytest.fixture
def receiver(settings) -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    # The simulator calls back only under the studio's public base URL.
    settings.STUDIO_PUBLIC_BASE_URL = server.url
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
