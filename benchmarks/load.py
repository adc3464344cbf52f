"""Load: 50 designers browsing while a provider sends 100 signed callbacks a second.

Runs the embedded default (`make run`: one uvicorn process with SQLite, the in-memory
channel layer, the in-process dispatcher and the simulator) in a subprocess on a free
loopback port, with its own temporary STUDIO_DATA_DIR, so nothing of the user's is read
or written. A child process of this script seeds it:

- DESIGNERS people (one owner, the others members of every project), PROJECTS projects
  of GENERATIONS ready generations each, every one with an image output and its
  thumbnail on disk (rows bulk-created), so the history and gallery have full pages;
- one more project of CALLBACK_TARGETS text-to-image generations, which the server's
  own dispatcher submits to its simulator (a one-hour simulated clock keeps them in
  flight), so each has a real task and the callback URL it was registered with.

Then every designer logs in (GET the form, POST it with its CSRF token) and browses for
--seconds (default 60): project list, project page, gallery, its next page (as htmx asks
for it), history, a generation's page and a thumbnail, with 0.5–2 s of think time
between requests. Meanwhile one task fires CALLBACK_RATE signed callbacks a second
(`providers.signing.callback_headers`, a fresh nonce each) at the in-flight generations,
each saying what the provider would: the task is processing. The first one for a
generation still shown as queueing makes the dispatcher re-read its task; the repeats
are checked, recorded and answered without one (states only move forward), and put the
task's next safety-net poll off by an interval.
The server's resident memory is sampled from /proc/<pid>/status throughout.

The server runs with DEBUG off, as in production: with it on, Django logs every SQL
query and, on SQLite, re-runs each query's parameters through `SELECT QUOTE(...)`, a cost
no real studio pays. The load comes from `harness.LoopbackClient` (each designer its own
keep-alive connection and cookie jar, the provider a few connections): httpx's ~7 ms of
CPU a request would be taken from the server on a two-core machine.

Printed: errors, p50/p95/p99 per endpoint, the callback rate achieved, peak memory.
Targets: 0 errors, p95 page time ≤ 300 ms, 100 callbacks/s.

Run: `.venv/bin/python benchmarks/load.py [--seconds 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import (  # noqa: E402
    KEY,
    LoopbackClient,
    Response,
    free_port,
    memory_kib,
    percentile,
    production_env,
    run_child,
    start_server,
    stop,
)

DESIGNERS = 50
PROJECTS = 4
GENERATIONS = 200  # per browsed project
CALLBACK_TARGETS = 200
CALLBACK_RATE = 100.0  # per second
CALLBACK_IN_FLIGHT = 64
THINK_SECONDS = (0.5, 2.0)
SECONDS = 60.0
PAGE_TARGET_MS = 300.0
PASSWORD = "a long enough benchmark passphrase"
PAGES = ("project list", "project page", "gallery", "gallery next", "history", "detail")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT_PAGE = re.compile(r'hx-get="[^"]*[?&](?:amp;)?after=([0-9-]+)"')


def base_env(data_dir: str, port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        **production_env(data_dir),
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "STUDIO_DATA_DIR": data_dir,
        "MEDIA_ROOT": str(Path(data_dir) / "media"),
        "LOG_LEVEL": "WARNING",
        "SIMULATOR_URL": f"http://127.0.0.1:{port}/simulator",
        "SIMULATOR_API_KEY": KEY,
        "STUDIO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Tasks stay in flight for the whole run, so no render competes with the pages;
        # polling is the safety net at the real provider's pace, callbacks do the rest.
        "SIMULATOR_IMAGE_SECONDS": "3600",
        "SIMULATOR_CONCURRENCY": str(CALLBACK_TARGETS),
        "GENERATIONS_SIMULATOR_POLL": "30",
        **extra,
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


# Children are this script again, with `--child`.
child = partial(run_child, __file__)


async def sample_memory(pid: int, samples: list[int], stop_at: float) -> None:
    while time.monotonic() < stop_at:
        samples.append(memory_kib(pid)["VmRSS"])
        await asyncio.sleep(0.5)


async def log_in(client: LoopbackClient, username: str) -> None:
    """The real login: the form's CSRF token, then the POST that sets the session."""
    form = await client.request("GET", "/accounts/login/")
    if form.status != 200:
        raise RuntimeError(f"the login page answered {form.status}")
    token = CSRF_FIELD.search(form.text)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    fields = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    answer = await client.request(
        "POST",
        "/accounts/login/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(fields).encode(),
    )
    if answer.status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login of {username} failed: {answer.status}")


