"""Running the scaled-out shape on this machine: processes, a balancer, a private Redis."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Balancer:
    """A TCP proxy on loopback sending each connection to a random live backend."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.connections = dict.fromkeys(backends, 0)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _handle(self, reader, writer) -> None:
        # A backend being restarted refuses: try the others, as a real balancer would.
        for backend in random.sample(self.backends, len(self.backends)):
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", backend)
            except OSError:
                continue
            self.connections[backend] += 1
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            return
        writer.close()

    def start(self) -> None:
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self.loop
        ).result(timeout=5)

    async def _shutdown(self) -> None:
        self.server.close()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class PrivateRedis:
    """A redis-server of our own on a free port, which a test may stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listening on {port}") from None
            time.sleep(0.1)


class Cluster:
    """Web processes (the first runs the simulator's clock) and dispatcher processes."""

    def __init__(self, env: dict[str, str], *, webs: int = 2, dispatchers: int = 2) -> None:
        self.web_ports = [free_port() for _ in range(webs)]
        self.balancer = Balancer(self.web_ports)
        self.env = {
            **env,
            "SIMULATOR_URL": f"http://127.0.0.1:{self.web_ports[0]}/simulator",
            "STUDIO_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.balancer.port}",
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.webs: dict[int, subprocess.Popen] = {}
        self.dispatchers: list[subprocess.Popen] = []
        self.dispatcher_count = dispatchers

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_web(self, port: int) -> None:
        tasks = "simulator.clock.run" if port == self.web_ports[0] else ""
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "studio.asgi:application",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--no-access-log",
            "--ws-per-message-deflate",
            "false",
            "--log-level",
            "warning",
        ]
        self.webs[port] = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, "STUDIO_BACKGROUND_TASKS": tasks}
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                return
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"web process on {port} did not start"
                time.sleep(0.2)

    def start_dispatcher(self) -> None:
        self.dispatchers.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "dispatcher"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
            )
        )

    def start(self) -> None:
        migrated = self.manage("migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
        self.balancer.start()
        for port in self.web_ports:
            self.start_web(port)
        for _ in range(self.dispatcher_count):
            self.start_dispatcher()

    def kill_web(self, port: int) -> None:
        self.webs[port].send_signal(signal.SIGKILL)
        self.webs[port].wait(timeout=10)

    def kill_dispatcher(self, index: int) -> None:
        self.dispatchers[index].send_signal(signal.SIGKILL)
        self.dispatchers[index].wait(timeout=10)
        self.dispatchers[index] = subprocess.Popen(
            [sys.executable, "manage.py", "dispatcher"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self.balancer.stop()
        processes = [*self.webs.values(), *self.dispatchers]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def create_generations_script(count: int, *, create_only_owner: bool = False) -> str:
    """Django shell code making the owner and a project, printing the project's id, then
    queueing `count` generations (unless `create_only_owner`)."""
    setup = f"""
from accounts.services import create_owner
from projects.models import Project
from providers.models import ProviderConnection
owner = create_owner(username="maya", password={PASSWORD!r})
project = Project.objects.create(owner=owner, name="Scaled")
connection = ProviderConnection.objects.get(kind="simulator")
connection.callbacks_enabled = True
connection.concurrency_limit = 20
connection.save()
print(project.pk)
"""
    return setup if create_only_owner else setup + queue_generations_script("project.pk", count)


def queue_generations_script(project_id: int | str, count: int) -> str:
    """Django shell code queueing `count` text-to-image generations in a project."""
    return f"""
from generations.models import Mode
from generations.services import request_generation
from projects.models import Project
from providers.models import ProviderConnection
project = Project.objects.get(pk={project_id})
connection = ProviderConnection.objects.get(kind="simulator")
for n in range({count}):
    request_generation(project=project, user=project.owner, connection=connection,
        mode=Mode.TEXT_TO_IMAGE, model="viduq2", prompt=f"Shot {{n}}",
        params={{"aspect_ratio": "1:1", "seed": n + 1}})
"""


def base_env(*, database: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "STUDIO_DATA_DIR": str(tmp_path / "data"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SIMULATOR_IMAGE_SECONDS": "0.5",
        "SIMULATOR_CONCURRENCY": "20",
        "GENERATIONS_TICK_SECONDS": "0.2",
        "GENERATIONS_LEASE_SECONDS": "5",
        "GENERATIONS_SIMULATOR_FIRST_POLL": "5",
        "GENERATIONS_SIMULATOR_POLL": "5",
        # The simulator lists a task the moment it takes it: a create the provider does
        # not have is known as soon as the next look (every GENERATIONS_RECONCILE_SECONDS).
        # Shorter than the lease, so work taken over from a killed dispatcher is past its
        # grace at the first look: one "not found" asks the designer at once.
        "GENERATIONS_RECONCILE_SECONDS": "1",
        "GENERATIONS_RECONCILE_GRACE_SECONDS": "3",
        "LOG_LEVEL": "WARNING",
    }
