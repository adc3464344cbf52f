"""Each mount serves what its provider documents and no more (vidu-api.md §1, §4, §10)."""

from __future__ import annotations

import pytest

from simulator.models import SimTask
from tests.simulator.conftest import png_uri, wait_until

BODY = {"model": "viduq2", "prompt": "a lighthouse", "payload": "gen-7"}
CLIP = {"model": "viduq2", "prompt": "rain", "duration": 1, "resolution": "540p"}
# What V-list documents for an item, plus `state` and `created_at`.
LIST_FIELDS = {
    "id",
    "key_id",
    "template",
    "model",
    "prompt",
    "images",
    "duration",
    "resolution",
    "aspect_ratio",
    "creations",
    "state",
    "created_at",
}


@pytest.fixture
def frozen_clock(sim_settings):
    sim_settings.SIMULATOR_IMAGE_SECONDS = 600
    sim_settings.SIMULATOR_VIDEO_SECONDS = 600


# --- official: the task list ----------------------------------------------------------


def test_task_list_items_carry_only_documented_fields_and_no_payload(frozen_clock, sim):
    wanted = sim.create("reference2image", BODY)["task_id"]
    sim.create("reference2image", {**BODY, "payload": "gen-8"})

    listed = sim.get("/simulator/ent/v2/tasks", params={"payload": "gen-7"}).json()["tasks"]

    # The undocumented payload filter is ignored, as an unknown parameter would be.
    assert len(listed) == 2
    assert wanted in {item["id"] for item in listed}
    assert all(set(item) == LIST_FIELDS for item in listed)


def test_the_payload_extension_adds_the_field_and_the_filter(frozen_clock, sim_settings, sim):
    sim_settings.SIMULATOR_LIST_PAYLOAD = True
    wanted = sim.create("reference2image", BODY)["task_id"]
    sim.create("reference2image", {**BODY, "payload": "gen-8"})

    listed = sim.get("/simulator/ent/v2/tasks", params={"payloads[]": "gen-7"}).json()["tasks"]

    assert [(item["id"], item["payload"]) for item in listed] == [(wanted, "gen-7")]


def test_the_query_still_echoes_the_payload(frozen_clock, sim):
    task_id = sim.create("reference2image", BODY)["task_id"]

    assert sim.query(task_id)["payload"] == "gen-7"


def test_task_list_filters_by_model_version(frozen_clock, sim):
    q2 = sim.create("reference2image", BODY)["task_id"]
    sim.create("reference2image", {**BODY, "model": "viduq1", "images": [png_uri()]})

    listed = sim.get("/simulator/ent/v2/tasks", params={"model_versions[]": "q2"}).json()

    assert [item["id"] for item in listed["tasks"]] == [q2]


# --- resellers: only their documented routes ---------------------------------------------


