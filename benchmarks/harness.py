"""What the benchmarks share: free ports, a studio server in a subprocess, percentiles."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
KEY = "benchmark-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The studio under uvicorn on a loopback port, once its simulator answers."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "studio.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--lifespan",
        "on",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/simulator/ent/v2/credits"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the studio exited during start-up")
        try:
            if httpx.get(url, headers={"Authorization": f"Token {KEY}"}, timeout=1).is_success:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError("the studio did not start in time")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def run_child(script: str, env: dict[str, str], command: str, *args: str) -> Any:
    """Run `script --child command args` (Django set up on the benchmark's own folder)
    and return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, script, "--child", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"child {command} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
