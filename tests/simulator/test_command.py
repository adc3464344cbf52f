"""`manage.py vidu_simulator`: the simulator on its own, in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.simulator.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_vidu_simulator_command_serves_and_runs_its_clock(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "STUDIO_DATA_DIR": str(tmp_path),
        "DEBUG": "true",
        "SIMULATOR_IMAGE_SECONDS": "0.2",
        "SIMULATOR_API_KEY": "standalone-key",
        # Configured without the simulator's clock: the command must run it regardless.
        "STUDIO_BACKGROUND_TASKS": "generations.dispatcher.run",
    }
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "vidu_simulator", "--port", str(port), "--migrate"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/simulator/ent/v2"
    headers = {"Authorization": "Token standalone-key"}
    try:

        def up() -> bool:
            assert process.poll() is None, "the simulator exited"
            try:
                return httpx.get(f"{base}/credits", headers=headers).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=60, message="the simulator to start")
        created = httpx.post(
            f"{base}/reference2image",
            json={"model": "viduq2", "prompt": "alone", "aspect_ratio": "1:1"},
            headers=headers,
        ).json()

        def finished() -> dict | None:
            body = httpx.get(f"{base}/tasks/{created['task_id']}/creations", headers=headers)
            return body.json() if body.json()["state"] == "success" else None

        # Only the clock renders, so success proves the command started it.
        done = wait_until(finished, timeout=30, message="success")
        assert httpx.get(done["creations"][0]["url"]).headers["content-type"] == "image/png"
    finally:
        process.terminate()
        process.wait(timeout=10)
