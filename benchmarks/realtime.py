"""Realtime: how soon a browser shows what a provider just told us, and what it costs.

Runs the embedded default (SQLite, in-memory channel layer, built-in simulator) in a
temporary data folder, served by uvicorn in a thread on a loopback port:

1. Callback → card: the simulator sends its signed callbacks to the studio; the time
   each one is received (an ASGI wrapper notes it) is compared with the moment Chromium's
   DOM shows the state it announced (a MutationObserver notes it). Printed next to a
   simulated 5 s polling client (as ComfyUI's Vidu nodes poll): it sees a change at its
   next poll, on average 2.5 s later, plus the cost of one poll request (measured).
2. Fan-out: 500 sockets open on one project; one push; time until the last one has it.
   (Clients and server share this process and its GIL, so this is an upper bound.)
3. Gallery page: time and query count for the first page and a page deep in the list,
   at 100 and 10,000 generations (rows bulk-created).

Run: `.venv/bin/python benchmarks/realtime.py`. Needs /usr/bin/chromium for part 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import free_port as _free_port  # noqa: E402

GENERATIONS = 20
SOCKETS = 500
POLL_SECONDS = 5.0
PASSWORD = "a long enough benchmark passphrase"
CHROMIUM = "/usr/bin/chromium"
STATE_OF_CALLBACK = {"processing": "processing", "success": "downloading", "failed": "failed"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _configure(data_dir: str, port: int) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "studio.settings",
            "STUDIO_DATA_DIR": data_dir,
            "DEBUG": "true",
            "LOG_LEVEL": "ERROR",
            "STUDIO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SIMULATOR_URL": f"http://127.0.0.1:{port}/simulator",
            "SIMULATOR_IMAGE_SECONDS": "0.5",
            "SIMULATOR_TICK_SECONDS": "0.05",
            # Callbacks alone drive the generations: polling would blur the measurement.
            "GENERATIONS_SIMULATOR_FIRST_POLL": "120",
            "GENERATIONS_SIMULATOR_POLL": "120",
            "GENERATIONS_TICK_SECONDS": "0.5",
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",  # ORM calls beside Playwright's loop
        }
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Receipts:
    """An ASGI wrapper noting when each provider callback arrives, and what it says."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[tuple[str, str, float]] = []  # (token, provider state, time)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/callbacks/"):
            return await self.app(scope, receive, send)
        at = time.time()
        body = b""
        messages = []
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            state = json.loads(body).get("state", "")
        except ValueError:
            state = ""
        self.seen.append((scope["path"].rstrip("/").rsplit("/", 1)[-1], state, at))
        replay = iter(messages)

        async def again():
            # The body as it was read, then whatever comes next (the disconnect).
            return next(replay, None) or await receive()

        return await self.app(scope, again, send)


def _serve(app, port: int):
    import uvicorn

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="error",
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread


def _setup_rows():
    from django.contrib.auth.models import User

    from projects.models import Project
    from providers.models import ProviderConnection

    user = User.objects.create_user("maya", password=PASSWORD)
    project = Project.objects.create(owner=user, name="Benchmark")
    connection = ProviderConnection.objects.get(kind="simulator")
    connection.callbacks_enabled = True
    connection.save()
    return user, project, connection


def _request(user, project, connection, prompt: str):
    from generations.services import request_generation

    [generation] = request_generation(
        project=project,
        user=user,
        connection=connection,
        mode="text_to_image",
        model="viduq2",
        prompt=prompt,
        params={"aspect_ratio": "1:1"},
    )
    return generation


OBSERVER = """() => {
  window.seen = [];
  const note = (el) => window.seen.push(
    [el.getAttribute('data-generation'), el.getAttribute('data-state'), Date.now()]);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches('article[data-generation]')) note(node);
        node.querySelectorAll && node.querySelectorAll('article[data-generation]').forEach(note);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}"""


