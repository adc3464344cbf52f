"""Authorization per dialect, key restriction, and tasks scoped to their key."""

from __future__ import annotations

import pytest

from simulator.models import SimTask
from tests.simulator.conftest import OTHER_KEY, png_uri

BODY = {"model": "viduq2", "prompt": "a lighthouse"}


@pytest.fixture
def frozen_clock(sim_settings):
    sim_settings.SIMULATOR_IMAGE_SECONDS = 600


def test_no_authorization_header_is_401_with_the_error_shape(frozen_clock, sim):
    response = sim.client.post(sim.url + "/simulator/ent/v2/reference2image", json=BODY)

    assert response.status_code == 401
    assert response.json()["code"] == 401
    assert response.json()["reason"] == "Unauthorized"


@pytest.mark.parametrize(
    ("path", "good", "bad"),
    [
        ("/simulator/ent/v2/reference2image", "Token", "Bearer"),
        ("/simulator/vidu/ent/v2/reference2image", "Bearer", "Token"),
        ("/simulator/kkiai/ent/v2/reference2image", "Bearer", "Token"),
        ("/simulator/vtrix/model/v1/generation", "Bearer", "Token"),
    ],
)
def test_each_dialect_takes_only_its_documented_scheme(frozen_clock, sim, path, good, bad):
    body = BODY
    if "vtrix" in path:
        body = {**BODY, "model": "viduq2_reference2image", "images": [png_uri()]}

    assert sim.post(path, body, scheme=good).status_code == 200
    assert sim.post(path, body, scheme=bad).status_code == 401
    keyless = sim.client.post(sim.url + path, json=body, headers={"Authorization": good})
    assert keyless.status_code == 401


def test_configured_keys_restrict_who_may_call(frozen_clock, sim_settings, sim):
    sim_settings.SIMULATOR_API_KEYS = ["only-this-one"]

    assert sim.post("/simulator/ent/v2/reference2image", BODY, key="other").status_code == 401
    ok = sim.post("/simulator/ent/v2/reference2image", BODY, key="only-this-one")
    assert ok.status_code == 200


def test_an_unknown_key_is_refused_even_with_the_right_scheme(frozen_clock, sim):
    response = sim.post("/simulator/ent/v2/reference2image", BODY, key="made-up-key")

    assert response.status_code == 401
    assert response.json()["reason"] == "Unauthorized"
    assert not SimTask.objects.exists()


def test_with_no_keys_configured_nobody_gets_in(frozen_clock, sim_settings, sim):
    sim_settings.SIMULATOR_API_KEYS = []

    assert sim.post("/simulator/ent/v2/reference2image", BODY).status_code == 401
    assert sim.get("/simulator/ent/v2/tasks").status_code == 401


def test_anonymous_callers_see_no_task_list_and_cancel_nothing(frozen_clock, sim):
    task_id = sim.create("reference2image", BODY)["task_id"]

    listed = sim.client.get(sim.url + "/simulator/ent/v2/tasks")
    cancelled = sim.client.post(sim.url + f"/simulator/ent/v2/tasks/{task_id}/cancel")

    assert (listed.status_code, cancelled.status_code) == (401, 401)
    assert sim.query(task_id)["state"] in ("queueing", "processing")


def test_another_key_cannot_see_or_cancel_or_list_a_task(frozen_clock, sim):
    task_id = sim.create("reference2image", {**BODY, "payload": "mine"})["task_id"]

    seen = sim.get(f"/simulator/ent/v2/tasks/{task_id}/creations", key=OTHER_KEY)
    cancelled = sim.post(
        f"/simulator/ent/v2/tasks/{task_id}/cancel", {"id": task_id}, key=OTHER_KEY
    )
    listed = sim.get("/simulator/ent/v2/tasks", key=OTHER_KEY)
    vtrix = sim.get(
        f"/simulator/vtrix/model/v1/generation/task/{task_id}", key=OTHER_KEY, scheme="Bearer"
    )

    assert seen.status_code == 404
    assert seen.json()["reason"] == "TaskNotFound"
    assert cancelled.status_code == 404
    assert listed.json()["tasks"] == []
    assert vtrix.status_code == 404
    assert sim.query(task_id)["state"] in ("queueing", "processing")


def test_query_needs_auth_too(frozen_clock, sim):
    task_id = sim.create("reference2image", BODY)["task_id"]

    response = sim.client.get(sim.url + f"/simulator/ent/v2/tasks/{task_id}/creations")

    assert response.status_code == 401
