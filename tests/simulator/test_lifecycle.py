"""The task lifecycle: concurrency per key, cancelling, and surviving a restart."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone

from simulator import clock, lifecycle
from simulator.models import SimTask
from tests.conftest import LiveStudio, _free_port
from tests.simulator.conftest import KEY, OTHER_KEY

BODY = {"model": "viduq2", "prompt": "a kite"}


@pytest.fixture
def long_clock(sim_settings):
    """Tasks take a minute: they stay `processing` for the whole test."""
    sim_settings.SIMULATOR_IMAGE_SECONDS = 60


def test_the_sixth_task_queues_while_five_process(long_clock, sim):
    ids = [sim.create("reference2image", BODY)["task_id"] for _ in range(6)]

    states = [sim.query(task_id)["state"] for task_id in ids]

    assert states == ["processing"] * 5 + ["queueing"]
    credits = sim.get("/simulator/ent/v2/credits").json()["remains"][0]
    assert (credits["current_concurrency"], credits["queue_count"]) == (5, 1)


def test_concurrency_is_per_key(long_clock, sim):
    for _ in range(5):
        sim.create("reference2image", BODY, key=KEY)

    other = sim.create("reference2image", BODY, key=OTHER_KEY)["task_id"]

    assert sim.query(other, key=OTHER_KEY)["state"] == "processing"


def test_cancelling_a_processing_task_fails_it_and_starts_the_next(long_clock, sim):
    ids = [sim.create("reference2image", BODY)["task_id"] for _ in range(6)]
    assert sim.query(ids[5])["state"] == "queueing"

    response = sim.post(f"/simulator/ent/v2/tasks/{ids[0]}/cancel", {"id": ids[0]})

    assert response.status_code == 200
    assert response.json() == {}
    cancelled = sim.query(ids[0])
    assert (cancelled["state"], cancelled["err_code"]) == ("failed", "UserCancelled")
    assert sim.query(ids[5])["state"] == "processing"


def test_cancelling_a_queued_task_fails_it(long_clock, sim):
    ids = [sim.create("reference2image", BODY)["task_id"] for _ in range(6)]

    sim.post(f"/simulator/ent/v2/tasks/{ids[5]}/cancel")

    assert sim.query(ids[5])["err_code"] == "UserCancelled"


def test_a_finished_task_cannot_be_cancelled(sim):
    task_id = sim.create("reference2image", BODY)["task_id"]
    sim.wait_for(task_id)

    response = sim.post(f"/simulator/ent/v2/tasks/{task_id}/cancel", {"id": task_id})

    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
    assert response.json()["message"] == "task state is success, can not cancel"


def test_tasks_survive_a_restart_of_the_server(sim_settings, sim, live_studio):
    sim_settings.SIMULATOR_IMAGE_SECONDS = 2.0
    sim_settings.SIMULATOR_VIDEO_SECONDS = 2.0
    image = sim.create("reference2image", BODY)["task_id"]
    video = sim.create(
        "text2video", {"model": "viduq2", "prompt": "rain", "duration": 1, "resolution": "540p"}
    )["task_id"]
    live_studio.stop()
    assert not SimTask.objects.filter(state__in=SimTask.TERMINAL_STATES).exists()

    restarted = LiveStudio(_free_port())
    restarted.start()
    try:
        sim.url = restarted.url
        assert sim.wait_for(image)["state"] == "success"
        done = sim.wait_for(video)
        assert done["state"] == "success"
        assert sim.client.get(done["creations"][0]["url"]).status_code == 200
    finally:
        restarted.stop()


def make_task(task_id: str, *, key: str = KEY, state: str = SimTask.State.QUEUEING) -> SimTask:
    now = timezone.now()
    return SimTask.objects.create(
        task_id=task_id,
        key_id=hashlib.sha256(key.encode()).hexdigest(),
        dialect=SimTask.Dialect.OFFICIAL,
        endpoint="reference2image",
        model="viduq2",
        seed=1,
        work_seconds=60,
        files_token=f"token-{task_id}",
        created_at=now,
        due_at=now,
        state=state,
    )


@pytest.mark.django_db
def test_a_task_that_cannot_advance_is_failed_and_its_keys_other_tasks_go_on(monkeypatch):
    broken, fine = make_task("1"), make_task("2")
    real_start = lifecycle._start

    def start(task, now):
        if task.pk == broken.pk:
            raise RuntimeError("a row no code foresaw")
        return real_start(task, now)

    monkeypatch.setattr(lifecycle, "_start", start)

    lifecycle.advance_key(broken.key_id)

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.state, broken.err_code) == ("failed", "InternalServiceFailure")
    assert fine.state == "processing"


@pytest.mark.django_db(transaction=True)  # the clock closes connections, as between ticks
def test_one_key_that_fails_never_stops_the_tick_for_the_others(monkeypatch):
    broken, fine = make_task("1", key="broken"), make_task("2", key="fine")
    real_advance = lifecycle.advance_key

    def advance(key_id, *, now=None):
        if key_id == broken.key_id:
            raise RuntimeError("the database said no")
        return real_advance(key_id, now=now)

    monkeypatch.setattr(lifecycle, "advance_key", advance)

    clock._advance_due()

    fine.refresh_from_db()
    assert fine.state == "processing"
