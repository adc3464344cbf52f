"""A comment's push: from the moment a member posts it to its arrival on every open page.

The embedded shape (SQLite, in-memory channel layer) served by uvicorn in a thread, as in
realtime.py: PAGES websockets open on the project (as PAGES open shot pages would be),
then COMMENTS comments posted one after another over real HTTP, each timed from the
POST leaving to its thread's fragment arriving on each socket. Clients and server share
this process and its GIL, so the figures are an upper bound. Goal: p95 ≤ 100 ms.

Run: `.venv/bin/python benchmarks/comment_push.py`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import free_port  # noqa: E402
from benchmarks.realtime import PASSWORD, _configure, _percentile, _serve  # noqa: E402

PAGES = 50
COMMENTS = 30
GOAL_P95_MS = 100


def _setup_rows():
    from django.contrib.auth.models import User

    from projects.models import Project, ProjectMembership
    from storyboards.models import Shot, Storyboard

    owner = User.objects.create_user("maya", password=PASSWORD)
    reviewer = User.objects.create_user("noor", password=PASSWORD)
    project = Project.objects.create(owner=owner, name="Benchmark")
    ProjectMembership.objects.create(project=project, user=reviewer, role="editor")
    storyboard = Storyboard.objects.create(project=project, created_by=owner, title="Harbour")
    shot = Shot.objects.create(storyboard=storyboard, position=0, prompt="A boat", model="viduq2")
    return owner, reviewer, project, shot


def _session(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def measure(url: str, owner, reviewer, project, shot) -> dict:
    import httpx
    import websockets
    from django.urls import reverse

    ws_url = url.replace("http", "ws") + f"/ws/projects/{project.pk}/"
    post_url = url + reverse("review:post_on_shot", args=[project.pk, shot.pk])
    reader_cookie = f"sessionid={_session(reviewer)}"

    async def run() -> tuple[list[float], int]:
        pages = []
        for _ in range(PAGES):
            page = await websockets.connect(
                ws_url, additional_headers={"Cookie": reader_cookie, "Origin": url}
            )
            await page.send(json.dumps({"type": "sync", "ids": []}))
            while "synced" not in await page.recv():  # every page is in the group
                pass
            pages.append(page)
        latencies: list[float] = []
        missing = 0
        async with httpx.AsyncClient(cookies={"sessionid": _session(owner)}) as http:
            await http.get(url + shot.get_absolute_url())  # the CSRF cookie, as a page gets it
            token = http.cookies["csrftoken"]
            headers = {"X-CSRFToken": token, "HX-Request": "true"}
            for n in range(COMMENTS):
                marker = f"bench-comment-{n}"

                async def arrival(page, marker=marker) -> float:
                    while True:
                        frame = await page.recv()
                        if marker in frame and "comment-threads" in frame:
                            return time.perf_counter()

                waiting = [asyncio.create_task(arrival(page)) for page in pages]
                started = time.perf_counter()
                answer = await http.post(post_url, data={"body": marker}, headers=headers)
                assert answer.status_code == 200, answer.status_code
                done, pending = await asyncio.wait(waiting, timeout=10)
                missing += len(pending)
                for task in pending:
                    task.cancel()
                latencies += [(task.result() - started) * 1000 for task in done]
        for page in pages:
            await page.close()
        return latencies, missing

    latencies, missing = asyncio.run(run())
    return {
        "pages": PAGES,
        "comments": COMMENTS,
        "arrivals": len(latencies),
        "missed": missing,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "goal_p95_ms": GOAL_P95_MS,
    }


def main() -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as data_dir:
        _configure(data_dir, port)
        from studio.asgi import application

        server, thread = _serve(application, port)
        try:
            results = measure(f"http://127.0.0.1:{port}", *_setup_rows())
        finally:
            server.should_exit = True
            thread.join(timeout=10)
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


if __name__ == "__main__":
    main()
