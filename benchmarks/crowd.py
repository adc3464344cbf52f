"""The crowd that loads the studio: designers and a provider as locust users, run headless.

A benchmark writes a plan (JSON) and runs `python benchmarks/crowd.py PLAN OUT` in a
process of its own, then reads the figures from OUT. Locust patches the standard
library for gevent when it is imported, which the benchmark's own threads (the scaled
shape's balancer, its memory sampling) must not see.

Two plans:

- "team": `designers` log in through the form (GET it, POST it with its CSRF token,
  a few at a time, as people arrive), then browse: project list, project page, gallery,
  its next page (as htmx asks for it), history, a generation's page and a thumbnail,
  with 0.5–2 s of think time between requests. Once everyone is in, the measured window
  of `seconds` opens and a provider sends `callback_rate` signed callbacks a second
  (`providers.signing.callback_headers`, a fresh nonce each) at generations in flight,
  each saying the task is processing: one user per two a second, each at its own
  steady pace, their starts spread over the first second so they do not come in bursts.
- "ingest": `requests` signed callbacks built up front, sent as fast as the studio
  answers them by `concurrency` users, each on its own keep-alive connection; the
  studio's `Server-Timing: ingest;dur=` (receipt to commit) is kept beside the round trip.

Every request's time is locust's own: from sending it to the last byte of the body.
"""

from __future__ import annotations

# Locust patches the standard library for gevent when imported: before anything else.
from locust import FastHttpUser, between, constant, constant_throughput, events, task  # isort: split

import itertools
import json
import math
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from gevent.lock import Semaphore
from locust.env import Environment
from locust.exception import StopUser
from locust.log import setup_logging

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import percentile  # noqa: E402
from providers.signing import callback_headers  # noqa: E402

THINK_SECONDS = (0.5, 2.0)
LOGINS_AT_ONCE = 4  # the password hash is the login's cost by design
CALLBACKS_PER_USER = 2.0  # a second: one provider user keeps up while each takes < 0.5 s
PAGES = ("project list", "project page", "gallery", "gallery next", "history", "detail")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT_PAGE = re.compile(r'hx-get="[^"]*[?&](?:amp;)?after=([0-9-]+)"')


