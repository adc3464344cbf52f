"""Load: a team on the embedded shape, a larger team on the scaled shape.

- Embedded (`make run`): one uvicorn process with SQLite, the in-memory channel layer,
  the dispatcher and the simulator in process. 15 designers beside 10 signed callbacks
  a second. Targets: p95 page time ≤ 150 ms, 0 errors.
- Scaled: two uvicorn web processes behind a small loopback balancer (the one the
  scaled tests use, tests/scaled/cluster.py; the first web process runs the simulator's
  clock), two `manage.py dispatcher` processes, PostgreSQL (a fresh database for the
  run, Django's connection pool) and Redis (the channel layer). 50 designers beside 100
  signed callbacks a second. Targets: p95 page time ≤ 300 ms, 0 errors.

Each shape runs with its own temporary STUDIO_DATA_DIR on free loopback ports, seeded
by a child process (benchmarks/team.py): the designers, 4 projects of 200 ready
generations with their files, and 200 generations that the studio's own dispatcher
submits to its simulator, where a one-hour simulated clock keeps them in flight, so
each has a real task and the callback URL it was registered with. The crowd
(benchmarks/crowd.py, locust users in a process of their own) then logs every designer
in through the form and, once all are in, measures --seconds of browsing (project list,
project page, gallery and its next page, history, a generation, a thumbnail; 0.5–2 s
think time) while the provider's callbacks say the tasks are processing. The first for
a generation makes a dispatcher re-read its task; the repeats are checked, recorded and
answered without one (states only move forward), and put the next poll off.

The servers run with DEBUG off, as in production. The crowd, the balancer and the
servers share this machine's cores: what each uses, and how busy the machine was, is
printed beside the figures.
The scaled shape needs PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres, a user that may create databases) and
Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/9, a database of its own so
other users of that Redis see none of its messages); without them it is skipped.

Printed: errors, p50/p95/p99 per page, the callback rate achieved, the servers' memory.

Run: `.venv/bin/python benchmarks/load.py [--shape embedded|scaled] [--seconds 60]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import (  # noqa: E402
    KEY,
    PASSWORD,
    free_port,
    memory_kib,
    run_crowd,
    start_server,
    stop,
)
from benchmarks.team import CALLBACK_TARGETS, GENERATIONS, PROJECTS, base_env, child  # noqa: E402

SECONDS = 60.0
SHAPES = {
    # designers, callbacks a second, p95 page target (ms)
    "embedded": (15, 10.0, 150.0),
    "scaled": (50, 100.0, 300.0),
}
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def crowd_plan(host: str, world: dict, targets: list, *, seconds: float, rate: float) -> dict:
    return {
        "scenario": "team",
        "host": host,
        "seconds": seconds,
        "users": world["users"],
        "password": PASSWORD,
        "projects": world["projects"],
        "targets": targets,
        "key": KEY,
        "callback_rate": rate,
    }


def embedded(*, seconds: float, designers: int, rate: float) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="studio-load-bench-") as data_dir:
        env = base_env(data_dir, port)
        world = child(
            env, "seed", str(designers), str(PROJECTS), str(GENERATIONS), str(CALLBACK_TARGETS)
        )
        server = start_server(env, port)
        try:
            targets = child(env, "targets", str(world["callback_project"]), str(CALLBACK_TARGETS))
            host = f"http://127.0.0.1:{port}"
            plan = crowd_plan(host, world, targets, seconds=seconds, rate=rate)
            figures = run_crowd(plan, pids=[server.pid])
            figures["peak_rss_mib"] = [round(memory_kib(server.pid)["VmHWM"] / 1024, 1)]
        finally:
            stop(server)
    return figures


def services_missing() -> str:
    """Why the scaled shape cannot run here, or "" when PostgreSQL and Redis answer."""
    import psycopg
    import redis

    try:
        psycopg.connect(DATABASE_URL, connect_timeout=3).close()
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as error:
        return f"PostgreSQL or Redis unreachable: {error}"
    return ""


def scaled(*, seconds: float, designers: int, rate: float) -> dict[str, Any]:
    import psycopg

    from tests.scaled.cluster import Cluster

    name = f"studio_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="studio-load-bench-") as data_dir:
            database = urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/{name}"))
            env = base_env(data_dir, DATABASE_URL=database, REDIS_URL=REDIS_URL)
            cluster = Cluster(env, webs=2, dispatchers=2)
            # The cluster's env holds its addresses: the simulator, the public base URL.
            world = child(
                cluster.env,
                "seed",
                str(designers),
                str(PROJECTS),
                str(GENERATIONS),
                str(CALLBACK_TARGETS),
            )
            cluster.start()
            try:
                targets = child(
                    cluster.env, "targets", str(world["callback_project"]), str(CALLBACK_TARGETS)
                )
                host = f"http://127.0.0.1:{cluster.balancer.port}"
                plan = crowd_plan(host, world, targets, seconds=seconds, rate=rate)
                pids = [web.pid for web in cluster.webs.values()]
                pids += [dispatcher.pid for dispatcher in cluster.dispatchers]
                figures = run_crowd(plan, pids=pids)
                figures["peak_rss_mib"] = [
                    round(memory_kib(pid)["VmHWM"] / 1024, 1) for pid in pids
                ]
                figures["processes"] = "2 web, 2 dispatcher"
            finally:
                cluster.stop()
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return figures


def print_table(shape: str, results: dict[str, Any], target_ms: float) -> None:
    if "skipped" in results:
        print(f"Load, {shape} shape: skipped ({results['skipped']})")
        return
    print(
        f"Load, {shape} shape: {results['designers']} designers browsing for "
        f"{results['seconds']:.0f} s beside {results['callback_target_per_second']:.0f} "
        "callbacks/s"
    )
    print(f"{'endpoint':<14} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, row in results["endpoints"].items():
        print(
            f"{name:<14} {row['requests']:>9} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['p99_ms']:>8}"
        )
    print(
        f"{'all pages':<14} {results['page_requests']:>9} {results['page_p50_ms']:>8} "
        f"{results['page_p95_ms']:>8} {results['page_p99_ms']:>8}"
        f"   (target p95 ≤ {target_ms:.0f} ms)"
    )
    callbacks = results["callbacks"]
    print(
        f"errors: {results['errors']} {results['error_kinds'] or ''}(target 0)\n"
        f"callbacks: {callbacks['answered']} answered, {callbacks['per_second']}/s "
        f"(target {results['callback_target_per_second']:.0f}/s)\n"
        f"server memory, highest sampled per process: {results['rss_max_sampled_mib']} MiB, "
        f"peak (VmHWM) {results['peak_rss_mib']} MiB\n"
        f"CPU, % of a core: studio {results['cpu_percent']} (over the crowd's life), "
        f"the crowd {results['load_generator_cpu_percent']} (in the window)"
        + (f", the balancer {results['this_process_cpu_percent']}" if shape == "scaled" else "")
        + f"; the machine's {os.cpu_count()} cores {results['machine_busy_percent']} % busy"
    )


def main(
    *,
    shapes: tuple[str, ...] = tuple(SHAPES),
    seconds: float = SECONDS,
    designers: int | None = None,
    callback_rate: float | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for shape in shapes:
        default_designers, default_rate, target_ms = SHAPES[shape]
        options = {
            "seconds": seconds,
            "designers": designers or default_designers,
            "rate": default_rate if callback_rate is None else callback_rate,
        }
        if shape == "embedded":
            results[shape] = embedded(**options)
        elif missing := services_missing():
            results[shape] = {"skipped": missing}
        else:
            results[shape] = scaled(**options)
        results[shape]["target_p95_ms"] = target_ms
        print_table(shape, results[shape], target_ms)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    # For taking a figure apart: pages alone, or callbacks beside fewer people.
    parser.add_argument("--designers", type=int)
    parser.add_argument("--callback-rate", type=float)
    options = parser.parse_args()
    main(
        shapes=tuple(SHAPES) if options.shape == "both" else (options.shape,),
        seconds=options.seconds,
        designers=options.designers,
        callback_rate=options.callback_rate,
    )
