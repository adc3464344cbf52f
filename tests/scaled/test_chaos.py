"""Chaos: processes killed at random and Redis down for 30 s; nothing lost, nothing twice."""

from __future__ import annotations

import random
import time

import httpx
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

    for _ in range(4):
        time.sleep(rng.uniform(0.5, 2.0))
        cluster.kill_dispatcher(rng.randrange(len(cluster.dispatchers)))
    # Web B (no simulator clock) is killed and comes back; the balancer routes around it.
    cluster.kill_web(cluster.web_ports[1])
    time.sleep(1)
    cluster.start_web(cluster.web_ports[1])

    redis.stop()
    down_until = time.monotonic() + REDIS_DOWN_SECONDS
    answered = []
    while time.monotonic() < down_until:
        started = time.monotonic()
        page = httpx.get(f"http://127.0.0.1:{cluster.balancer.port}/accounts/login/", timeout=10)
        callback = httpx.post(
            f"http://127.0.0.1:{cluster.balancer.port}/callbacks/simulator/no-such-token/",
            timeout=10,
        )
        answered.append((page.status_code, callback.status_code, time.monotonic() - started))
        time.sleep(1)
    redis.start()

    states = wait_until_all_terminal(cluster.env["DATABASE_URL"], GENERATIONS, timeout=300)

    assert all(page == 200 and callback == 404 for page, callback, _ in answered), answered
    assert_each_ready_exactly_once(
        cluster.env["DATABASE_URL"], cluster.env["MEDIA_ROOT"], GENERATIONS
    )
    assert states == {"ready": GENERATIONS}