class Tally:
    """Every request's time by name, and the errors by kind, while `open`."""

    def __init__(self) -> None:
        self.open = False
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.server_timing: list[float] = []

    def note(self, name: str, response_time: float, exception: Exception | None, response) -> None:
        # Logins come before the window: their time is kept, apart from the pages'.
        if not (self.open or name == "login"):
            return
        status = getattr(response, "status_code", 0) or 0
        if status:
            self.latencies[name].append(response_time)
        if exception is not None:
            self.fail(f"{name}: {status or type(exception).__name__}")

    def fail(self, kind: str) -> None:
        if self.open or kind.startswith("login"):
            self.errors[kind] += 1

    def figures(self, names: list[str]) -> dict[str, Any]:
        return {
            name: {
                "requests": len(values),
                "p50_ms": round(percentile(values, 0.50), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
            }
            for name in names
            if (values := self.latencies.get(name))
        }


tally = Tally()
everyone_in = Event()


@events.request.add_listener
def _on_request(name, response_time, exception, response=None, **kwargs) -> None:
    tally.note(name, response_time, exception, response)


@events.user_error.add_listener
def _on_user_error(user_instance, exception, tb, **kwargs) -> None:
    tally.fail(f"{type(user_instance).__name__}: {type(exception).__name__}: {exception}")


# --- the team: designers browsing beside a provider's callbacks ----------------------------


class Designer(FastHttpUser):
    """A designer: logs in through the form, then goes round the studio's pages."""

    wait_time = between(*THINK_SECONDS)
    plan: dict[str, Any] = {}
    usernames: Iterator[str] = iter(())
    logins = Semaphore(LOGINS_AT_ONCE)
    arrived = 0

    def on_start(self) -> None:
        try:
            with self.logins:
                self.log_in(next(self.usernames))
        finally:
            Designer.arrived += 1
            if Designer.arrived == self.fixed_count:
                everyone_in.set()

    def log_in(self, username: str) -> None:
        form = self.client.get("/accounts/login/", name="login form")
        token = CSRF_FIELD.search(form.text or "")
        if token is None:
            tally.fail(f"login: no CSRF token ({form.status_code})")
            raise StopUser()
        fields = {"username": username, "password": self.plan["password"]}
        fields["csrfmiddlewaretoken"] = token.group(1)
        answer = self.client.post(
            "/accounts/login/",
            data=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            name="login",
        )
        if answer.status_code != 302:
            tally.fail(f"login: {answer.status_code}")
            raise StopUser()

    def get(self, name: str, url: str, **headers: str):
        response = self.client.get(url, name=name, headers=headers)
        return response if response.status_code == 200 else None

    @task
    def go_round(self) -> None:
        project = random.choice(self.plan["projects"])
        base = f"/projects/{project['id']}"
        self.get("project list", "/")
        self.wait()
        self.get("project page", f"{base}/")
        self.wait()
        gallery = self.get("gallery", f"{base}/gallery/")
        cursor = NEXT_PAGE.search(gallery.text) if gallery else None
        if cursor:
            self.wait()
            url = f"{base}/gallery/?after={cursor.group(1)}"
            self.get("gallery next", url, **{"HX-Request": "true"})
        self.wait()
        self.get("history", f"{base}/generations/")
        generation_id, output_id = random.choice(project["generations"])
        self.wait()
        self.get("detail", f"{base}/generations/{generation_id}/")
        self.wait()
        self.get("thumbnail", f"{base}/outputs/{output_id}/thumbnail/")


class Provider(FastHttpUser):
    """A provider's callback sender: signed callbacks saying a task is processing."""

    wait_time = constant_throughput(CALLBACKS_PER_USER)
    plan: dict[str, Any] = {}
    turns = itertools.count()
    starts = itertools.count()

    def on_start(self) -> None:
        everyone_in.wait()
        # Spread over the first second: each user keeps its own phase afterwards.
        gevent.sleep(next(self.starts) / self.plan["callback_rate"])

    @task
    def call_back(self) -> None:
        targets = self.plan["targets"]
        target = targets[next(self.turns) % len(targets)]
        headers = callback_headers(secret=self.plan["key"], callback_url=target["url"])
        headers["Content-Type"] = "application/json"
        body = {"id": target["task_id"], "state": "processing", "err_code": "", "creations": []}
        self.client.post(target["url"], data=json.dumps(body), headers=headers, name="callback")


def run_team(plan: dict[str, Any]) -> dict[str, Any]:
    designers = len(plan["users"])
    providers = math.ceil(plan["callback_rate"] / CALLBACKS_PER_USER)
    Designer.plan = Provider.plan = plan
    Designer.usernames = iter(plan["users"])
    Designer.fixed_count, Provider.fixed_count = designers, providers
    classes = [Designer, Provider] if providers else [Designer]
    if providers:
        Provider.wait_time = constant_throughput(plan["callback_rate"] / providers)
    environment = Environment(user_classes=classes, host=plan["host"], events=events)
    runner = environment.create_local_runner()
    runner.start(designers + providers, spawn_rate=designers + providers)
    if not everyone_in.wait(timeout=300):
        raise SystemExit("the designers did not all log in within 300 s")
    print(f"{designers} designers logged in; browsing for {plan['seconds']:.0f} s", flush=True)
    cpu, began = time.process_time(), time.monotonic()
    tally.open = True
    gevent.sleep(plan["seconds"])
    tally.open = False
    seconds, cpu = time.monotonic() - began, time.process_time() - cpu
    runner.quit()
    pages = [value for name in PAGES for value in tally.latencies.get(name, [])]
    callbacks = len(tally.latencies.get("callback", []))
    return {
        "designers": designers,
        "seconds": plan["seconds"],
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "page_requests": len(pages),
        "page_p50_ms": round(percentile(pages, 0.50), 1),
        "page_p95_ms": round(percentile(pages, 0.95), 1),
        "page_p99_ms": round(percentile(pages, 0.99), 1),
        "endpoints": tally.figures(["login", *PAGES, "thumbnail", "callback"]),
        "callback_target_per_second": plan["callback_rate"],
        "callbacks": {
            "answered": callbacks,
            "per_second": round(callbacks / seconds, 1),
            "senders": providers,
        },
        "load_generator_cpu_percent": round(cpu / seconds * 100, 1),
    }


# --- ingest: signed callbacks as fast as the studio takes them ------------------------------


class Ingest(FastHttpUser):
    """One of `concurrency` senders, taking the next callback built up front."""

    wait_time = constant(0)
    queue: Any = iter(())
    left = 0
    done = Event()

    @task
    def send(self) -> None:
        request = next(self.queue, None)
        if request is None:
            raise StopUser()
        url, headers, body = request
        response = self.client.post(url, data=body, headers=headers, name="callback")
        timing = response.headers.get("Server-Timing", "") if response.headers else ""
        if "dur=" in timing:
            tally.server_timing.append(float(timing.split("dur=", 1)[1].split(";")[0]))
        Ingest.left -= 1
        if not Ingest.left:
            self.done.set()


def run_ingest(plan: dict[str, Any]) -> dict[str, Any]:
    targets, count = plan["targets"], plan["requests"]
    # Signed and built up front, so the crowd's own work is not in the way of the figure.
    requests = []
    for n in range(count):
        target = targets[n % len(targets)]
        headers = callback_headers(secret=plan["key"], callback_url=target["url"])
        headers["Content-Type"] = "application/json"
        body = {"id": target["task_id"], "state": "success", "err_code": "", "creations": []}
        requests.append((target["url"], headers, json.dumps(body).encode()))
    Ingest.queue, Ingest.left = iter(requests), count
    Ingest.fixed_count = plan["concurrency"]
    environment = Environment(user_classes=[Ingest], host=plan["host"], events=events)
    runner = environment.create_local_runner()
    tally.open = True
    cpu, began = time.process_time(), time.monotonic()
    runner.start(plan["concurrency"], spawn_rate=plan["concurrency"])
    finished = Ingest.done.wait(timeout=300)
    seconds, cpu = time.monotonic() - began, time.process_time() - cpu
    tally.open = False
    runner.quit()
    round_trips, ingest = tally.latencies.get("callback", []), tally.server_timing
    return {
        "callbacks": count,
        "concurrency": plan["concurrency"],
        "finished": finished,
        "seconds": round(seconds, 2),
        "per_second": round(len(round_trips) / seconds, 1),
        "errors": sum(tally.errors.values()) + (0 if finished else Ingest.left),
        "error_kinds": dict(tally.errors),
        "round_trip_p50_ms": round(percentile(round_trips, 0.5), 2),
        "round_trip_p95_ms": round(percentile(round_trips, 0.95), 2),
        "commit_p50_ms": round(percentile(ingest, 0.5), 2) if ingest else None,
        "commit_p95_ms": round(percentile(ingest, 0.95), 2) if ingest else None,
        "client_cpu_ms_per_callback": round(cpu / count * 1000, 2),
    }


if __name__ == "__main__":
    setup_logging("WARNING")
    plan_path, out_path = sys.argv[1:3]
    plan = json.loads(Path(plan_path).read_text())
    run = {"team": run_team, "ingest": run_ingest}[plan["scenario"]]
    Path(out_path).write_text(json.dumps(run(plan)))
