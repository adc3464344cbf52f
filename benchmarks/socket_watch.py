"""One socket sending `watch` for a minute: does the server's memory stay flat?

A page sends `watch` with the ids of the cards it shows after each swap. Nothing stops
a socket from sending it in a loop with ever new ids: the server once added every id to
the socket's set and grew from 215 MiB to 2.1 GiB. Now a `watch` replaces the set.

Runs the embedded default in a uvicorn subprocess on a loopback port with its own
temporary STUDIO_DATA_DIR (seeded by benchmarks/team.py as for the load, one person and
one small project), logs in through the real login form, opens /ws/projects/<id>/ with
the session cookie and an allowed Origin, syncs as the page does, then sends `watch`
messages of 1,000 new ids each, as fast as the server takes them, for SECONDS. The
server's resident memory is sampled every half second; after the socket closes it is
read once more.

Printed: messages sent, server RSS before, peak (VmHWM) and at the end, growth over the
run, and RSS after the close. Target: flat (growth within a few MiB).

Run: `.venv/bin/python benchmarks/socket_watch.py [--seconds 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    free_port,
    log_in,
    memory_kib,
    sample_memory,
    start_server,
    stop,
)
from benchmarks.team import base_env, child  # noqa: E402

SECONDS = 60.0
IDS_PER_MESSAGE = 1000
GROWTH_TARGET_MIB = 10.0


async def flood(url: str, headers: dict[str, str], ids: list[int], stop_at: float) -> int:
    """Sync, then `watch` with fresh ids until stop_at; the number of messages sent."""
    sent = 0
    async with websockets.connect(url, additional_headers=headers, open_timeout=30) as socket:
        await socket.send(json.dumps({"type": "sync", "ids": ids}))
        while await asyncio.wait_for(socket.recv(), timeout=30) != '{"type": "synced"}':
            pass
        next_id = 10**6
        while time.monotonic() < stop_at:
            fresh = list(range(next_id, next_id + IDS_PER_MESSAGE))
            next_id += IDS_PER_MESSAGE
            # Paced by the server: past a few queued messages it stops reading the socket,
            # and this send waits for TCP to drain.
            await socket.send(json.dumps({"type": "watch", "ids": [*ids, *fresh]}))
            sent += 1
    return sent


async def watch_run(port: int, world: dict, pid: int, seconds: float) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as client:
        log_in(client, world["users"][0])
        cookie = client.cookies["sessionid"]
    project = world["projects"][0]
    url = base.replace("http", "ws", 1) + f"/ws/projects/{project['id']}/"
    headers = {"Cookie": f"sessionid={cookie}", "Origin": base}
    ids = [generation_id for generation_id, _ in project["generations"][:36]]
    before = memory_kib(pid)["VmRSS"]
    samples: list[int] = []
    stop_at = time.monotonic() + seconds
    sampler = asyncio.create_task(sample_memory(pid, samples, stop_at))
    sent = await flood(url, headers, ids, stop_at)
    await sampler
    end = memory_kib(pid)
    await asyncio.sleep(1.0)  # the server notices the close and lets the socket go
    after_close = memory_kib(pid)["VmRSS"]
    return {
        "seconds": seconds,
        "messages": sent,
        "ids_sent": sent * IDS_PER_MESSAGE,
        "rss_before_mib": round(before / 1024, 1),
        "rss_end_mib": round(end["VmRSS"] / 1024, 1),
        "peak_rss_mib": round(end["VmHWM"] / 1024, 1),
        "growth_mib": round((max(samples, default=before) - before) / 1024, 1),
        "rss_after_close_mib": round(after_close / 1024, 1),
    }


def print_table(results: dict[str, Any]) -> None:
    print(
        f"One socket sending `watch` ({IDS_PER_MESSAGE:,} new ids a message) for "
        f"{results['seconds']:.0f} s: {results['messages']:,} messages"
    )
    print(
        f"server RSS before {results['rss_before_mib']} MiB, peak (VmHWM) "
        f"{results['peak_rss_mib']} MiB, at the end {results['rss_end_mib']} MiB, "
        f"after the close {results['rss_after_close_mib']} MiB"
    )
    print(f"growth over the run: {results['growth_mib']} MiB (target ≤ {GROWTH_TARGET_MIB} MiB)")


def main(seconds: float = SECONDS) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="studio-watch-bench-") as data_dir:
        env = base_env(data_dir, port)
        world = child(env, "seed", "1", "1", "40", "0")
        server = start_server(env, port)
        try:
            results = asyncio.run(watch_run(port, world, server.pid, seconds))
        finally:
            stop(server)
    print_table(results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    main(seconds=parser.parse_args().seconds)
