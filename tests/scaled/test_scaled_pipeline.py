"""The scaled-out shape: two web processes and two dispatchers on PostgreSQL and Redis.

A hundred generations go through the simulator, with the provider's callbacks hitting
either web process at random (through a small loopback balancer). Each must end ready
exactly once: one provider task, one set of files.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from tests.scaled.cluster import (
    Cluster,
    base_env,
    create_generations_script,
)

GENERATIONS = 100
pytestmark = pytest.mark.scaled


@pytest.fixture
def cluster(scaled_services, fresh_database, tmp_path):
    env = base_env(
        database=fresh_database, redis_url=scaled_services["redis_url"], tmp_path=tmp_path
    )
    cluster = Cluster(env)
    cluster.start()
    yield cluster
    cluster.stop()


def wait_until_all_terminal(database: str, count: int, *, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database, autocommit=True) as db:
        while True:
            states = dict(
                db.execute(
                    "SELECT state, count(*) FROM generations_generation GROUP BY state"
                ).fetchall()
            )
            ended = ("ready", "failed", "cancelled", "needs_attention")
            if sum(states.get(state, 0) for state in ended) == count:
                return states
            assert time.monotonic() < deadline, f"not finished: {states}"
            time.sleep(0.5)


def assert_each_ready_exactly_once(database: str, media_root: str, count: int) -> None:
    with psycopg.connect(database, autocommit=True) as db:
        not_ready = db.execute(
            "SELECT id, state, error_message, provider_note FROM generations_generation"
            " WHERE state <> 'ready'"
        ).fetchall()
        tasks_per_payload = db.execute(
            "SELECT count(*) FROM simulator_simtask GROUP BY payload"
        ).fetchall()
        outputs = db.execute("SELECT count(*) FROM generations_generationoutput").fetchone()[0]
        ready_steps = db.execute(
            "SELECT count(*) FROM generations_statechange"
            " WHERE state = 'ready' GROUP BY generation_id"
        ).fetchall()
    assert not_ready == []
    assert len(tasks_per_payload) == count
    assert all(n == 1 for (n,) in tasks_per_payload), "a generation was submitted twice"
    assert outputs == count
    assert len(ready_steps) == count and all(n == 1 for (n,) in ready_steps)
    files = [p for p in Path(media_root, "outputs").rglob("result-*") if "-thumb" not in p.name]
    assert len(files) == count


def settle_decisions(cluster, count: int) -> None:
    """A create whose connection dropped after it was sent is asked about, never re-sent
    (DESIGN §0): asked, the provider must have no task for it, and the designer's Submit
    again must finish it once."""
    from tests.scaled.test_chaos import decisions_asked, submit_again_script

    asked = decisions_asked(cluster.env["DATABASE_URL"])
    if not asked:
        return
    assert all(tasks == 0 for _, tasks in asked), f"the provider had these tasks: {asked}"
    submitted = cluster.manage("shell", "-v", "0", "-c", submit_again_script(asked))
    assert submitted.returncode == 0, submitted.stderr
    wait_until_all_terminal(cluster.env["DATABASE_URL"], count, timeout=120)


def test_a_hundred_generations_end_ready_exactly_once_across_processes(cluster):
    created = cluster.manage("shell", "-v", "0", "-c", create_generations_script(GENERATIONS))
    assert created.returncode == 0, created.stderr

    wait_until_all_terminal(cluster.env["DATABASE_URL"], GENERATIONS, timeout=240)
    settle_decisions(cluster, GENERATIONS)

    assert_each_ready_exactly_once(
        cluster.env["DATABASE_URL"], cluster.env["MEDIA_ROOT"], GENERATIONS
    )
    # The provider's callbacks reached both web processes.
    assert all(n > 0 for n in cluster.balancer.connections.values())
