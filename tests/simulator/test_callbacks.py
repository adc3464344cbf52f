"""Callbacks: signed as Vidu signs them, on processing/success/failed, with retries,
and the callback faults (drop, duplicate, reorder, late)."""

from __future__ import annotations

import time

import pytest

from providers.signing import SignatureError, verify_callback
from simulator.models import SimCallback, SimTask
from tests.simulator.conftest import KEY, png_uri, wait_until

BODY = {"model": "viduq2", "prompt": "a crane"}


def verify(received, callback_url: str, secret: str = KEY) -> None:
    seen: set[str] = set()

    def seen_nonce(nonce: str) -> bool:
        if nonce in seen:
            return True
        seen.add(nonce)
        return False

    verify_callback(
        received.headers,
        method="POST",
        callback_url=callback_url,
        secret=secret,
        now=time.time(),
        seen_nonce=seen_nonce,
    )


def test_callbacks_report_processing_then_success_signed_with_the_creating_key(sim, receiver):
    callback_url = f"{receiver.url}/hooks/t1?name=james&age=36"
    created = sim.create("reference2image", {**BODY, "callback_url": callback_url})
    sim.wait_for(created["task_id"])

    wait_until(lambda: len(receiver.for_path("/hooks/t1")) >= 2, message="two callbacks")

    received = receiver.for_path("/hooks/t1")
    assert [item.body["state"] for item in received] == ["processing", "success"]
    assert received[1].body["id"] == created["task_id"]
    assert received[1].body["creations"][0]["url"].startswith(sim.url)
    for item in received:
        verify(item, callback_url)
    with pytest.raises(SignatureError):
        verify(received[0], callback_url, secret="another-key")


def test_a_failed_task_calls_back_failed_with_its_code(sim, receiver):
    created = sim.create(
        "reference2image",
        {
            **BODY,
            "prompt": "#sim:fail=AuditSubmitIllegal",
            "callback_url": receiver.url + "/f",
        },
    )

    wait_until(lambda: "failed" in receiver.states("/f"), message="failed callback")

    failed = receiver.for_path("/f")[-1].body
    assert (failed["state"], failed["err_code"]) == ("failed", "AuditSubmitIllegal")
    assert sim.query(created["task_id"])["err_code"] == "AuditSubmitIllegal"


def callback_row(task_id: str, state: str, status: str) -> SimCallback | None:
    row = SimCallback.objects.filter(task__task_id=task_id, state=state).first()
    return row if row and row.status == status else None


def test_final_callbacks_are_retried_three_times(sim, receiver):
    receiver.fail_first[("/retry", "success")] = 2
    created = sim.create("reference2image", {**BODY, "callback_url": receiver.url + "/retry"})
    task_id = created["task_id"]

    delivered = wait_until(
        lambda: callback_row(task_id, "success", SimCallback.Status.DELIVERED),
        message="retried success",
    )

    assert delivered.attempts == 3
    assert sorted(receiver.states("/retry")) == ["processing", "success"]


def test_a_receiver_that_always_fails_gets_four_tries_then_is_given_up(sim, receiver):
    receiver.fail_first[("/down", None)] = 100
    task_id = sim.create("reference2image", {**BODY, "callback_url": receiver.url + "/down"})[
        "task_id"
    ]

    success = wait_until(
        lambda: callback_row(task_id, "success", SimCallback.Status.GAVE_UP), message="give up"
    )

    assert success.attempts == 4
    # `processing` is not a final state: one try only (vidu-api.md §6.1).
    assert callback_row(task_id, "processing", SimCallback.Status.GAVE_UP).attempts == 1


def test_drop_callbacks_sends_none(sim, receiver):
    created = sim.create(
        "reference2image",
        {
            **BODY,
            "prompt": "a #sim:drop-callbacks",
            "callback_url": receiver.url + "/drop",
        },
    )
    sim.wait_for(created["task_id"])

    assert not SimCallback.objects.filter(task__task_id=created["task_id"]).exists()
    assert receiver.for_path("/drop") == []


def test_duplicate_callbacks_sends_each_state_twice(sim, receiver):
    sim.create(
        "reference2image",
        {
            **BODY,
            "prompt": "a #sim:duplicate-callbacks",
            "callback_url": receiver.url + "/dup",
        },
    )

    wait_until(lambda: len(receiver.for_path("/dup")) >= 4, message="four callbacks")

    assert sorted(receiver.states("/dup")) == ["processing", "processing", "success", "success"]
    nonces = {item.headers["x-request-nonce"] for item in receiver.for_path("/dup")}
    assert len(nonces) == 4


def test_reorder_callbacks_sends_processing_after_success(sim, receiver):
    sim.create(
        "reference2image",
        {
            **BODY,
            "prompt": "a #sim:reorder-callbacks",
            "callback_url": receiver.url + "/re",
        },
    )

    wait_until(lambda: len(receiver.for_path("/re")) >= 2, message="two callbacks")

    assert receiver.states("/re") == ["success", "processing"]


def test_late_callbacks_arrive_after_the_delay(sim, receiver):
    created = sim.create(
        "reference2image",
        {
            **BODY,
            "prompt": "a #sim:late-callbacks=800",
            "callback_url": receiver.url + "/late",
        },
    )

    wait_until(lambda: "success" in receiver.states("/late"), message="late success")

    task = SimTask.objects.get(task_id=created["task_id"])
    success = [item for item in receiver.for_path("/late") if item.body["state"] == "success"]
    assert success[0].at - task.finished_at.timestamp() >= 0.8


def test_vtrix_tasks_call_back_with_the_vtrix_body(sim, receiver):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {
            "model": "viduq2_reference2image",
            "prompt": "x",
            "images": [png_uri()],
            "callback_url": receiver.url + "/vt",
        },
        scheme="Bearer",
    )
    assert response.status_code == 200

    wait_until(lambda: "success" in receiver.states("/vt"), message="vtrix success")

    body = receiver.for_path("/vt")[-1].body
    assert body["output"]["content"][0]["type"] == "image"
