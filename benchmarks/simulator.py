"""How fast the Vidu simulator answers: create and query requests per second.

Starts `manage.py vidu_simulator` in a subprocess on a loopback port with its own
temporary data folder (database and media), drives it with httpx (async, 16 requests
in flight) for a few seconds per call, then runs benchmarks/simulator_media.py for the
render times. The simulated clock is set to an hour so that no render competes with
the request handling being measured: these figures are the API's cost alone.

Run: `.venv/bin/python benchmarks/simulator.py` (`--no-media` skips the renders).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder is first on sys.path, where `simulator` would mean this
# file rather than the app the media benchmark imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import free_port as _free_port  # noqa: E402

CONCURRENCY = 16
SECONDS = 3.0
KEY = "benchmark-key"
HEADERS = {"Authorization": f"Token {KEY}"}
CREATE_BODY = {"model": "viduq2", "prompt": "a lighthouse at dusk", "aspect_ratio": "1:1"}


def start_simulator(data_dir: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "STUDIO_DATA_DIR": data_dir,
        "DEBUG": "true",
        "SIMULATOR_IMAGE_SECONDS": "3600",
        "SIMULATOR_VIDEO_SECONDS": "3600",
        "SIMULATOR_CONCURRENCY": "5",
        # This install's key is generated unless named; the bounds on unfinished tasks
        # would answer most of the creates with 429 (they are measured, not refused).
        "SIMULATOR_API_KEY": KEY,
        "SIMULATOR_MAX_QUEUED_PER_KEY": "100000",
        "SIMULATOR_MAX_QUEUED": "100000",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "manage.py", "vidu_simulator", "--port", str(port), "--migrate"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the simulator exited during start-up")
        try:
            if httpx.get(f"{base}/ent/v2/credits", headers=HEADERS, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the simulator did not start in time")


async def hammer(request, *, seconds: float = SECONDS) -> dict[str, float]:
    """Run `request(client)` from CONCURRENCY workers for `seconds`; count and time them."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(headers=HEADERS, timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                response = await request(client)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
    }


async def measure(base: str) -> dict[str, dict[str, float]]:
    task_ids: list[str] = []

    async def create(client: httpx.AsyncClient) -> httpx.Response:
        response = await client.post(f"{base}/ent/v2/reference2image", json=CREATE_BODY)
        if response.status_code == 200:
            task_ids.append(response.json()["task_id"])
        return response

    async def query(client: httpx.AsyncClient) -> httpx.Response:
        task_id = random.choice(task_ids)
        return await client.get(f"{base}/ent/v2/tasks/{task_id}/creations")

    figures = {"create": await hammer(create)}
    figures["query"] = await hammer(query)
    return figures


def media_figures() -> dict[str, Any] | None:
    """The media helper's render benchmark, when it is there."""
    if not (ROOT / "benchmarks" / "simulator_media.py").exists():
        return None
    return importlib.import_module("benchmarks.simulator_media").main()


def print_table(figures: dict[str, dict[str, float]]) -> None:
    print(f"Simulator API, one process, {CONCURRENCY} in flight, {SECONDS:.0f} s each")
    print(f"{'call':<8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'requests':>9} {'errors':>7}")
    for name, row in figures.items():
        print(
            f"{name:<8} {row['per_second']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['requests']:>9} {row['errors']:>7}"
        )


def print_media(media: dict[str, Any]) -> None:
    print(f"\nSimulator media renders (median of {media.get('runs')} runs)")
    for kind in ("images", "videos"):
        for row in media.get(kind, []):
            print(
                f"{kind[:-1]:<6} {row['resolution']:<6} {row['width']}x{row['height']:<6} "
                f"{row['mode']:<13} {row['seconds']:>7.2f} s"
            )


def main(*, media: bool = True) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/simulator"
    with tempfile.TemporaryDirectory(prefix="studio-sim-bench-") as data_dir:
        process = start_simulator(data_dir, port)
        try:
            wait_until_up(base, process)
            api = asyncio.run(measure(base))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    print_table(api)
    results: dict[str, Any] = {"concurrency": CONCURRENCY, "seconds": SECONDS, "api": api}
    figures = media_figures() if media else None
    if figures is not None:
        print_media(figures)
        results["media"] = figures
    return results


if __name__ == "__main__":
    main(media="--no-media" not in sys.argv)
