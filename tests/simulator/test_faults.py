"""Fault injection by prompt tag and by configuration (SIMULATOR_FAULTS)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from simulator.models import SimTask
from tests.simulator.conftest import IMAGE_SECONDS, KEY, png_uri, wait_until

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


# --- faults that lose or spoil an answer after the task exists (money-safety) ----------


def test_lose_answer_drops_the_connection_after_creating_the_task(sim):
    with pytest.raises(httpx.TransportError) as caught:
        sim.post(
            "/simulator/ent/v2/reference2image",
            {**BODY, "prompt": "x #sim:lose-answer", "payload": "plost"},
        )

    assert not isinstance(caught.value, httpx.TimeoutException)
    task = SimTask.objects.get(payload="plost")
    assert sim.wait_for(task.task_id)["state"] == "success"


@pytest.mark.parametrize(
    ("kind", "content_type", "body"),
    [
        ("", "application/json", b""),
        ("=empty", "application/json", b""),
        ("=html", "text/html; charset=utf-8", b"<!DOCTYPE html>"),
        ("=list", "application/json", b"[]"),
    ],
)
def test_junk_answers_200_with_no_task_object_but_creates_the_task(sim, kind, content_type, body):
    payload = f"pjunk{kind}"
    response = sim.post(
        "/simulator/ent/v2/reference2image",
        {**BODY, "prompt": f"x #sim:junk{kind}", "payload": payload},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content.startswith(body) and (body or response.content == b"")
    assert SimTask.objects.filter(payload=payload).count() == 1


def test_junk_applies_on_the_vtrix_mount_too(sim):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {
            "model": "viduq2_reference2image",
            "prompt": "x #sim:junk=list",
            "images": [png_uri()],
            "payload": "pjunk-vtrix",
        },
        scheme="Bearer",
    )

    assert (response.status_code, response.content) == (200, b"[]")
    assert SimTask.objects.filter(payload="pjunk-vtrix").exists()


def query_paths(task_id: str) -> dict[str, tuple[str, str]]:
    return {
        "official": (f"/simulator/ent/v2/tasks/{task_id}/creations", "Token"),
        "powertokens": (f"/simulator/vidu/ent/v2/tasks/{task_id}", "Bearer"),
        "powertokens-v1": (f"/simulator/vidu/v1/images/{task_id}", "Bearer"),
        "kkiai": (f"/simulator/kkiai/ent/v2/tasks/{task_id}/creations", "Bearer"),
        "vtrix": (f"/simulator/vtrix/model/v1/generation/task/{task_id}", "Bearer"),
    }


CREATE_PATHS = {
    "official": ("/simulator/ent/v2/reference2image", "Token"),
    "powertokens": ("/simulator/vidu/ent/v2/reference2image", "Bearer"),
    "powertokens-v1": ("/simulator/vidu/ent/v2/reference2image", "Bearer"),
    "kkiai": ("/simulator/kkiai/ent/v2/reference2image", "Bearer"),
    "vtrix": ("/simulator/vtrix/model/v1/generation", "Bearer"),
}


@pytest.mark.parametrize("mount", list(CREATE_PATHS))
def test_query_404_hides_the_task_behind_a_bare_404_then_answers(sim, mount):
    path, scheme = CREATE_PATHS[mount]
    body = {**BODY, "prompt": "x #sim:query-404=600000"}
    if mount == "vtrix":
        body = {**body, "model": "viduq2_reference2image", "images": [png_uri()]}
    created = sim.post(path, body, scheme=scheme).json()
    task_id = created.get("task_id") or created["id"]
    query, scheme = query_paths(task_id)[mount]

    hidden = sim.get(query, scheme=scheme)
    # The window is measured from the task's creation: end it by moving that back.
    SimTask.objects.filter(task_id=task_id).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    shown = sim.get(query, scheme=scheme)

    assert (hidden.status_code, hidden.content) == (404, b"")
    assert shown.status_code == 200
    assert task_id in shown.text


def test_query_404_lasts_3000_ms_by_default(sim):
    task_id = sim.create("reference2image", {**BODY, "prompt": "x #sim:query-404"})["task_id"]

    task = SimTask.objects.get(task_id=task_id)

    assert task.fault("query-404") == 3000
    assert sim.get(f"/simulator/ent/v2/tasks/{task_id}/creations").status_code == 404
    SimTask.objects.filter(pk=task.pk).update(created_at=task.created_at - timedelta(seconds=3))
    assert sim.get(f"/simulator/ent/v2/tasks/{task_id}/creations").status_code == 200


# --- bounded fault values and a clock that survives bad rows ----------------------------


def test_huge_fault_values_are_cut_to_their_bounds(sim):
    prompt = "x #sim:slow=1e12 #sim:late-callbacks=1e20 #sim:query-404=1e300 #sim:latency=nan"
    task_id = sim.create("reference2image", {**BODY, "prompt": prompt})["task_id"]

    task = SimTask.objects.get(task_id=task_id)

    assert task.faults["slow"] == 100
    assert task.faults["late-callbacks"] == 10 * 60 * 1000
    assert task.faults["query-404"] == 10 * 60 * 1000
    assert "latency" not in task.faults
    assert task.work_seconds == pytest.approx(100 * IMAGE_SECONDS)
    # Cancel once answered 500 here: the late-callbacks date overflowed.
    SimTask.objects.filter(pk=task.pk).update(faults={**task.faults, "query-404": 0})
    assert sim.post(f"/simulator/ent/v2/tasks/{task_id}/cancel").status_code == 200


def test_a_timeout_tag_never_hangs_past_its_setting(sim_settings, sim):
    sim_settings.SIMULATOR_TIMEOUT_SECONDS = 0.3
    started = time.monotonic()

    sim.create("reference2image", {**BODY, "prompt": "x #sim:timeout=1e15"})

    assert time.monotonic() - started < 10


def test_stored_rows_with_huge_values_do_not_stop_the_clock(sim):
    now = timezone.now()
    for n, faults in enumerate(
        [
            {"slow": 1e12, "late-callbacks": 1e20},
            {"expire-urls": "nan", "late-callbacks": 1e300, "slow": -5},
        ]
    ):
        SimTask.objects.create(
            task_id=f"90000000000000000{n}",
            key_id=hashlib.sha256(KEY.encode()).hexdigest(),
            dialect=SimTask.Dialect.OFFICIAL,
            endpoint="reference2image",
            model="viduq2",
            prompt="stored before the bounds",
            seed=1,
            faults=faults,
            work_seconds=1e12 if n == 0 else 0.1,
            callback_url="http://127.0.0.1:9/never",
            files_token=f"token-{n}",
            created_at=now,
            due_at=now,
        )

    fresh = sim.create("reference2image", BODY)["task_id"]

    assert sim.wait_for(fresh)["state"] == "success"
    assert sim.query("900000000000000000")["state"] == "processing"
    assert sim.wait_for("900000000000000001")["state"] == "success"
    cancelled = sim.post("/simulator/ent/v2/tasks/900000000000000000/cancel")
    assert cancelled.status_code == 200