async def wait_for_targets(data_dir: str, project_id: int, timeout: float = 90) -> list[dict]:
    """The callback project's generations once the dispatcher has submitted them all."""
    deadline = time.monotonic() + timeout
    path = Path(data_dir) / "studio.sqlite3"
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute(
                "SELECT callback_url, provider_task_id FROM generations_generation "
                "WHERE project_id = ? AND provider_task_id != '' AND callback_url != ''",
                (project_id,),
            ).fetchall()
        if len(rows) >= CALLBACK_TARGETS:
            return [{"url": url, "task_id": task_id} for url, task_id in rows]
        await asyncio.sleep(0.5)
    raise RuntimeError(f"only {len(rows)} of {CALLBACK_TARGETS} generations were submitted")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def note(self, name: str, seconds: float) -> None:
        self.latencies.setdefault(name, []).append(seconds * 1000)

    def fail(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def browse(client: LoopbackClient, world: dict, tally: Tally, stop_at: float) -> None:
    """One designer: a round of the studio's pages, thinking between requests."""
    rng = random.Random()

    async def get(name: str, url: str, headers: dict | None = None) -> Response | None:
        await asyncio.sleep(rng.uniform(*THINK_SECONDS))
        if time.monotonic() >= stop_at:
            return None
        started = time.perf_counter()
        try:
            # Read to the last byte (a thumbnail streams), as a browser would.
            response = await client.request("GET", url, headers=headers)
        except OSError as error:
            tally.fail(f"{name}: {type(error).__name__}")
            return None
        tally.note(name, time.perf_counter() - started)
        if response.status != 200:
            tally.fail(f"{name}: {response.status}")
            return None
        return response

    while time.monotonic() < stop_at:
        project = rng.choice(world["projects"])
        base = f"/projects/{project['id']}"
        await get("project list", "/")
        await get("project page", f"{base}/")
        gallery = await get("gallery", f"{base}/gallery/")
        cursor = NEXT_PAGE.search(gallery.text) if gallery else None
        if cursor:
            await get(
                "gallery next", f"{base}/gallery/?after={cursor.group(1)}", {"HX-Request": "true"}
            )
        await get("history", f"{base}/generations/")
        generation_id, output_id = rng.choice(project["generations"])
        await get("detail", f"{base}/generations/{generation_id}/")
        await get("thumbnail", f"{base}/outputs/{output_id}/thumbnail/")


async def fire_callbacks(
    port: int, targets: list[dict], tally: Tally, stop_at: float, rate: float
) -> dict[str, Any]:
    """`rate` signed callbacks a second, on a fixed schedule, until stop_at."""
    from providers.signing import callback_headers

    in_flight = asyncio.Semaphore(CALLBACK_IN_FLIGHT)
    # Keep-alive connections not in use; there are never more than CALLBACK_IN_FLIGHT.
    idle: list[LoopbackClient] = []
    tasks: set[asyncio.Task] = set()
    sent = 0

    async def one(target: dict) -> None:
        headers = callback_headers(secret=KEY, callback_url=target["url"])
        headers["Content-Type"] = "application/json"
        body = json.dumps(
            {"id": target["task_id"], "state": "processing", "err_code": "", "creations": []}
        ).encode()
        client = idle.pop() if idle else LoopbackClient(port)
        started = time.perf_counter()
        try:
            response = await client.request("POST", target["url"], headers=headers, body=body)
        except OSError as error:
            tally.fail(f"callback: {type(error).__name__}")
        else:
            tally.note("callback", time.perf_counter() - started)
            if response.status != 200:
                tally.fail(f"callback: {response.status}")
        finally:
            idle.append(client)
            in_flight.release()

    began = time.monotonic()
    while rate and (now := time.monotonic()) < stop_at:
        due = began + sent / rate
        if due > now:
            await asyncio.sleep(due - now)
        # When the server falls behind, the schedule waits rather than piling up sockets.
        await in_flight.acquire()
        task = asyncio.create_task(one(targets[sent % len(targets)]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    elapsed = time.monotonic() - began
    for client in idle:
        await client.close()
    done = len(tally.latencies.get("callback", []))
    return {"sent": sent, "answered": done, "per_second": round(done / elapsed, 1)}


async def run_load(
    port: int, world: dict, targets: list[dict], pid: int, *, seconds: float, callback_rate: float
) -> dict:
    tally = Tally()
    designers = len(world["users"])
    clients = [LoopbackClient(port) for _ in range(designers)]
    try:
        # Password hashing is the login's cost by design: a few at a time, as people arrive.
        logins = asyncio.Semaphore(4)

        async def arrive(client: LoopbackClient, username: str) -> None:
            async with logins:
                started = time.perf_counter()
                await log_in(client, username)
                tally.note("login", time.perf_counter() - started)

        await asyncio.gather(
            *(arrive(client, name) for client, name in zip(clients, world["users"], strict=True))
        )
        rss_before = memory_kib(pid)["VmRSS"]
        print(f"{designers} designers logged in; browsing for {seconds:.0f} s", flush=True)
        stop_at = time.monotonic() + seconds
        samples: list[int] = []
        results = await asyncio.gather(
            fire_callbacks(port, targets, tally, stop_at, callback_rate),
            sample_memory(pid, samples, stop_at),
            *(browse(client, world, tally, stop_at) for client in clients),
        )
        memory = memory_kib(pid)
    finally:
        for client in clients:
            await client.close()
    endpoints = {
        name: {
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.50), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
        }
        for name, values in tally.latencies.items()
    }
    pages = [value for name in PAGES for value in tally.latencies.get(name, [])]
    return {
        "designers": designers,
        "seconds": seconds,
        "errors": sum(tally.errors.values()),
        "error_kinds": tally.errors,
        "page_requests": len(pages),
        "page_p50_ms": round(percentile(pages, 0.50), 1),
        "page_p95_ms": round(percentile(pages, 0.95), 1),
        "page_p99_ms": round(percentile(pages, 0.99), 1),
        "endpoints": endpoints,
        "callbacks": results[0],
        "callback_target_per_second": callback_rate,
        "rss_after_login_mib": round(rss_before / 1024, 1),
        "rss_max_sampled_mib": round(max(samples, default=0) / 1024, 1),
        "rss_end_mib": round(memory["VmRSS"] / 1024, 1),
        "peak_rss_mib": round(memory["VmHWM"] / 1024, 1),
    }


def print_table(results: dict) -> None:
    print(
        f"Load: {results['designers']} designers browsing for {results['seconds']:.0f} s "
        f"beside {results['callback_target_per_second']:.0f} callbacks/s "
        "(loopback, SQLite, one uvicorn process)"
    )
    print(f"{'endpoint':<14} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    order = ["login", *PAGES, "thumbnail", "callback"]
    for name in order:
        row = results["endpoints"].get(name)
        if row:
            print(
                f"{name:<14} {row['requests']:>9} {row['p50_ms']:>8} {row['p95_ms']:>8} "
                f"{row['p99_ms']:>8}"
            )
    print(
        f"{'all pages':<14} {results['page_requests']:>9} {results['page_p50_ms']:>8} "
        f"{results['page_p95_ms']:>8} {results['page_p99_ms']:>8}"
        f"   (target p95 ≤ {PAGE_TARGET_MS:.0f} ms)"
    )
    callbacks = results["callbacks"]
    print(
        f"errors: {results['errors']} {results['error_kinds'] or ''}(target 0)\n"
        f"callbacks: {callbacks['answered']} answered of {callbacks['sent']} sent, "
        f"{callbacks['per_second']}/s (target {results['callback_target_per_second']:.0f}/s)\n"
        f"server memory: {results['rss_after_login_mib']} MiB after logins, "
        f"{results['rss_end_mib']} MiB at the end, peak (VmHWM) {results['peak_rss_mib']} MiB"
    )


def main(
    *, seconds: float = SECONDS, designers: int = DESIGNERS, callback_rate: float = CALLBACK_RATE
) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="studio-load-bench-") as data_dir:
        env = base_env(data_dir, port)
        began = time.monotonic()
        world = child(env, "seed", str(designers), str(PROJECTS), str(GENERATIONS))
        print(f"seeded in {time.monotonic() - began:.1f} s", flush=True)
        server = start_server(env, port)
        try:
            began = time.monotonic()
            targets = asyncio.run(wait_for_targets(data_dir, world["callback_project"]))
            print(f"{len(targets)} callback targets submitted in {time.monotonic() - began:.1f} s")
            results = asyncio.run(
                run_load(
                    port, world, targets, server.pid, seconds=seconds, callback_rate=callback_rate
                )
            )
        finally:
            stop(server)
    print_table(results)
    return results


# --- the child: database rows and files, with Django set up on the benchmark's folder ----------


def seed(
    designers: int, projects: int, generations: int, targets: int = CALLBACK_TARGETS
) -> dict[str, Any]:
    """People, projects full of ready generations, and the callback project's queue."""
    import io

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone
    from PIL import Image

    from generations.models import Generation, GenerationOutput, Mode, State
    from generations.services import request_generation
    from projects.models import Project, ProjectMembership
    from providers.models import ProviderConnection

    # One hash for everyone: hashing 50 passwords would be most of the seeding time.
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        User(username=f"designer{n:02}", password=password) for n in range(designers)
    )
    owner, others = users[0], users[1:]
    connection = ProviderConnection.objects.get(kind="simulator")
    connection.callbacks_enabled = True
    connection.concurrency_limit = CALLBACK_TARGETS
    connection.save()

    def picture(size: int, kind: str) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (size, size), (200, 120, 60)).save(buffer, kind)
        return buffer.getvalue()

    image, thumbnail = picture(256, "PNG"), picture(64, "WEBP")
    media = Path(os.environ["MEDIA_ROOT"])
    now = timezone.now()
    world: dict[str, Any] = {"users": [user.username for user in users], "projects": []}
    for p in range(projects):
        project = Project.objects.create(owner=owner, name=f"Campaign {p + 1}")
        ProjectMembership.objects.bulk_create(
            ProjectMembership(project=project, user=user, role="editor") for user in others
        )
        rows = Generation.objects.bulk_create(
            Generation(
                project=project,
                created_by=users[n % len(users)],
                connection=connection,
                mode=Mode.TEXT_TO_IMAGE,
                model="viduq2",
                prompt=f"Harbour at dusk, study {n}, warm light over the cranes",
                params={"aspect_ratio": "1:1", "resolution": "1080p"},
                state=State.READY,
                created_at=now - timezone.timedelta(minutes=n),
                finished_at=now - timezone.timedelta(minutes=n) + timezone.timedelta(seconds=9),
            )
            for n in range(generations)
        )
        outputs = []
        for generation in rows:
            folder = f"outputs/{project.pk}/{generation.pk}"
            (media / folder).mkdir(parents=True)
            (media / folder / "image.png").write_bytes(image)
            (media / folder / "thumb.webp").write_bytes(thumbnail)
            outputs.append(
                GenerationOutput(
                    generation=generation,
                    kind="image",
                    file=f"{folder}/image.png",
                    thumbnail=f"{folder}/thumb.webp",
                    content_type="image/png",
                    sha256=f"{generation.pk:064x}",
                    size=len(image),
                    width=256,
                    height=256,
                )
            )
        outputs = GenerationOutput.objects.bulk_create(outputs)
        world["projects"].append(
            {"id": project.pk, "generations": [(o.generation_id, o.pk) for o in outputs]}
        )
    # The server's dispatcher submits these on start-up, each with its callback URL.
    target = Project.objects.create(owner=owner, name="Callback targets")
    for n in range(targets):
        request_generation(
            project=target,
            user=owner,
            connection=connection,
            mode=Mode.TEXT_TO_IMAGE,
            model="viduq2",
            prompt=f"Callback target {n}",
            params={"resolution": "1080p", "aspect_ratio": "1:1"},
        )
    world["callback_project"] = target.pk
    return world


def _child_main(command: str, args: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG is off: the manifest storage needs its files collected, as a deployment does.
    call_command("collectstatic", interactive=False, verbosity=0)
    if command == "seed":
        print(json.dumps(seed(*(int(arg) for arg in args))))
    else:
        raise SystemExit(f"unknown child command {command!r}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child_main(sys.argv[2], sys.argv[3:])
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
        parser.add_argument("--seconds", type=float, default=SECONDS)
        # For taking the figure apart: pages alone, or callbacks beside fewer people.
        parser.add_argument("--designers", type=int, default=DESIGNERS)
        parser.add_argument("--callback-rate", type=float, default=CALLBACK_RATE)
        options = parser.parse_args()
        main(
            seconds=options.seconds,
            designers=options.designers,
            callback_rate=options.callback_rate,
        )