@pytest.mark.parametrize("prefix", ["/simulator/vidu", "/simulator/kkiai"])
def test_reseller_mounts_have_no_task_list_cancel_or_credits(frozen_clock, sim, prefix):
    created = sim.post(f"{prefix}/ent/v2/reference2image", BODY, scheme="Bearer")
    task_id = created.json()["task_id"]

    answers = [
        sim.get(f"{prefix}/ent/v2/tasks", scheme="Bearer"),
        sim.post(f"{prefix}/ent/v2/tasks/{task_id}/cancel", {"id": task_id}, scheme="Bearer"),
        sim.get(f"{prefix}/ent/v2/credits", scheme="Bearer"),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert SimTask.objects.get(task_id=task_id).state != SimTask.State.FAILED


def test_powertokens_has_no_official_creations_route_and_kkiai_no_task_route(frozen_clock, sim):
    pt = sim.post("/simulator/vidu/ent/v2/reference2image", BODY, scheme="Bearer").json()
    kk = sim.post("/simulator/kkiai/ent/v2/reference2image", BODY, scheme="Bearer").json()

    pt_creations = sim.get(
        f"/simulator/vidu/ent/v2/tasks/{pt['task_id']}/creations", scheme="Bearer"
    )
    kk_task = sim.get(f"/simulator/kkiai/ent/v2/tasks/{kk['task_id']}", scheme="Bearer")
    kk_videos = sim.get(f"/simulator/kkiai/v1/videos/{kk['task_id']}", scheme="Bearer")

    assert (pt_creations.status_code, kk_task.status_code, kk_videos.status_code) == (404,) * 3


def test_powertokens_credits_are_strings(sim):
    created = sim.post("/simulator/vidu/ent/v2/reference2image", BODY, scheme="Bearer").json()

    def finished():
        body = sim.get(f"/simulator/vidu/ent/v2/tasks/{created['task_id']}", scheme="Bearer")
        return body.json() if body.json()["state"] == "success" else None

    done = wait_until(finished, message="powertokens success")

    assert isinstance(created["credits"], str) and int(created["credits"]) > 0
    assert done["credits"] == created["credits"]
    assert done["id"] == created["task_id"]
    assert done["payload"] == "gen-7"
    assert done["creations"][0]["url"]


def test_powertokens_v1_videos_answers_new_apis_video_object(sim):
    created = sim.post("/simulator/vidu/ent/v2/text2video", CLIP, scheme="Bearer").json()
    path = f"/simulator/vidu/v1/videos/{created['task_id']}"

    first = sim.get(path, scheme="Bearer").json()
    done = wait_until(
        lambda: (body := sim.get(path, scheme="Bearer").json())["status"] == "completed" and body,
        message="completed video",
    )

    assert first["object"] == "video"
    assert first["status"] in ("queued", "in_progress")
    assert (done["id"], done["progress"]) == (created["task_id"], 100)
    assert done["metadata"]["url"].endswith(".mp4")
    assert sim.client.get(done["metadata"]["url"]).status_code == 200
    assert (
        sim.get(f"/simulator/vidu/v1/images/{created['task_id']}", scheme="Bearer").json()["error"][
            "code"
        ]
        == "task_not_found"
    )


def test_powertokens_v1_images_answers_image_tasks(sim):
    created = sim.post("/simulator/vidu/ent/v2/reference2image", BODY, scheme="Bearer").json()
    path = f"/simulator/vidu/v1/images/{created['task_id']}"

    done = wait_until(
        lambda: (body := sim.get(path, scheme="Bearer").json())["status"] == "completed" and body,
        message="completed image",
    )

    assert done["object"] == "image"
    assert sim.client.get(done["metadata"]["url"]).headers["content-type"].startswith("image/")
    videos = sim.get(f"/simulator/vidu/v1/videos/{created['task_id']}", scheme="Bearer")
    assert videos.status_code == 404


def test_powertokens_v1_reports_a_failure_in_its_error_object(sim):
    failing = {**CLIP, "prompt": "x #sim:fail=CreditInsufficient"}
    created = sim.post("/simulator/vidu/ent/v2/text2video", failing, scheme="Bearer").json()
    path = f"/simulator/vidu/v1/videos/{created['task_id']}"

    done = wait_until(
        lambda: (body := sim.get(path, scheme="Bearer").json())["status"] == "failed" and body,
        message="failed video",
    )

    assert done["error"]["code"] == "CreditInsufficient"
    assert "metadata" not in done


def test_kkiai_create_answers_carry_cus_priority_and_watermark(frozen_clock, sim):
    created = sim.post("/simulator/kkiai/ent/v2/reference2image", BODY, scheme="Bearer").json()

    assert (created["cus_priority"], created["watermark"]) == (0, False)
    assert isinstance(created["credits"], int)


def test_a_task_is_known_only_on_the_mount_that_made_it(frozen_clock, sim):
    task_id = sim.create("reference2image", BODY)["task_id"]

    on_kkiai = sim.get(f"/simulator/kkiai/ent/v2/tasks/{task_id}/creations", scheme="Bearer")
    on_powertokens = sim.get(f"/simulator/vidu/ent/v2/tasks/{task_id}", scheme="Bearer")

    assert (on_kkiai.status_code, on_powertokens.status_code) == (404, 404)
    assert on_kkiai.json()["reason"] == "TaskNotFound"


# --- Vtrix: the documented body and ids ---------------------------------------------------


def vtrix_error(sim, body) -> tuple[int, str, str]:
    response = sim.post("/simulator/vtrix/model/v1/generation", body, scheme="Bearer")
    return response.status_code, response.json()["error"]["code"], response.text


def test_vtrix_refuses_the_input_params_envelope(frozen_clock, sim):
    body = {
        "model": "viduq2_turbo_img2video",
        "input": [{"params": {"prompt": "go", "images": [png_uri()], "duration": 1}}],
    }

    status, code, _text = vtrix_error(sim, body)

    assert (status, code) == (400, "008023099")
    assert not SimTask.objects.exists()


@pytest.mark.parametrize(
    "model_id", ["viduq1_reference2image", "viduq2_i2v_reference", "viduq3_text2video", "vidu_q2"]
)
def test_vtrix_refuses_ids_found_in_no_source(frozen_clock, sim, model_id):
    body = {"model": model_id, "prompt": "x", "images": [png_uri()]}

    status, code, text = vtrix_error(sim, body)

    assert (status, code) == (400, "008023099")
    assert model_id in text


@pytest.mark.parametrize(
    ("model_id", "extra"),
    [
        ("viduq2_reference2image", {"images": [png_uri()]}),
        ("viduq2_turbo_img2video", {"images": [png_uri()], "duration": 1, "resolution": "540p"}),
        (
            "viduq2_turbo_start_end",
            {"images": [png_uri(), png_uri()], "duration": 1, "resolution": "540p"},
        ),
        (
            "viduq2_pro_reference",
            {"subjects": [{"name": "Mia", "images": [png_uri()]}], "duration": 1},
        ),
    ],
)
def test_vtrix_accepts_the_four_ids_the_studio_offers(frozen_clock, sim, model_id, extra):
    body = {"model": model_id, "prompt": "@Mia walks", **extra}

    response = sim.post("/simulator/vtrix/model/v1/generation", body, scheme="Bearer")

    assert response.status_code == 200, response.text
    assert response.json()["model"] == model_id


def test_vtrix_text_to_image_with_no_image_is_refused_with_008023001(frozen_clock, sim):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {"model": "viduq2_reference2image", "prompt": "a heron"},
        scheme="Bearer",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "008023001"
    assert '"code": "008023001"' in response.text  # a string, its zeros kept
