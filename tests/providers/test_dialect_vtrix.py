"""The Vtrix dialect (seed 003) against replayed answers in every documented shape."""

from __future__ import annotations

import pytest

from providers import http, registry
from providers.base import Endpoint, GenerationRequest, ImageInput, ProviderError, TaskState
from tests.factories import make_png
from tests.providers.replay import Replay, answer

KEY = "vtx_test_key_0123456789abcd"
TASK = "/model/v1/generation/task/vt-1"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    async def fake_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "_sleep", fake_sleep)


def vtrix(replay: Replay):
    return registry.dialect_for("vtrix", base_url="", api_key=KEY, client=replay.client())


def r2i() -> GenerationRequest:
    return GenerationRequest(
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq2",
        prompt="A lighthouse at dusk",
        images=(ImageInput(make_png(), "image/png", 256, 256),),
        params={"resolution": "1080p", "aspect_ratio": "16:9"},
        payload="gen-7",
    )


def task(status: str, *, nested: bool = False, **extra) -> dict:
    body = {"id": "vt-1", "model": "viduq2_reference2image", **extra}
    if nested:
        body["output"] = {"status": status, **body.get("output", {})}
    else:
        body["status"] = status
    return body


async def test_create_posts_the_flat_body_under_the_vtrix_model_id():
    replay = Replay({("POST", "/model/v1/generation"): answer(200, task("in_queue"))})
    status = await vtrix(replay).submit(r2i())

    assert str(replay.last.url) == "https://cloud.vtrix.ai/model/v1/generation"
    assert replay.last.headers["Authorization"] == f"Bearer {KEY}"
    body = replay.last_json()
    assert body["model"] == "viduq2_reference2image"
    assert body["prompt"] == "A lighthouse at dusk"
    assert body["images"][0].startswith("data:image/png;base64,")
    assert body["resolution"] == "1080p"
    assert body["payload"] == "gen-7"
    assert status.task_id == "vt-1"
    assert status.state is TaskState.QUEUEING


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("in_queue", TaskState.QUEUEING),
        ("pending", TaskState.QUEUEING),
        ("processing", TaskState.PROCESSING),
        ("in_progress", TaskState.PROCESSING),
        ("success", TaskState.SUCCESS),
        ("completed", TaskState.SUCCESS),
        ("failed", TaskState.FAILED),
        ("COMPLETED", TaskState.SUCCESS),
    ],
)
@pytest.mark.parametrize("nested", [False, True])
async def test_every_documented_status_spelling_maps(raw, state, nested):
    replay = Replay({("GET", TASK): answer(200, task(raw, nested=nested))})
    status = await vtrix(replay).fetch("vt-1")
    assert status.state is state
    assert status.raw_state == raw
    assert str(replay.last.url) == "https://cloud.vtrix.ai/model/v1/generation/task/vt-1"


async def test_an_unknown_status_is_kept_raw():
    replay = Replay({("GET", TASK): answer(200, task("paused"))})
    status = await vtrix(replay).fetch("vt-1")
    assert status.state is None
    assert status.raw_state == "paused"


async def test_output_as_an_object_gives_creations_and_cost():
    body = task(
        "success",
        output={
            "content": [{"type": "image", "url": "https://cdn.vtrix.test/a.png"}],
            "jobId": "upstream-1",
        },
        usage={"cost": "0.0750", "discount": 0},
    )
    replay = Replay({("GET", TASK): answer(200, body)})
    status = await vtrix(replay).fetch("vt-1")
    assert [(c.url, c.kind) for c in status.creations] == [
        ("https://cdn.vtrix.test/a.png", "image")
    ]
    assert status.cost == "0.0750"
    assert status.credits is None


async def test_output_as_an_array_gives_creations():
    body = {
        "id": "vt-1",
        "status": "completed",
        "output": [{"content": [{"type": "video", "url": "https://cdn.vtrix.test/v.mp4"}]}],
    }
    replay = Replay({("GET", TASK): answer(200, body)})
    status = await vtrix(replay).fetch("vt-1")
    assert status.state is TaskState.SUCCESS
    assert [(c.url, c.kind) for c in status.creations] == [
        ("https://cdn.vtrix.test/v.mp4", "video")
    ]


