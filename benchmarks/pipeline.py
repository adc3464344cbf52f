"""How fast the generation pipeline goes: generations driven, callbacks ingested.

(a) Generations per second one dispatcher drives against the simulator: the embedded
    shape (`make run`: one uvicorn process running the simulator's clock and the
    dispatcher), GEN_COUNT text-to-image generations at 1080p (the smallest
    resolution) with a 0 s simulated clock, callbacks on, a connection limit of 100.
    Measured from the first submit to the last `ready`, from the state history.
(b) Signed callbacks ingested per second by the real ASGI app under uvicorn on SQLite:
    CALLBACK_COUNT callbacks, each signed with its own nonce
    (`providers.signing.callback_headers`) and built up front, sent by
    CALLBACK_CONCURRENCY locust users (benchmarks/crowd.py), each on its own keep-alive
    connection, at CALLBACK_TARGETS generations in `processing`. Each says `success`,
    news that makes the studio poke the generation (a callback repeating a state it
    already shows is cheaper: no poke). The server runs the simulator's clock (idle) but
    no dispatcher, so the figure is the whole callback path alone: Django's request
    cycle, the view's lookup, signature, nonce insert, poke. Beside it, the CPU time per
    callback of the server (from /proc/<pid>/stat) and of the crowd: on two cores the
    crowd's share is taken from the server.
(c) Callback receipt to database commit, p50/p95: the view's own `Server-Timing:
    ingest;dur=` (from the view's first line to the poke's commit, so it includes any
    wait for SQLite's write lock), beside the crowd's round trip (which adds HTTP, ASGI
    and Django's middleware).

Everything runs on loopback in a temporary STUDIO_DATA_DIR (database, media, secrets),
so nothing of the user's is read or written. Database writes are made by child
processes of this script (`--child ...`), which set Django up against that folder.
The server runs with DEBUG off, as in production: with it on, Django logs every SQL
query and, on SQLite, re-runs each query's parameters through `SELECT QUOTE(...)`, a
cost no real studio pays.

Run: `.venv/bin/python benchmarks/pipeline.py`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import (  # noqa: E402
    KEY,
    cpu_seconds,
    production_env,
    run_child,
    run_crowd,
    start_server,
    stop,
)
from benchmarks.harness import free_port as _free_port  # noqa: E402

GEN_COUNT = 100
CALLBACK_TARGETS = 200
CALLBACK_COUNT = 2000
CALLBACK_CONCURRENCY = 32
TIME_LIMIT = 180.0  # seconds for (a) before giving up


def base_env(data_dir: str, port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        **production_env(data_dir),
        "STUDIO_DATA_DIR": data_dir,
        "MEDIA_ROOT": str(Path(data_dir) / "media"),
        "LOG_LEVEL": "WARNING",
        "SIMULATOR_URL": f"http://127.0.0.1:{port}/simulator",
        "SIMULATOR_API_KEY": KEY,
        "STUDIO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        **extra,
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


# Children are this script again, with `--child`.
child = partial(run_child, __file__)


def database(data_dir: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{Path(data_dir) / 'studio.sqlite3'}?mode=ro", uri=True)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- (a) generations driven per second ----------------------------------------------------------


def drive_generations(data_dir: str) -> dict[str, Any]:
    port = _free_port()
    env = base_env(
        data_dir,
        port,
        SIMULATOR_IMAGE_SECONDS="0",
        SIMULATOR_CONCURRENCY="100",
        SIMULATOR_MAX_QUEUED_PER_KEY="100",
        SIMULATOR_TICK_SECONDS="0.05",
        GENERATIONS_SIMULATOR_FIRST_POLL="1",
        GENERATIONS_SIMULATOR_POLL="1",
    )
    child(env, "queue", str(GEN_COUNT))
    began = time.monotonic()
    server = start_server(env, port)
    try:
        with database(data_dir) as db:
            while time.monotonic() - began < TIME_LIMIT:
                (active,) = db.execute(
                    "SELECT count(*) FROM generations_generation "
                    "WHERE state NOT IN ('ready', 'failed', 'cancelled')"
                ).fetchone()
                if not active:
                    break
                time.sleep(0.2)
            states = dict(
                db.execute("SELECT state, count(*) FROM generations_generation GROUP BY state")
            )
            first, last = db.execute(
                "SELECT (SELECT min(at) FROM generations_statechange WHERE state = 'submitting'),"
                " (SELECT max(at) FROM generations_statechange WHERE state = 'ready')"
            ).fetchone()
    finally:
        stop(server)
    seconds = (_when(last) - _when(first)).total_seconds() if first and last else float("nan")
    ready = states.get("ready", 0)
    return {
        "generations": GEN_COUNT,
        "ready": ready,
        "states": states,
        "seconds": round(seconds, 2),
        "per_second": round(ready / seconds, 1) if seconds else 0.0,
    }


# --- (b), (c) callbacks ingested per second, and their commit time ---------------------------


def ingest_callbacks(data_dir: str) -> dict[str, Any]:
    port = _free_port()
    env = base_env(data_dir, port, STUDIO_BACKGROUND_TASKS="simulator.clock.run")
    targets = child(env, "targets", str(CALLBACK_TARGETS), str(port))
    server = start_server(env, port)
    plan = {
        "scenario": "ingest",
        "host": f"http://127.0.0.1:{port}",
        "targets": targets,
        "key": KEY,
        "requests": CALLBACK_COUNT,
        "concurrency": CALLBACK_CONCURRENCY,
    }
    try:
        server_cpu = cpu_seconds(server.pid)
        figures = run_crowd(plan)
        server_cpu = cpu_seconds(server.pid) - server_cpu
    finally:
        stop(server)
    # Measured around the crowd's whole life: the idle server's clock adds a little.
    figures["server_cpu_ms_per_callback"] = round(server_cpu / CALLBACK_COUNT * 1000, 2)
    with database(data_dir) as db:
        (nonces,) = db.execute("SELECT count(*) FROM providers_callbacknonce").fetchone()
        (poked,) = db.execute("SELECT count(*) FROM generations_generation WHERE poke").fetchone()
    figures["nonces_recorded"] = nonces
    figures["generations_poked"] = poked
    return figures


# --- children: database writes, with Django set up on the benchmark's folder -------------------


def _child_main(command: str, args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG is off: the manifest storage needs its files collected, as a deployment does.
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    from generations.models import Generation, Mode, State
    from generations.services import request_generation
    from projects.models import Project
    from providers.models import ProviderConnection

    owner, _ = get_user_model().objects.get_or_create(username="bench")
    connection, _ = ProviderConnection.objects.get_or_create(
        name="Benchmark simulator",
        defaults={"kind": "simulator", "concurrency_limit": 100, "callbacks_enabled": True},
    )
    project = Project.objects.create(owner=owner, name=f"Benchmark {command}")
    count = int(args[0])
    made = [
        request_generation(
            project=project,
            user=owner,
            connection=connection,
            mode=Mode.TEXT_TO_IMAGE,
            model="viduq2",
            prompt=f"Benchmark shot {n}",
            params={"resolution": "1080p", "aspect_ratio": "1:1"},
        )[0]
        for n in range(count)
    ]
    if command == "queue":
        print(json.dumps({"queued": len(made)}))
        return
    # "targets": generations the provider is working on, each with its callback URL.
    port = args[1]
    targets = []
    for n, generation in enumerate(made):
        url = f"http://127.0.0.1:{port}/callbacks/simulator/{generation.callback_token}/"
        Generation.objects.filter(pk=generation.pk).update(
            state=State.PROCESSING, provider_task_id=f"bench-{n}", callback_url=url
        )
        targets.append({"url": url, "task_id": f"bench-{n}"})
    print(json.dumps(targets))


def print_table(results: dict[str, Any]) -> None:
    drive, ingest = results["drive"], results["callbacks"]
    print("Generation pipeline (loopback, SQLite, one uvicorn process)")
    print(
        f"(a) {drive['ready']}/{drive['generations']} text-to-image generations ready in "
        f"{drive['seconds']} s: {drive['per_second']} generations/s (states {drive['states']})"
    )
    print(
        f"(b) {ingest['callbacks']} signed callbacks, {ingest['concurrency']} in flight: "
        f"{ingest['per_second']} callbacks/s, {ingest['errors']} errors "
        f"({ingest['nonces_recorded']} nonces recorded)"
    )
    print(
        f"{'CPU per callback':<28} server {ingest['server_cpu_ms_per_callback']} ms, "
        f"client {ingest['client_cpu_ms_per_callback']} ms"
    )
    print(f"{'(c) latency':<28} {'p50 ms':>8} {'p95 ms':>8}")
    print(
        f"{'receipt to commit (view)':<28} {ingest['commit_p50_ms']:>8} "
        f"{ingest['commit_p95_ms']:>8}"
    )
    print(
        f"{'client round trip':<28} {ingest['round_trip_p50_ms']:>8} "
        f"{ingest['round_trip_p95_ms']:>8}"
    )


def main() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="studio-pipeline-bench-") as data_dir:
        results["drive"] = drive_generations(data_dir)
    with tempfile.TemporaryDirectory(prefix="studio-pipeline-bench-") as data_dir:
        results["callbacks"] = ingest_callbacks(data_dir)
    print_table(results)
    return results


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child_main(sys.argv[2], sys.argv[3:])
    else:
        main()
