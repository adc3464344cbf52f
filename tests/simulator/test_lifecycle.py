"""The task lifecycle: concurrency per key, cancelling, and surviving a restart."""

from __future__ import annotations

import pytest

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
