"""Websocket soak: does the server give back the memory of sockets that have left?

Runs the embedded default in a uvicorn subprocess on a loopback port with its own
temporary STUDIO_DATA_DIR (seeded by benchmarks/team.py as for the load, with fewer
people), logs one designer in through the real login form, then runs CYCLES cycles of
SOCKETS websockets on /ws/projects/<id>/ (the session cookie and an allowed Origin, as
a browser sends them): each connects, sends the page's `sync` and receives the cards it
answers with, stays HOLD_SECONDS, and closes. After each cycle, once the server has
settled, its resident memory is read from /proc/<pid>/status.

Printed: RSS after each cycle and the drift from the first cycle to the last.
Target: drift ≤ 10 %.

Run: `.venv/bin/python benchmarks/soak.py`.
"""

from __future__ import annotations

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

from benchmarks.harness import free_port, log_in, memory_kib, start_server, stop  # noqa: E402
from benchmarks.team import GENERATIONS, base_env, child  # noqa: E402

CYCLES = 5
SOCKETS = 200
HOLD_SECONDS = 2.0
SETTLE_SECONDS = 1.0
CONNECTING = 50  # handshakes in flight at once, as when a team opens the studio
DRIFT_TARGET = 10.0  # per cent


async def one_socket(
    url: str, headers: dict[str, str], ids: list[int], gate: asyncio.Semaphore
) -> bool:
    """Connect, sync as the page does, hold, leave; True if the cards came back."""
    async with gate:
        socket = await websockets.connect(url, additional_headers=headers, open_timeout=30)
    async with socket:
        await socket.send(json.dumps({"type": "sync", "ids": ids}))
        frame = await asyncio.wait_for(socket.recv(), timeout=30)
        await asyncio.sleep(HOLD_SECONDS)
    return f'data-generation="{ids[0]}"' in frame


async def soak(port: int, world: dict, pid: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as client:
        log_in(client, world["users"][0])
        cookie = client.cookies["sessionid"]
    project = world["projects"][0]
    url = base.replace("http", "ws", 1) + f"/ws/projects/{project['id']}/"
    headers = {"Cookie": f"sessionid={cookie}", "Origin": base}
    # The first page of the gallery: the cards a freshly opened page syncs.
    ids = [generation_id for generation_id, _ in project["generations"][:36]]
    gate = asyncio.Semaphore(CONNECTING)
    baseline = memory_kib(pid)["VmRSS"]
    cycles = []
    for n in range(CYCLES):
        started = time.monotonic()
        answers = await asyncio.gather(
            *(one_socket(url, headers, ids, gate) for _ in range(SOCKETS)), return_exceptions=True
        )
        seconds = time.monotonic() - started
        await asyncio.sleep(SETTLE_SECONDS)
        synced = sum(answer is True for answer in answers)
        failed = [type(a).__name__ for a in answers if isinstance(a, BaseException)]
        rss = memory_kib(pid)["VmRSS"]
        cycles.append(
            {
                "cycle": n + 1,
                "sockets": SOCKETS,
                "synced": synced,
                "errors": len(failed),
                "error_kinds": sorted(set(failed)),
                "seconds": round(seconds, 1),
                "rss_mib": round(rss / 1024, 1),
            }
        )
    first, last = cycles[0]["rss_mib"], cycles[-1]["rss_mib"]
    return {
        "cycles": cycles,
        "rss_before_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(memory_kib(pid)["VmHWM"] / 1024, 1),
        "drift_percent": round((last - first) / first * 100, 1),
        "errors": sum(cycle["errors"] for cycle in cycles),
    }


def print_table(results: dict[str, Any]) -> None:
    print(
        f"Websocket soak: {CYCLES} cycles of {SOCKETS} sockets held {HOLD_SECONDS:.0f} s "
        f"(server RSS before: {results['rss_before_mib']} MiB)"
    )
    print(f"{'cycle':>5} {'synced':>7} {'errors':>7} {'seconds':>8} {'RSS MiB':>8}")
    for row in results["cycles"]:
        print(
            f"{row['cycle']:>5} {row['synced']:>7} {row['errors']:>7} {row['seconds']:>8} "
            f"{row['rss_mib']:>8}"
        )
    print(
        f"drift cycle 1 → {CYCLES}: {results['drift_percent']:+} % "
        f"(target ≤ {DRIFT_TARGET:.0f} %); "
        f"peak (VmHWM) {results['peak_rss_mib']} MiB"
    )


def main() -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="studio-soak-bench-") as data_dir:
        env = base_env(data_dir, port)
        world = child(env, "seed", "2", "1", str(GENERATIONS), "0")
        server = start_server(env, port)
        try:
            results = asyncio.run(soak(port, world, server.pid))
        finally:
            stop(server)
    print_table(results)
    return results


if __name__ == "__main__":
    main()