def callback_to_card(url: str, user, project, connection, receipts: Receipts) -> dict:
    """Part 1: callback receipt → card state in Chromium, and the 5 s poller beside it."""
    from playwright.sync_api import sync_playwright

    from generations.models import Generation

    pool = ThreadPoolExecutor(1)  # services push with async_to_sync: not on Playwright's thread
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(base_url=url)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("maya")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda u: "/accounts/login/" not in u)
        page.goto(f"/projects/{project.pk}/gallery/")
        page.locator('[data-live-status="connected"]').wait_for()
        page.evaluate(OBSERVER)
        ids = []
        # One at a time, as a designer would watch one: the figure is the push path's
        # latency, not the queueing of many renders on one machine.
        for n in range(GENERATIONS):
            generation = pool.submit(_request, user, project, connection, f"Benchmark {n}").result()
            ids.append(generation.pk)
            page.locator(
                f'article[data-generation="{generation.pk}"][data-state="ready"]'
            ).wait_for(timeout=60_000)
        seen = page.evaluate("window.seen")
        cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")["value"]
        browser.close()
    pool.shutdown()

    tokens = dict(Generation.objects.filter(pk__in=ids).values_list("callback_token", "pk"))
    latencies = []
    for token, provider_state, at in receipts.seen:
        pk, state = tokens.get(token), STATE_OF_CALLBACK.get(provider_state)
        shown = [t / 1000 for g, s, t in seen if g == str(pk) and s == state and t / 1000 >= at]
        if pk and shown:
            latencies.append((min(shown) - at) * 1000)

    # The push path alone: the state change's recorded time → the card showing it.
    from generations.models import StateChange

    pushed = []
    for pk, state, at in StateChange.objects.filter(generation_id__in=ids).values_list(
        "generation_id", "state", "at"
    ):
        shown = [t / 1000 for g, s, t in seen if g == str(pk) and s == state]
        if shown and state != "queued":
            pushed.append((min(shown) - at.timestamp()) * 1000)

    poll_cost = _poll_request_ms(url, cookie, project.pk, ids[0])
    rng = random.Random(7)
    # A poller whose clock has no relation to the provider's: many phases per event.
    polled = [rng.uniform(0, POLL_SECONDS) * 1000 + poll_cost for _ in range(20_000)]
    return {
        "callbacks": len(latencies),
        "push_p50_ms": round(statistics.median(latencies), 1),
        "push_p95_ms": round(_percentile(latencies, 0.95), 1),
        "state_changes": len(pushed),
        "commit_to_card_p50_ms": round(statistics.median(pushed), 1),
        "commit_to_card_p95_ms": round(_percentile(pushed, 0.95), 1),
        "poll_request_ms": round(poll_cost, 1),
        "poll_5s_p50_ms": round(statistics.median(polled), 1),
        "poll_5s_p95_ms": round(_percentile(polled, 0.95), 1),
        "poll_5s_mean_ms": round(statistics.mean(polled), 1),
        "speedup_p50": round(statistics.median(polled) / statistics.median(latencies), 1),
    }


def _poll_request_ms(url: str, cookie: str, project_id: int, generation_id: int) -> float:
    import httpx

    path = f"/projects/{project_id}/generations/{generation_id}/card/"
    with httpx.Client(base_url=url, cookies={"sessionid": cookie}) as client:
        times = []
        for _ in range(20):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fan_out(url: str, user, project) -> dict:
    """Part 2: one push reaching SOCKETS open sockets."""
    import websockets
    from django.test import Client

    from generations import realtime
    from generations.models import Generation

    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    target = Generation.objects.filter(project=project).first()
    ws_url = url.replace("http", "ws") + f"/ws/projects/{project.pk}/"
    headers = {"Cookie": cookie, "Origin": url}

    async def run() -> tuple[float, int]:
        connections = []
        for _ in range(SOCKETS):
            connection = await websockets.connect(ws_url, additional_headers=headers)
            await connection.send(json.dumps({"type": "sync", "ids": [target.pk]}))
            connections.append(connection)
        for connection in connections:
            await connection.recv()  # the sync answer (the card), then its end:
            await connection.recv()  # every socket is in the group
        started = time.perf_counter()
        push = asyncio.get_running_loop().run_in_executor(
            None, realtime.broadcast, project.pk, [target.pk]
        )
        received = await asyncio.gather(*(connection.recv() for connection in connections))
        elapsed = (time.perf_counter() - started) * 1000
        await push
        for connection in connections:
            await connection.close()
        return elapsed, sum(f'data-generation="{target.pk}"' in frame for frame in received)

    elapsed, reached = asyncio.run(run())
    return {"sockets": SOCKETS, "reached": reached, "fan_out_ms": round(elapsed, 1)}


