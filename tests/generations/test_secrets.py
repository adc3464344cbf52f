"""A provider key never leaks, across a whole generation cycle."""

from __future__ import annotations

import asyncio
import logging
import threading

import websockets

from generations.models import Mode, State
from generations.services import request_generation

FAKE_KEY = "sk-live-FAKEKEY-0123456789abcdef"


class SocketRecorder(threading.Thread):
    """Keeps every frame the project's websocket pushes until stopped."""

    def __init__(self, url: str, cookie: str, origin: str) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, {"Cookie": cookie, "Origin": origin}
        self.frames: list[str] = []
        self.connected = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        asyncio.run(self._record())

    async def _record(self) -> None:
        async with websockets.connect(self.url, additional_headers=self.headers) as socket:
            self.connected.set()
            while not self.done.is_set():
                try:
                    self.frames.append(await asyncio.wait_for(socket.recv(), timeout=0.2))
                except TimeoutError:
                    continue


def test_a_fake_api_key_never_appears_in_logs_pages_sockets_or_errors(
    pipeline, client, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    settings.SIMULATOR_API_KEYS = [FAKE_KEY]  # the simulator takes only the keys it knows
    connection = pipeline.connection
    connection.set_api_key(FAKE_KEY)
    connection.save()
    owner = pipeline.project.owner
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    host = pipeline.url.removeprefix("http://")
    socket = SocketRecorder(
        f"ws://{host}/ws/projects/{pipeline.project.pk}/",
        f"sessionid={client.cookies['sessionid'].value}",
        pipeline.url,
    )
    socket.start()
    assert socket.connected.wait(10)
    [ok] = request_generation(
        project=pipeline.project,
        user=owner,
        connection=connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A lighthouse",
        params={"aspect_ratio": "1:1"},
    )
    [refused] = request_generation(
        project=pipeline.project,
        user=owner,
        connection=connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A lighthouse #sim:fail=CreditInsufficient",
        params={"aspect_ratio": "1:1"},
    )
    pipeline.wait_for_state(ok, State.READY, State.FAILED, timeout=60)
    pipeline.wait_for_state(refused, State.READY, State.FAILED, timeout=60)
    socket.done.set()
    socket.join(10)
    pages = [
        "/providers/",
        f"/providers/{connection.pk}/edit/",
        f"/projects/{pipeline.project.pk}/",
        f"/projects/{pipeline.project.pk}/generations/",
        ok.get_absolute_url(),
        refused.get_absolute_url(),
    ]
    html = "".join(client.get(page).content.decode() for page in pages)
    tested = client.post(f"/providers/{connection.pk}/test/").content.decode()

    assert ok.state == State.READY and refused.state == State.FAILED
    assert FAKE_KEY not in html + tested
    assert socket.frames and FAKE_KEY not in "".join(socket.frames)
    assert FAKE_KEY[-4:] in html  # only the last four characters are ever shown
    assert FAKE_KEY not in caplog.text
    assert FAKE_KEY not in refused.error_message
