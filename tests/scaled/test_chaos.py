"""Chaos: processes killed at random and Redis down for 30 s; nothing lost, nothing twice."""

from __future__ import annotations

import random
import time

import httpx
import psycopg
import pytest

from tests.scaled.cluster import Cluster, PrivateRedis, base_env, create_generations_script
from tests.scaled.test_scaled_pipeline import (
    assert_each_ready_exactly_once,
    wait_until_all_terminal,
)

GENERATIONS = 60
REDIS_DOWN_SECONDS = 30
pytestmark = pytest.mark.scaled


@pytest.fixture
def chaos(scaled_services, fresh_database, tmp_path):
    # Its own Redis, so stopping it disturbs no other test on this machine.
    redis = PrivateRedis()
    redis.start()
    env = base_env(database=fresh_database, redis_url=redis.url, tmp_path=tmp_path)
    cluster = Cluster(env)
    cluster.start()
    yield cluster, redis
    cluster.stop()
    redis.stop()


def test_kills_and_a_redis_outage_lose_nothing_and_duplicate_nothing(chaos):
    cluster, redis = chaos
    rng = random.Random(20261123)
    created = cluster.manage("shell", "-v", "0", "-c", create_generations_script(GENERATIONS))
    assert created.returncode == 0, created.stderr

    # Processes die at random moments while Redis is down: restarting without it must work.
    redis.stop()
    began = time.monotonic()
    moments = sorted(rng.uniform(0.5, 6) for _ in range(5))
    victims = ["dispatcher", "dispatcher", "web B", "dispatcher", "dispatcher"]
    in_flight_at_kills = []
    answered = []
    while time.monotonic() - began < REDIS_DOWN_SECONDS:
        while moments and time.monotonic() - began >= moments[0]:
            moments.pop(0)
            in_flight_at_kills.append(unfinished(cluster.env["DATABASE_URL"]))
            if victims.pop(0) == "web B":
                # Web B (no background loops) is killed and comes back; the balancer
                # routes around it meanwhile.
                cluster.kill_web(cluster.web_ports[1])
                time.sleep(1)
                cluster.start_web(cluster.web_ports[1])
            else:
                cluster.kill_dispatcher(rng.randrange(len(cluster.dispatchers)))
        started = time.monotonic()
        page = httpx.get(f"http://127.0.0.1:{cluster.balancer.port}/accounts/login/", timeout=10)
        callback = httpx.post(
            f"http://127.0.0.1:{cluster.balancer.port}/callbacks/simulator/no-such-token/",
            timeout=10,
        )
        answered.append((page.status_code, callback.status_code, time.monotonic() - started))
        time.sleep(1)
    redis.start()
    assert in_flight_at_kills[0] > 0, "the processes died after the work was done"

    states = wait_until_all_terminal(cluster.env["DATABASE_URL"], GENERATIONS, timeout=300)
    assert all(page == 200 and callback == 404 for page, callback, _ in answered), answered

    # A create cut off with the process that served it cannot be proven unsent, so the
    # studio never re-sends it on its own (DESIGN §0): it asks. Asked, it must be a task
    # the provider does not have, and the designer's "Submit again" must finish it once.
    asked = decisions_asked(cluster.env["DATABASE_URL"])
    if asked:
        assert all(tasks == 0 for _, tasks in asked), f"the provider had these tasks: {asked}"
        submitted = cluster.manage("shell", "-v", "0", "-c", submit_again_script(asked))
        assert submitted.returncode == 0, submitted.stderr
        states = wait_until_all_terminal(cluster.env["DATABASE_URL"], GENERATIONS, timeout=120)

    assert_each_ready_exactly_once(
        cluster.env["DATABASE_URL"], cluster.env["MEDIA_ROOT"], GENERATIONS
    )
    assert states == {"ready": GENERATIONS}


def unfinished(database: str) -> int:
    with psycopg.connect(database, autocommit=True) as db:
        return db.execute(
            "SELECT count(*) FROM generations_generation"
            " WHERE state NOT IN ('ready', 'failed', 'cancelled', 'needs_attention')"
        ).fetchone()[0]


def decisions_asked(database: str) -> list[tuple[int, int]]:
    """The generations left for the designer, with how many provider tasks each has."""
    with psycopg.connect(database, autocommit=True) as db:
        return db.execute(
            "SELECT g.id,"
            " (SELECT count(*) FROM simulator_simtask t WHERE t.payload = g.payload::text)"
            " FROM generations_generation g WHERE g.state = 'needs_attention'"
        ).fetchall()


def submit_again_script(asked: list[tuple[int, int]]) -> str:
    ids = [generation_id for generation_id, _ in asked]
    return f"""
from generations import actions
from generations.models import Generation
for generation in Generation.objects.filter(pk__in={ids!r}).select_related("project__owner"):
    actions.submit_again(generation=generation, user=generation.project.owner)
"""
