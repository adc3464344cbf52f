"""A closed websocket gives its memory back at once (`studio.websocket`).

uvicorn's own protocol leaves each closed connection, compression buffers included, in
a reference cycle until the collector's next full pass; with the collector held off,
nothing of a closed socket may be left.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time

import websockets
from websockets.server import ServerProtocol

from projects.models import Project
from tests.factories import make_user


def _server_connections() -> list[ServerProtocol]:
    """The server side's websocket connections still in memory, garbage included."""
    # By exact type: isinstance() on a dead weak proxy in the heap would raise.
    return [o for o in gc.get_objects() if type(o) is ServerProtocol]


def test_closed_sockets_are_freed_without_waiting_for_the_collector(live_studio, client):
    user = make_user("ada")
    project = Project.objects.create(owner=user, name="Harbour")
    client.force_login(user)
    url = live_studio.url.replace("http", "ws", 1) + f"/ws/projects/{project.pk}/"
    headers = {
        "Cookie": f"sessionid={client.cookies['sessionid'].value}",
        "Origin": live_studio.url,
    }

    async def open_the_page_three_times() -> list[dict]:
        frames = []
        for _ in range(3):
            async with websockets.connect(url, additional_headers=headers) as socket:
                await socket.send(json.dumps({"type": "sync", "ids": []}))
                frames.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
        return frames

    gc.collect()
    gc.disable()
    try:
        # The sockets were live: each page was answered.
        assert asyncio.run(open_the_page_three_times()) == [{"type": "synced"}] * 3
        deadline = time.monotonic() + 5
        while _server_connections() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _server_connections() == []
    finally:
        gc.enable()
