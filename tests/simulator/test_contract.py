"""Contract tests: every endpoint and dialect, create → poll → real media, over HTTP."""

from __future__ import annotations

import io

from PIL import Image

from simulator.media import probe_video
from tests.factories import make_image
from tests.simulator.conftest import data_uri, png_uri


def fetch_image(sim, url: str) -> tuple[str, Image.Image]:
    response = sim.client.get(url)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return response.headers["content-type"], image


def fetch_video(sim, url: str) -> dict:
    response = sim.client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    return probe_video(response.content)


def test_reference2image_delivers_a_png_of_the_requested_size(sim):
    created = sim.create(
        "reference2image",
        {
            "model": "viduq2",
            "prompt": "a cat",
            "images": [png_uri()],
            "aspect_ratio": "1:1",
            "seed": 42,
            "payload": "gen-1",
        },
    )
    assert created["state"] == "created"
    assert created["seed"] == 42
    assert created["payload"] == "gen-1"
    assert created["credits"] > 0
    assert created["created_at"].endswith("Z")

    done = sim.wait_for(created["task_id"])

    assert done["state"] == "success"
    assert done["id"] == created["task_id"]
    assert done["err_code"] == ""
    content_type, image = fetch_image(sim, done["creations"][0]["url"])
    assert content_type == "image/png"
    assert image.size == (1080, 1080)


def test_reference2image_auto_ratio_follows_the_first_image(sim):
    tall = data_uri(make_image(200, 400, fmt="JPEG"), "image/jpeg")
    created = sim.create(
        "reference2image",
        {"model": "viduq1", "prompt": "a tower", "images": [tall], "aspect_ratio": "auto"},
    )

    done = sim.wait_for(created["task_id"])

    _content_type, image = fetch_image(sim, done["creations"][0]["url"])
    assert image.size == (1080, 2160)


def test_text_to_image_at_2k_is_a_jpeg(sim):
    created = sim.create(
        "reference2image", {"model": "viduq2", "prompt": "a valley", "resolution": "2K"}
    )

    done = sim.wait_for(created["task_id"])

    content_type, image = fetch_image(sim, done["creations"][0]["url"])
    assert content_type == "image/jpeg"
    assert image.size == (2560, 1440)


def test_text2video_delivers_an_mp4_and_a_jpeg_cover(sim):
    created = sim.create(
        "text2video",
        {
            "model": "viduq2",
            "prompt": "waves",
            "duration": 1,
            "resolution": "540p",
            "aspect_ratio": "16:9",
        },
    )
    assert created["duration"] == 1
    assert created["resolution"] == "540p"

    done = sim.wait_for(created["task_id"])

    video = fetch_video(sim, done["creations"][0]["url"])
    assert (video["width"], video["height"]) == (960, 540)
    assert abs(video["duration"] - 1) < 0.3
    content_type, cover = fetch_image(sim, done["creations"][0]["cover_url"])
    assert content_type == "image/jpeg"
    assert cover.size == (960, 540)


def test_img2video_takes_its_shape_from_the_start_frame(sim):
    created = sim.create(
        "img2video",
        {
            "model": "viduq2-turbo",
            "prompt": "turn",
            "images": [png_uri(180, 320)],
            "duration": 1,
            "resolution": "540p",
        },
    )

    done = sim.wait_for(created["task_id"])

    video = fetch_video(sim, done["creations"][0]["url"])
    assert (video["width"], video["height"]) == (540, 960)


def test_start_end2video_renders_between_two_frames(sim):
    frames = [png_uri(256, 256, color=(250, 0, 0)), png_uri(256, 256, color=(0, 0, 250))]
    created = sim.create(
        "start-end2video",
        {"model": "viduq2-turbo", "images": frames, "duration": 1, "resolution": "540p"},
    )

    done = sim.wait_for(created["task_id"])

    video = fetch_video(sim, done["creations"][0]["url"])
    assert (video["width"], video["height"]) == (540, 540)


def test_reference2video_with_subjects_renders_a_clip(sim):
    created = sim.create(
        "reference2video",
        {
            "model": "viduq2",
            "prompt": "@Ming and @Hong cook",
            "subjects": [
                {"name": "Ming", "images": [png_uri(color=(10, 200, 10))]},
                {"name": "Hong", "images": [png_uri(color=(200, 10, 10))]},
            ],
            "duration": 1,
            "resolution": "540p",
            "aspect_ratio": "9:16",
        },
    )

    done = sim.wait_for(created["task_id"])

    video = fetch_video(sim, done["creations"][0]["url"])
    assert (video["width"], video["height"]) == (540, 960)


def test_same_inputs_and_seed_give_the_same_image(sim):
    body = {
        "model": "viduq2",
        "prompt": "twins",
        "seed": 7,
        "images": [png_uri()],
        "aspect_ratio": "1:1",
    }
    first = sim.wait_for(sim.create("reference2image", body)["task_id"])
    second = sim.wait_for(sim.create("reference2image", body)["task_id"])

    one = sim.client.get(first["creations"][0]["url"]).content
    two = sim.client.get(second["creations"][0]["url"]).content
    assert one == two