def gallery_pages() -> dict:
    """Part 3: the gallery's first page and a deep page at 100 and 10,000 generations."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from generations.gallery import Cursor
    from generations.models import Generation
    from projects.models import Project
    from providers.models import ProviderConnection

    owner = User.objects.get(username="maya")
    provider = ProviderConnection.objects.get(kind="simulator")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    figures = {}
    for size in (100, 10_000):
        project = Project.objects.create(owner=owner, name=f"Gallery {size}")
        now = timezone.now()
        Generation.objects.bulk_create(
            (
                Generation(
                    project=project,
                    connection=provider,
                    mode="text_to_image",
                    model="viduq2",
                    prompt=f"Harbour study {n}",
                    state="ready",
                    created_at=now - timezone.timedelta(seconds=n),
                )
                for n in range(size)
            ),
            batch_size=2000,
        )
        deep = Generation.objects.filter(project=project).order_by("-created_at", "-id")[size - 40]
        url = f"/projects/{project.pk}/gallery/"
        for label, params, headers in (
            ("first", {}, {}),
            ("deep", {"after": str(Cursor(deep.created_at, deep.pk))}, {"HTTP_HX_REQUEST": "1"}),
        ):
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url, params, **headers)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            figures[f"{size}_{label}_ms"] = round(statistics.median(times), 1)
            figures[f"{size}_{label}_queries"] = len(queries)
    return figures


def main() -> dict:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as data_dir:
        _configure(data_dir, port)
        from studio.asgi import application

        receipts = Receipts(application)
        server, thread = _serve(receipts, port)
        url = f"http://127.0.0.1:{port}"
        user, project, connection = _setup_rows()
        results: dict = {}
        try:
            if Path(CHROMIUM).exists():
                results["callback_to_card"] = callback_to_card(
                    url, user, project, connection, receipts
                )
            else:
                results["callback_to_card"] = {"skipped": f"{CHROMIUM} not installed"}
            results["fan_out"] = fan_out(url, user, project)
            results["gallery"] = gallery_pages()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    _print(results)
    return results


def _print(results: dict) -> None:
    latency = results["callback_to_card"]
    if "skipped" not in latency:
        print(f"\nCallback received → card updated in Chromium ({latency['callbacks']} callbacks)")
        print(f"  {'':<26}{'p50 ms':>10}{'p95 ms':>10}")
        push = f"{latency['push_p50_ms']:>10}{latency['push_p95_ms']:>10}"
        print(f"  {'callback → card (push)':<26}{push}")
        print(
            f"  {'  of which commit → card':<26}{latency['commit_to_card_p50_ms']:>10}"
            f"{latency['commit_to_card_p95_ms']:>10}"
        )
        print(
            f"  {'5 s polling (simulated)':<26}{latency['poll_5s_p50_ms']:>10}"
            f"{latency['poll_5s_p95_ms']:>10}"
        )
        print(
            f"  polling mean {latency['poll_5s_mean_ms']} ms (one poll request "
            f"{latency['poll_request_ms']} ms); push is {latency['speedup_p50']}× sooner at p50"
        )
    fan = results["fan_out"]
    print(f"\nOne push to {fan['sockets']} sockets: all {fan['reached']} in {fan['fan_out_ms']} ms")
    gallery = results["gallery"]
    print("\nGallery page (median of 5)")
    print(f"  {'generations':<14}{'first ms':>10}{'queries':>9}{'deep ms':>10}{'queries':>9}")
    for size in (100, 10_000):
        print(
            f"  {size:<14,}{gallery[f'{size}_first_ms']:>10}{gallery[f'{size}_first_queries']:>9}"
            f"{gallery[f'{size}_deep_ms']:>10}{gallery[f'{size}_deep_queries']:>9}"
        )


if __name__ == "__main__":
    main()