async def test_a_failed_task_explains_its_vtrix_error_code():
    body = task("failed", error={"code": "008023095", "message": "upstream exploded"})
    replay = Replay({("GET", TASK): answer(200, body)})
    status = await vtrix(replay).fetch("vt-1")
    assert status.state is TaskState.FAILED
    assert status.err_code == "008023095"
    assert status.message == "Vtrix reported an internal generation error: upstream exploded"


@pytest.mark.parametrize(
    ("status", "body", "message", "permanent"),
    [
        (
            400,
            {"error": {"code": "008023003", "message": "prompt is required"}},
            "Vtrix rejected the request: the prompt is missing: prompt is required",
            True,
        ),
        (
            400,
            {"code": "008023002", "message": "got 9"},
            "Vtrix rejected the request: it needs between 1 and 7 images: got 9",
            True,
        ),
        (
            401,
            {"error": {"message": "invalid api key"}},
            "The API key was refused by Vtrix: invalid api key",
            True,
        ),
        (403, {}, "Not enough balance on this Vtrix account", True),
        (429, {}, "Vtrix is busy: too many tasks or requests at once", False),
        (
            400,
            {"error": {"code": "008023099", "message": ""}},
            "Vtrix could not create the task",
            False,
        ),
    ],
)
async def test_create_errors_become_plain_messages(status, body, message, permanent):
    replay = Replay({("POST", "/model/v1/generation"): answer(status, body)})
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(r2i())
    assert caught.value.message == message
    assert caught.value.permanent is permanent


async def test_a_server_error_on_create_means_the_submission_is_unknown():
    replay = Replay({("POST", "/model/v1/generation"): answer(500, {})})
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(r2i())
    assert caught.value.submission_unknown is True
    assert len(replay.requests) == 1


async def test_a_lost_create_cannot_be_looked_up():
    with pytest.raises(ProviderError) as caught:
        await vtrix(Replay()).find_task("gen-7")
    assert caught.value.permanent is True


async def test_cancel_is_not_offered():
    with pytest.raises(ProviderError) as caught:
        await vtrix(Replay()).cancel("vt-1")
    assert caught.value.permanent is True


@pytest.mark.parametrize(
    ("status", "verdict", "ok"),
    [
        (405, "unchecked", True),
        (404, "wrong_address", False),
        (401, "refused", False),
        (403, "refused", False),
    ],
)
async def test_check_probes_the_generation_route(status, verdict, ok):
    import httpx

    replay = Replay({("GET", "/model/v1/generation"): httpx.Response(status)})
    check = await vtrix(replay).check()
    assert (check.ok, check.verdict) == (ok, verdict)
    if status == 403:
        assert check.message == "Reachable, key accepted, but the Vtrix account has no balance"


async def test_error_codes_keep_their_leading_zeros():
    body = {"error": {"code": 8023003, "message": "prompt is required"}}
    replay = Replay({("POST", "/model/v1/generation"): answer(400, body)})
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(r2i())
    assert caught.value.code == "008023003"
    assert caught.value.message == (
        "Vtrix rejected the request: the prompt is missing: prompt is required"
    )


async def test_a_200_that_carries_only_an_error_is_shown_with_its_real_message():
    body = {"error": {"code": "008023002", "message": "images must contain 1-7 items"}}
    replay = Replay({("POST", "/model/v1/generation"): answer(200, body)})
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(r2i())
    assert caught.value.permanent is True
    assert caught.value.submission_unknown is False
    assert "images must contain 1-7 items" in caught.value.message


async def test_a_200_error_after_the_upstream_task_may_exist_is_submission_unknown():
    body = {"error": {"code": "008023098", "message": "status check error"}}
    replay = Replay({("POST", "/model/v1/generation"): answer(200, body)})
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(r2i())
    assert caught.value.submission_unknown is True


async def test_text_to_image_is_refused_before_anything_is_sent():
    replay = Replay()
    request = GenerationRequest(endpoint=Endpoint.REFERENCE2IMAGE, model="viduq2", prompt="x")
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(request)
    assert caught.value.code == "008023001"
    assert replay.requests == []


async def test_a_pair_without_a_documented_id_is_never_sent():
    replay = Replay()
    request = GenerationRequest(endpoint=Endpoint.TEXT2VIDEO, model="viduq2", prompt="x")
    with pytest.raises(ProviderError) as caught:
        await vtrix(replay).submit(request)
    assert caught.value.permanent is True
    assert replay.requests == []