def test_kkiai_mount_accepts_bearer_on_ent_v2(sim):
    response = sim.post(
        "/simulator/kkiai/ent/v2/reference2image",
        {"model": "viduq2", "prompt": "a fox"},
        scheme="Bearer",
    )
    assert response.status_code == 200
    assert (
        sim.get(
            f"/simulator/kkiai/ent/v2/tasks/{response.json()['task_id']}/creations", scheme="Bearer"
        ).json()["id"]
        == response.json()["task_id"]
    )


def vtrix_wait(sim, task_id: str) -> dict:
    from tests.simulator.conftest import wait_until

    def finished():
        body = sim.get(
            f"/simulator/vtrix/model/v1/generation/task/{task_id}", scheme="Bearer"
        ).json()
        return body if body["status"] in ("success", "failed") else None

    return wait_until(finished, message=f"vtrix task {task_id}")


def test_vtrix_flat_body_creates_and_polls_to_an_image(sim):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {
            "model": "viduq2_reference2image",
            "prompt": "a heron",
            "images": [png_uri()],
            "aspect_ratio": "1:1",
        },
        scheme="Bearer",
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["status"] == "in_queue"
    assert created["model"] == "viduq2_reference2image"

    done = vtrix_wait(sim, created["id"])

    assert done["status"] == "success"
    assert done["usage"]["cost"]
    content = done["output"]["content"]
    assert content[0]["type"] == "image"
    _content_type, image = fetch_image(sim, content[0]["url"])
    assert image.size == (1080, 1080)


def test_vtrix_img2video_flat_body_makes_a_clip(sim):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {
            "model": "viduq2_turbo_img2video",
            "prompt": "go",
            "images": [png_uri()],
            "duration": 1,
            "resolution": "540p",
        },
        scheme="Bearer",
    )
    assert response.status_code == 200, response.text

    done = vtrix_wait(sim, response.json()["id"])

    assert done["output"]["content"][0]["type"] == "video"
    video = fetch_video(sim, done["output"]["content"][0]["url"])
    assert (video["width"], video["height"]) == (540, 540)


def test_an_output_url_of_the_simulator_can_be_fed_back_as_an_input(sim):
    still = sim.wait_for(
        sim.create(
            "reference2image", {"model": "viduq2", "prompt": "a door", "aspect_ratio": "1:1"}
        )["task_id"]
    )
    url = still["creations"][0]["url"]

    animated = sim.create(
        "img2video", {"model": "viduq2-turbo", "images": [url], "duration": 1, "resolution": "540p"}
    )

    assert animated["images"] == [url]
    assert sim.wait_for(animated["task_id"])["state"] == "success"


def test_a_foreign_image_url_cannot_be_downloaded(sim):
    response = sim.post(
        "/simulator/ent/v2/img2video",
        {"model": "viduq2-turbo", "images": ["https://example.com/cat.png"]},
    )

    assert response.status_code == 400
    assert response.json()["reason"] == "ImageDownloadFailure"


def test_task_list_finds_a_task_by_payload_with_the_extension_on(sim_settings, sim):
    sim_settings.SIMULATOR_LIST_PAYLOAD = True
    wanted = sim.create("reference2image", {"model": "viduq2", "prompt": "a", "payload": "p-1"})
    sim.create("reference2image", {"model": "viduq2", "prompt": "b", "payload": "p-2"})

    response = sim.get("/simulator/ent/v2/tasks", params={"payload": "p-1"})

    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert [task["id"] for task in tasks] == [wanted["task_id"]]
    assert tasks[0]["payload"] == "p-1"


def test_task_list_filters_by_ids_and_states_and_pages(sim):
    ids = [
        sim.create("reference2image", {"model": "viduq2", "prompt": str(n)})["task_id"]
        for n in range(3)
    ]
    for task_id in ids:
        sim.wait_for(task_id)

    page = sim.get(
        "/simulator/ent/v2/tasks",
        params={"task_ids[]": ids, "states[]": "success", "pager.pagesz": 2},
    ).json()
    rest = sim.get(
        "/simulator/ent/v2/tasks",
        params={"task_ids[]": ids, "pager.pagesz": 2, "pager.page": page["next_page_token"]},
    ).json()

    assert len(page["tasks"]) == 2
    assert len(rest["tasks"]) == 1
    assert rest["next_page_token"] == ""
    assert {t["id"] for t in page["tasks"] + rest["tasks"]} == set(ids)
    assert sim.get("/simulator/ent/v2/tasks", params={"pager.pagesz": 101}).status_code == 400


def test_credits_answers_the_account_shape(sim):
    sim.create("reference2image", {"model": "viduq2", "prompt": "a"})

    body = sim.get("/simulator/ent/v2/credits", params={"show_detail": "true"}).json()

    remain = body["remains"][0]
    assert remain["concurrency_limit"] == 5
    assert remain["credit_remain"] < 1_000_000
    assert body["packages"][0]["credit_remain"] == remain["credit_remain"]
