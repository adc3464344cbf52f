"""A comment's push: from the moment a member posts it to its arrival on every open page.

The embedded shape (SQLite, in-memory channel layer, DEBUG off) served by uvicorn in a
process of its own on a loopback port, with a temporary STUDIO_DATA_DIR whose rows (two
people, a project, a storyboard and its shot) a child process of this script makes.
This process holds only the clients: PAGES websockets open on the project as the
reviewer (as PAGES open shot pages would be), and the owner, who posts COMMENTS comments
one after another over real HTTP (one keep-alive connection, htmx's headers). Each is
timed from the POST leaving to its thread's fragment arriving on each socket.

Beside it, so a reader can tell where the time goes: the POST's own round trip (the
comment committed, its push rendered and handed to the channel layer, the answer
rendered), and the CPU time per comment of the server (the request, the push and its
PAGES websocket frames; its idle background loops add a little) and of this process.
Goal: p95 ≤ 100 ms.

Run: `.venv/bin/python benchmarks/comment_push.py`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import (  # noqa: E402
    PASSWORD,
    cpu_seconds,
    free_port,
    log_in,
    percentile,
    run_child,
    start_server,
    stop,
)
from benchmarks.team import base_env  # noqa: E402

PAGES = 50
COMMENTS = 30
GOAL_P95_MS = 100
OWNER, REVIEWER = "maya", "noor"

# Children are this script again, with `--child`.
child = partial(run_child, __file__)


def cookies_of(base: str, username: str) -> httpx.Cookies:
    """A session of `username`, through the real login form."""
    with httpx.Client(base_url=base) as client:
        log_in(client, username)
        return client.cookies


async def open_page(url: str, headers: dict[str, str]) -> websockets.ClientConnection:
    page = await websockets.connect(url, additional_headers=headers)
    await page.send(json.dumps({"type": "sync", "ids": []}))
    while "synced" not in await page.recv():  # the page is in the project's group
        pass
    return page


async def arrival(page: websockets.ClientConnection, marker: str) -> float:
    while True:
        frame = await page.recv()
        if marker in frame and "comment-threads" in frame:
            return time.perf_counter()


async def measure(base: str, rows: dict[str, Any], server_pid: int) -> dict[str, Any]:
    reader = cookies_of(base, REVIEWER)["sessionid"]
    headers = {"Cookie": f"sessionid={reader}", "Origin": base}
    ws_url = base.replace("http", "ws", 1) + f"/ws/projects/{rows['project']}/"
    pages = [await open_page(ws_url, headers) for _ in range(PAGES)]
    latencies: list[float] = []
    round_trips: list[float] = []
    missed = 0
    async with httpx.AsyncClient(base_url=base, cookies=cookies_of(base, OWNER)) as http:
        await http.get(rows["shot_url"])  # the CSRF cookie, as the page gets it
        headers = {"X-CSRFToken": http.cookies["csrftoken"], "HX-Request": "true"}
        server_cpu, own_cpu = cpu_seconds(server_pid), time.process_time()
        for n in range(COMMENTS):
            marker = f"bench-comment-{n}"
            waiting = [asyncio.create_task(arrival(page, marker)) for page in pages]
            started = time.perf_counter()
            answer = await http.post(rows["post_url"], data={"body": marker}, headers=headers)
            round_trips.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.status_code
            done, pending = await asyncio.wait(waiting, timeout=10)
            missed += len(pending)
            for task in pending:
                task.cancel()
            latencies += [(task.result() - started) * 1000 for task in done]
        server_cpu = cpu_seconds(server_pid) - server_cpu
        own_cpu = time.process_time() - own_cpu
    for page in pages:
        await page.close()
    return {
        "pages": PAGES,
        "comments": COMMENTS,
        "arrivals": len(latencies),
        "missed": missed,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "post_p50_ms": round(statistics.median(round_trips), 1),
        "post_p95_ms": round(percentile(round_trips, 0.95), 1),
        "server_cpu_ms_per_comment": round(server_cpu / COMMENTS * 1000, 1),
        "client_cpu_ms_per_comment": round(own_cpu / COMMENTS * 1000, 1),
        "goal_p95_ms": GOAL_P95_MS,
    }


def main() -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="studio-comment-bench-") as data_dir:
        env = base_env(data_dir, port)
        rows = child(env, "rows")
        server = start_server(env, port)
        try:
            results = asyncio.run(measure(f"http://127.0.0.1:{port}", rows, server.pid))
        finally:
            stop(server)
    _print(results)
    return results


def _print(results: dict) -> None:
    print(
        f"\nA comment posted → its thread on {results['pages']} open pages "
        f"({results['comments']} comments, {results['arrivals']} arrivals, "
        f"{results['missed']} missed)"
    )
    print(f"  {'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}   goal p95 ≤ {results['goal_p95_ms']} ms")
    print(f"  {results['p50_ms']:>8}{results['p95_ms']:>8}{results['max_ms']:>8}")
    print(
        f"  the POST's round trip: p50 {results['post_p50_ms']} ms, p95 {results['post_p95_ms']} ms"
    )
    print(
        f"  CPU per comment: server {results['server_cpu_ms_per_comment']} ms, "
        f"clients {results['client_cpu_ms_per_comment']} ms"
    )


# --- the child: the rows, with Django set up on the benchmark's folder ----------------------


def make_rows() -> dict[str, Any]:
    """The owner and a reviewer (an editor) on a project with a storyboard of one shot."""
    from django.contrib.auth.models import User
    from django.urls import reverse

    from projects.models import Project, ProjectMembership
    from storyboards.models import Shot, Storyboard

    owner = User.objects.create_user(OWNER, password=PASSWORD)
    reviewer = User.objects.create_user(REVIEWER, password=PASSWORD)
    project = Project.objects.create(owner=owner, name="Benchmark")
    ProjectMembership.objects.create(project=project, user=reviewer, role="editor")
    storyboard = Storyboard.objects.create(project=project, created_by=owner, title="Harbour")
    shot = Shot.objects.create(storyboard=storyboard, position=0, prompt="A boat", model="viduq2")
    return {
        "project": project.pk,
        "shot_url": shot.get_absolute_url(),
        "post_url": reverse("review:post_on_shot", args=[project.pk, shot.pk]),
    }


def _child_main(command: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    if command != "rows":
        raise SystemExit(f"unknown child command {command!r}")
    call_command("migrate", verbosity=0)
    # DEBUG is off: the manifest storage needs its files collected, as a deployment does.
    call_command("collectstatic", interactive=False, verbosity=0)
    print(json.dumps(make_rows()))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child_main(sys.argv[2])
    else:
        main()
