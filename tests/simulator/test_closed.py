"""The simulator is closed to outsiders: switched off outside DEBUG, callbacks only to
the studio, bounded work and storage, private inputs, files gone after 24 h."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from simulator import clock, files, lifecycle
from simulator.models import SimTask
from tests.simulator.conftest import OTHER_KEY, png_uri, wait_until

BODY = {"model": "viduq2", "prompt": "a lighthouse"}


@pytest.fixture
def frozen_clock(sim_settings):
    sim_settings.SIMULATOR_IMAGE_SECONDS = 600
    sim_settings.SIMULATOR_VIDEO_SECONDS = 600


# --- the switch -----------------------------------------------------------------------


def test_every_simulator_route_is_404_when_it_is_off(frozen_clock, sim_settings, sim):
    task_id = sim.create("reference2image", BODY)["task_id"]
    sim_settings.SIMULATOR_ENABLED = False

    answers = [
        sim.post("/simulator/ent/v2/reference2image", BODY),
        sim.get(f"/simulator/ent/v2/tasks/{task_id}/creations"),
        sim.get("/simulator/ent/v2/tasks"),
        sim.get("/simulator/ent/v2/credits"),
        sim.post(f"/simulator/ent/v2/tasks/{task_id}/cancel"),
        sim.get(f"/simulator/vidu/v1/images/{task_id}", scheme="Bearer"),
        sim.get(f"/simulator/vtrix/model/v1/generation/task/{task_id}", scheme="Bearer"),
        sim.client.get(sim.url + "/simulator/files/token/image.png"),
    ]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert SimTask.objects.count() == 1


def test_the_clock_does_not_run_when_the_simulator_is_off(settings):
    settings.SIMULATOR_ENABLED = False

    # Returns at once instead of ticking forever.
    asyncio.run(asyncio.wait_for(clock.run(), timeout=5))


# --- callbacks only to the studio ---------------------------------------------------------


def test_a_callback_to_another_host_is_refused_before_anything_is_made(frozen_clock, sim):
    host = urlsplit(sim.url)
    foreign = [
        "http://127.0.0.1:9/hook",  # loopback, another port
        f"http://{host.hostname}.evil.example:{host.port}/hook",
        f"http://evil.example@{host.hostname}:{host.port}/hook",
        "http://169.254.169.254/latest/meta-data",
        f"https://{host.hostname}:{host.port}/callbacks/x/",  # another scheme
    ]

    for url in foreign:
        response = sim.post("/simulator/ent/v2/reference2image", {**BODY, "callback_url": url})
        assert response.status_code == 400, url
        assert response.json()["reason"] == "FieldInvalid"
        assert "callback_url" in response.json()["message"]
    assert not SimTask.objects.exists()


def test_a_callback_to_the_studio_itself_is_accepted(frozen_clock, sim):
    url = f"{sim.url}/callbacks/simulator/some-token/"

    response = sim.post("/simulator/ent/v2/reference2image", {**BODY, "callback_url": url})

    assert response.status_code == 200, response.text
    assert response.json()["callback_url"] == url


def test_callbacks_must_sit_under_the_public_base_url_when_one_is_set(
    frozen_clock, sim_settings, sim
):
    sim_settings.STUDIO_PUBLIC_BASE_URL = "https://studio.example.com/team"

    def status(url: str) -> int:
        body = {**BODY, "callback_url": url}
        return sim.post("/simulator/ent/v2/reference2image", body).status_code

    assert status("https://studio.example.com/team/callbacks/simulator/t/") == 200
    assert status("https://studio.example.com:443/team/callbacks/simulator/t/") == 200
    assert status("https://studio.example.com/teams/callbacks/") == 400
    assert status("https://studio.example.com/other/") == 400
    assert status(f"{sim.url}/callbacks/simulator/t/") == 400


def test_vtrix_refuses_a_foreign_callback_in_its_own_error_shape(frozen_clock, sim):
    response = sim.post(
        "/simulator/vtrix/model/v1/generation",
        {
            "model": "viduq2_reference2image",
            "prompt": "x",
            "images": [png_uri()],
            "callback_url": "http://127.0.0.1:9/hook",
        },
        scheme="Bearer",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "008023099"
    assert "callback_url" in response.json()["error"]["message"]


# --- bounded work ---------------------------------------------------------------------------


def test_a_key_with_too_much_unfinished_work_gets_429_and_nothing_is_made(
    frozen_clock, sim_settings, sim
):
    sim_settings.SIMULATOR_MAX_QUEUED_PER_KEY = 2
    for _ in range(2):
        sim.create("reference2image", BODY)

    refused = sim.post("/simulator/ent/v2/reference2image", {**BODY, "payload": "third"})
    other = sim.post("/simulator/ent/v2/reference2image", BODY, key=OTHER_KEY)

    assert refused.status_code == 429
    assert refused.json()["reason"] == "QuotaExceeded"
    assert not SimTask.objects.filter(payload="third").exists()
    assert other.status_code == 200


def test_the_simulator_as_a_whole_refuses_work_beyond_its_global_bound(
    frozen_clock, sim_settings, sim
):
    sim_settings.SIMULATOR_MAX_QUEUED = 2
    sim.create("reference2image", BODY)
    sim.create("reference2image", BODY, key=OTHER_KEY)

    refused = sim.post("/simulator/ent/v2/reference2image", BODY, key=OTHER_KEY)

    assert (refused.status_code, refused.json()["reason"]) == (429, "QuotaExceeded")
    assert SimTask.objects.count() == 2


def test_finished_tasks_free_their_place_in_the_queue(sim_settings, sim):
    sim_settings.SIMULATOR_MAX_QUEUED_PER_KEY = 1
    first = sim.create("reference2image", BODY)["task_id"]
    sim.wait_for(first)

    assert sim.post("/simulator/ent/v2/reference2image", BODY).status_code == 200


def test_creates_are_refused_once_the_stored_bytes_reach_their_bound(
    frozen_clock, sim_settings, sim
):
    sim_settings.SIMULATOR_MAX_STORED_BYTES = 1000
    first = sim.create("reference2image", {**BODY, "images": [png_uri(400, 400)]})

    refused = sim.post("/simulator/ent/v2/reference2image", BODY)

    assert SimTask.objects.get(task_id=first["task_id"]).stored_bytes > 1000
    assert (refused.status_code, refused.json()["reason"]) == (429, "QuotaExceeded")


# --- private inputs and the files' 24 h life ------------------------------------------------


def test_input_copies_are_never_served_even_with_the_outputs_token(sim):
    task_id = sim.create("reference2image", {**BODY, "images": [png_uri()]})["task_id"]
    url = sim.wait_for(task_id)["creations"][0]["url"]
    folder = url.rsplit("/", 1)[0]

    assert sim.client.get(url).status_code == 200
    assert files.file_path(task_id, "input-0.png").is_file()
    assert sim.client.get(f"{folder}/input-0.png").status_code == 404


def test_the_clock_deletes_files_whose_24_hours_are_over(sim):
    done = sim.create("reference2image", {**BODY, "images": [png_uri()]})["task_id"]
    failed = sim.create("reference2image", {**BODY, "prompt": "#sim:fail", "images": [png_uri()]})[
        "task_id"
    ]
    kept = sim.create("reference2image", {**BODY, "images": [png_uri()]})["task_id"]
    for task_id in (done, failed, kept):
        sim.wait_for(task_id)
    assert all(files.task_dir(task_id).is_dir() for task_id in (done, failed, kept))

    # Their life started a day ago; the clock's next prune removes them.
    SimTask.objects.filter(task_id__in=[done, failed]).update(
        files_expire_at=timezone.now() - timedelta(seconds=1)
    )

    wait_until(
        lambda: not files.task_dir(done).exists() and not files.task_dir(failed).exists(),
        message="pruned files",
    )
    assert files.task_dir(kept).is_dir()
    assert SimTask.objects.get(task_id=done).stored_bytes == 0
    assert sim.query(done)["state"] == "success"


def test_a_failed_or_cancelled_task_gets_the_24_hour_life_too(frozen_clock, sim):
    task_id = sim.create("reference2image", {**BODY, "images": [png_uri()]})["task_id"]

    sim.post(f"/simulator/ent/v2/tasks/{task_id}/cancel")

    task = SimTask.objects.get(task_id=task_id)
    assert task.files_expire_at - task.finished_at == lifecycle.URL_LIFETIME
