"""A quiet socket stays subscribed on the Redis channel layer: the layer's blocking read
(5 s in Redis) must not be cut by the client's own read timeout (5 s in redis-py 8)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import websockets

from tests.scaled import test_realtime_redis
from tests.scaled.test_realtime_redis import REQUEST, log_in, shell

pytestmark = pytest.mark.scaled

fresh_database_url = test_realtime_redis.fresh_database_url
two_processes = test_realtime_redis.two_processes

# Past both 5 s timeouts twice over: the socket used to drop after 5-8 s of quiet.
IDLE_SECONDS = 12


def test_a_socket_idle_for_12_seconds_still_receives_a_push(two_processes):
    b = two_processes["b"]
    cookie = log_in(f"http://{b}")

    async def idle_then_watch() -> list[str]:
        url = f"ws://{b}/ws/projects/{two_processes['project_id']}/"
        headers = {"Cookie": cookie, "Origin": f"http://{b}"}
        frames: list[str] = []
        async with websockets.connect(url, additional_headers=headers) as connection:
            await connection.send(json.dumps({"type": "sync", "ids": [], "live": True}))
            assert await connection.recv() == '{"type": "synced"}'
            # Quiet: nothing sent either way (websocket pings aside) for longer than the
            # 5-8 s after which the socket used to drop.
            await asyncio.sleep(IDLE_SECONDS)
            await asyncio.to_thread(shell, REQUEST, two_processes["env"])
            async with asyncio.timeout(60):
                while 'data-state="ready"' not in (frames[-1] if frames else ""):
                    frames.append(await connection.recv())
        return frames

    frames = asyncio.run(idle_then_watch())

    assert re.search(r'data-state="ready"', frames[-1])
