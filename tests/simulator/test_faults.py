"""Fault injection by prompt tag and by configuration (SIMULATOR_FAULTS)."""

from __future__ import annotations

import time

import httpx
import pytest

from simulator.models import SimTask
from tests.simulator.conftest import png_uri, wait_until

BODY = {"model": "viduq2", "prompt": "a harbour"}


@pytest.mark.parametrize(
    "code", ["CreditInsufficient", "AuditSubmitIllegal", "CreationPolicyViolation"]
)
def test_fail_tag_ends_the_task_failed_with_that_code(sim, code):
    task_id = sim.create("reference2image", {**BODY, "prompt": f"x #sim:fail={code}"})["task_id"]

    done = sim.wait_for(task_id)

    assert (done["state"], done["err_code"], done["creations"]) == ("failed", code, [])


def test_vtrix_reports_a_failed_task_in_its_error_object(sim):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {
            "model": "viduq2_reference2image",
            "prompt": "#sim:fail=CreditInsufficient",
            "images": [png_uri()],
        },
        scheme="Bearer",
    )

    def failed():
        body = sim.get(
            f"/simulator/vtrix/model/v1/generation/task/{response.json()['id']}", scheme="Bearer"
        ).json()
        return body if body["status"] == "failed" else None

    error = wait_until(failed, message="vtrix failure")["error"]
    assert error["code"] == "008023095"
    assert "CreditInsufficient" in error["message"]


def test_slow_tag_takes_ten_times_longer(sim):
    slow = sim.create("reference2image", {**BODY, "prompt": "a #sim:slow"})["task_id"]
    normal = sim.create("reference2image", BODY)["task_id"]

    sim.wait_for(normal)

    assert sim.query(slow)["state"] == "processing"
    assert SimTask.objects.get(task_id=slow).work_seconds == pytest.approx(
        10 * SimTask.objects.get(task_id=normal).work_seconds
    )


def test_429_tag_refuses_without_creating_a_task(sim):
    response = sim.post(
        "/simulator/ent/v2/reference2image", {**BODY, "prompt": "x #sim:429", "payload": "p429"}
    )

    assert response.status_code == 429
    assert response.json()["reason"] == "TooManyRequests"
    assert response.headers["Retry-After"] == "1"
    assert not SimTask.objects.filter(payload="p429").exists()


def test_500_tag_answers_500_but_the_task_exists_and_runs(sim):
    response = sim.post(
        "/simulator/ent/v2/reference2image", {**BODY, "prompt": "x #sim:500", "payload": "p500"}
    )

    assert response.status_code == 500
    assert response.json()["reason"] == "InternalServiceFailure"
    task = SimTask.objects.get(payload="p500")
    assert sim.wait_for(task.task_id)["state"] == "success"


def test_timeout_tag_outlasts_the_client_but_creates_the_task(sim):
    with pytest.raises(httpx.ReadTimeout):
        sim.post(
            "/simulator/ent/v2/reference2image",
            {**BODY, "prompt": "x #sim:timeout=3000", "payload": "ptimeout"},
            timeout=httpx.Timeout(5, read=0.5),
        )

    assert SimTask.objects.filter(payload="ptimeout").count() == 1


def test_expire_urls_tag_makes_result_urls_stop_working(sim):
    task_id = sim.create("reference2image", {**BODY, "prompt": "x #sim:expire-urls=1500"})[
        "task_id"
    ]
    url = sim.wait_for(task_id)["creations"][0]["url"]

    assert sim.client.get(url).status_code == 200
    wait_until(lambda: sim.client.get(url).status_code == 403, message="expired URL")


def test_latency_tag_delays_the_create_answer(sim):
    started = time.monotonic()
    sim.create("reference2image", {**BODY, "prompt": "x #sim:latency=400"})

    assert time.monotonic() - started >= 0.4


def test_configured_faults_apply_to_every_task(sim_settings, sim):
    sim_settings.SIMULATOR_FAULTS = ["fail=ModelUnavailable"]

    task_id = sim.create("reference2image", BODY)["task_id"]

    assert sim.wait_for(task_id)["err_code"] == "ModelUnavailable"


def test_unknown_file_tokens_are_404(sim):
    assert sim.client.get(sim.url + "/simulator/files/nope/image.png").status_code == 404
