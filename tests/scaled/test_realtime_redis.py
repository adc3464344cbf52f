"""Realtime across processes: a change made by web process A reaches a browser on B."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from tests.factories import PASSWORD
from tests.scaled import test_services

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.scaled

fresh_database_url = test_services.fresh_database_url

SETUP = f"""
from django.contrib.auth.models import User
from projects.models import Project
user = User.objects.create_user("maya", password={PASSWORD!r})
print(Project.objects.create(owner=user, name="Harbour").pk)
"""

REQUEST = """
from django.contrib.auth.models import User
from generations.services import request_generation
from projects.models import Project
from providers.models import ProviderConnection
request_generation(
    project=Project.objects.get(), user=User.objects.get(), mode="text_to_image",
    connection=ProviderConnection.objects.get(kind="simulator"), model="viduq2",
    prompt="A lighthouse seen from another process", params={"aspect_ratio": "1:1"},
)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shell(code: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def serve(port: int, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "studio.asgi:application", "--port", str(port)]
    command += ["--ws-per-message-deflate", "false"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/accounts/login/").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the studio on port {port} did not start")


def log_in(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        client.post(
            "/accounts/login/",
            data={"username": "maya", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        return f"sessionid={client.cookies['sessionid']}"


@pytest.fixture
def two_processes(fresh_database_url, scaled_services, tmp_path):
    port_a, port_b = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database_url,
        "REDIS_URL": scaled_services["redis_url"],
        "STUDIO_DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
        "SIMULATOR_URL": f"http://127.0.0.1:{port_a}/simulator",
        "SIMULATOR_IMAGE_SECONDS": "0.3",
        "GENERATIONS_TICK_SECONDS": "0.1",
        "GENERATIONS_SIMULATOR_FIRST_POLL": "0.2",
        "GENERATIONS_SIMULATOR_POLL": "0.2",
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr
    project_id = int(shell(SETUP, env))
    # A runs the dispatcher and the simulator; B only serves pages and sockets.
    a = serve(port_a, env)
    b = serve(port_b, {**env, "STUDIO_BACKGROUND_TASKS": ""})
    yield {"env": env, "project_id": project_id, "b": f"127.0.0.1:{port_b}"}
    for process in (a, b):
        process.terminate()
        process.wait(timeout=15)


def test_a_generation_moved_by_process_a_updates_the_socket_on_process_b(two_processes):
    b = two_processes["b"]
    cookie = log_in(f"http://{b}")

    async def watch() -> list[str]:
        url = f"ws://{b}/ws/projects/{two_processes['project_id']}/"
        headers = {"Cookie": cookie, "Origin": f"http://{b}"}
        frames: list[str] = []
        async with websockets.connect(url, additional_headers=headers) as connection:
            await connection.send(json.dumps({"type": "sync", "ids": [], "live": True}))
            assert await connection.recv() == '{"type": "synced"}'  # nothing to re-sync yet
            await asyncio.to_thread(shell, REQUEST, two_processes["env"])
            async with asyncio.timeout(60):
                while 'data-state="ready"' not in (frames[-1] if frames else ""):
                    frames.append(await connection.recv())
        return frames

    frames = asyncio.run(watch())

    states = [re.search(r'data-state="(\w+)"', frame).group(1) for frame in frames]
    assert frames[0].startswith('<div hx-swap-oob="afterbegin:[data-live-cards]">')
    # Only A's dispatcher submits, polls and downloads: these pushes crossed from A to B.
    # Each push renders the card as it is when sent, so a quick step may be skipped.
    assert states[-1] == "ready"
    assert set(states) & {"submitting", "submitted", "queueing", "processing", "downloading"}
