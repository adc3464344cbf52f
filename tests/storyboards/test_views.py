"""The storyboard pages and actions over HTTP: permissions, forms, reorder, exports."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from generations.models import Generation, State
from projects.models import ProjectMembership
from storyboards import services
from storyboards.models import Shot, Storyboard
from tests.factories import body_of
from tests.generations.gallery_factories import make_project, simulator_connection
from tests.storyboards.factories import make_shots, make_storyboard, make_take, order_of


@pytest.fixture
def board(alice):
    """Alice's storyboard with three shots, the first with a kept still."""
    storyboard = make_storyboard(make_project(alice))
    shots = make_shots(storyboard, 3)
    take = make_take(shots[0])
    services.choose_keeper(shot=shots[0], take=take)
    simulator_connection()
    return {"storyboard": storyboard, "shots": shots, "take": take}


def urls(board) -> list[tuple[str, str]]:
    """(method, url) for every storyboard view with an id."""
    storyboard, shot, take = board["storyboard"], board["shots"][1], board["take"]
    p = storyboard.project_id
    s = {"project_id": p, "storyboard_id": storyboard.pk}
    names = ["detail", "edit", "delete", "generate_all", "live", "export_zip", "manifest"]
    found = [("get", reverse(f"storyboards:{n}", kwargs=s)) for n in names]
    found += [("post", reverse("storyboards:reorder", kwargs=s))]
    found += [("get", reverse("storyboards:contact_sheet", kwargs=s))]
    found += [("get", reverse("storyboards:contact_sheet_pdf", kwargs=s))]
    found += [("get", reverse("storyboards:add_shot", kwargs=s))]
    for name in ["shot", "edit_shot", "delete_shot"]:
        found.append(("get", reverse(f"storyboards:{name}", args=[p, shot.pk])))
    for field in ["prompt", "duration"]:
        found.append(("get", reverse("storyboards:shot_field", args=[p, shot.pk, field])))
        found.append(("post", reverse("storyboards:shot_field", args=[p, shot.pk, field])))
        found.append(("get", reverse("storyboards:edit_shot_field", args=[p, shot.pk, field])))
    for name in ["duplicate_shot", "move_shot", "generate", "continue", "delete_shot"]:
        found.append(("post", reverse(f"storyboards:{name}", args=[p, shot.pk])))
    for name in ["keep", "animate"]:
        found.append(("post", reverse(f"storyboards:{name}", args=[p, take.pk])))
    found.append(("post", reverse("storyboards:new", args=[p])))
    return found


def test_charlie_gets_404_on_every_storyboard_url(client, charlie, board):
    client.force_login(charlie)

    answers = {url: getattr(client, method)(url).status_code for method, url in urls(board)}

    assert set(answers.values()) == {404}, answers
    assert Storyboard.objects.count() == 1 and Shot.objects.count() == 3


def test_alice_cannot_reach_another_projects_shot_through_her_own_project(client, alice, board):
    mine = make_project(alice, "Mine")
    client.force_login(alice)
    shot = board["shots"][0]

    response = client.get(reverse("storyboards:shot", args=[mine.pk, shot.pk]))

    assert response.status_code == 404


def test_a_viewer_sees_the_storyboard_but_gets_403_on_every_change(client, bob, board):
    ProjectMembership.objects.create(project=board["storyboard"].project, user=bob, role="viewer")
    client.force_login(bob)

    page = client.get(board["storyboard"].get_absolute_url())
    changes = [(method, url) for method, url in urls(board) if method == "post" or "/edit/" in url]
    answers = {url: getattr(client, method)(url).status_code for method, url in changes}

    assert page.status_code == 200 and b"Add shot" not in page.content
    assert set(answers.values()) == {403}, answers
    assert order_of(board["storyboard"]) == [s.pk for s in board["shots"]]


def test_the_page_shows_the_board_keeper_picture_status_and_totals(client, alice, board):
    client.force_login(alice)

    html = client.get(board["storyboard"].get_absolute_url()).content.decode()

    assert html.count('class="shot-card') == 3 + 1  # three shots and "Another shot"
    assert "Kept" in html and "No takes" in html
    assert f'data-generation="{board["take"].generation_id}"' in html  # the card, reused
    assert "/thumbnail/" in html and "★</span> Keeper" in html
    assert '<span id="storyboard-credits">4 credits</span>' in html and "<span>12 s</span>" in html


def test_new_storyboard_then_add_shot_with_a_mention_error_keeps_what_was_typed(client, alice):
    project = make_project(alice)
    client.force_login(alice)

    response = client.post(
        reverse("storyboards:new", args=[project.pk]),
        {"title": "Pier", "mode": "text_to_image", "model": "", "aspect_ratio": "16:9"},
    )
    storyboard = Storyboard.objects.get()
    assert response.status_code == 302 and storyboard.title == "Pier"
    add = reverse("storyboards:add_shot", args=[project.pk, storyboard.pk])
    bad = client.post(
        add, {"prompt": "@Nobody at dawn", "mode": "reference_to_image", "duration": 4}
    )

    assert bad.status_code == 200 and "@Nobody is not a subject" in bad.content.decode()
    assert "@Nobody at dawn" in bad.content.decode() and Shot.objects.count() == 0
    assert '<option value="16:9" selected>' in client.get(add).content.decode()
    client.post(
        add, {"prompt": "A pier", "mode": "text_to_image", "duration": 5, "aspect_ratio": "16:9"}
    )
    assert Shot.objects.get().params == {"aspect_ratio": "16:9"}


def test_a_model_the_mode_does_not_offer_is_refused_by_name(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][1]

    response = client.post(
        reverse("storyboards:edit_shot", args=[shot.storyboard.project_id, shot.pk]),
        {"prompt": "x", "mode": "text_to_image", "model": "viduq3-pro", "duration": 4},
    )

    assert (
        response.status_code == 200
        and "is not offered for Text to image" in response.content.decode()
    )


def test_reorder_posts_the_full_order_and_answers_the_strip(client, alice, board):
    client.force_login(alice)
    storyboard, (a, b, c) = board["storyboard"], board["shots"]
    url = reverse("storyboards:reorder", args=[storyboard.project_id, storyboard.pk])

    response = client.post(
        url, {"shot": [c.pk, a.pk, b.pk], "selected": c.pk}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200 and 'id="shot-grid"' in html
    assert "Shot 1" in html.split('id="shot-heading"')[1][:40]  # the panel's new number
    assert order_of(storyboard) == [c.pk, a.pk, b.pk]


def test_a_stale_reorder_answers_409_asking_to_reload(client, alice, board):
    client.force_login(alice)
    storyboard, (a, b, _c) = board["storyboard"], board["shots"]
    url = reverse("storyboards:reorder", args=[storyboard.project_id, storyboard.pk])

    response = client.post(url, {"shot": [b.pk, a.pk]}, headers={"HX-Request": "true"})

    assert response.status_code == 409 and "Reload the page" in response.content.decode()


def test_move_buttons_work_without_javascript(client, alice, board):
    client.force_login(alice)
    storyboard, (a, b, c) = board["storyboard"], board["shots"]

    response = client.post(
        reverse("storyboards:move_shot", args=[storyboard.project_id, c.pk]), {"direction": "up"}
    )

    assert response.status_code == 302 and order_of(storyboard) == [a.pk, c.pk, b.pk]


def test_keeping_a_take_that_is_not_ready_shows_why(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][1]
    working = make_take(shot, state=State.PROCESSING)

    response = client.post(
        reverse("storyboards:keep", args=[shot.storyboard.project_id, working.pk]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200 and "is not ready yet" in response.content.decode()
    assert Shot.objects.get(pk=shot.pk).keeper is None


def test_generate_queues_takes_and_shows_their_cards(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][1]

    response = client.post(
        reverse("storyboards:generate", args=[shot.storyboard.project_id, shot.pk]),
        {"variations": 2},
        headers={"HX-Request": "true"},
    )

    created = Generation.objects.filter(storyboard_take__shot=shot)
    assert response.status_code == 200 and created.count() == 2
    assert all(f'data-generation="{g.pk}"' in response.content.decode() for g in created)


def test_generate_all_shows_the_cost_first_then_queues_one_batch(client, alice, board):
    client.force_login(alice)
    storyboard = board["storyboard"]
    url = reverse("storyboards:generate_all", args=[storyboard.project_id, storyboard.pk])
    expected = sum(services.estimate_shot(s) for s in board["shots"][1:])

    confirm = client.get(url)
    assert f"{expected} credits" in confirm.content.decode() and Generation.objects.count() == 1
    client.post(url)

    assert storyboard.batches.get().progress() == (0, 2)
    page = client.get(storyboard.get_absolute_url()).content.decode()
    assert "0 of 2" in page


def test_export_zip_has_the_keepers_named_by_shot_and_a_manifest(client, alice, board):
    client.force_login(alice)
    storyboard, shots = board["storyboard"], board["shots"]
    shots[0].title = "Opening"
    shots[0].save()

    response = client.get(
        reverse("storyboards:export_zip", args=[storyboard.project_id, storyboard.pk])
    )

    body = body_of(response)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="harbour-at-dawn-keepers'
    )
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["01_opening.png", "manifest.json"]
    manifest = json.loads(archive.read("manifest.json"))
    assert [s["number"] for s in manifest["shots"]] == [1, 2, 3]
    assert manifest["shots"][0]["file"] == "01_opening.png" and manifest["shots"][1]["file"] is None
    assert archive.read("01_opening.png") == board["take"].generation.outputs.get().file.read()


def test_export_zip_reads_the_keepers_from_a_storage_without_local_paths(
    client, alice, memory_storage, settings
):
    storyboard = make_storyboard(make_project(alice))
    shots = make_shots(storyboard, 2)
    for shot, still in zip(shots, (True, False), strict=True):
        services.choose_keeper(shot=shot, take=make_take(shot, still=still))
    client.force_login(alice)

    response = client.get(
        reverse("storyboards:export_zip", args=[storyboard.project_id, storyboard.pk])
    )
    body = body_of(response)

    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert [name[:3] for name in archive.namelist()] == ["01_", "02_", "man"]
    for shot, name in zip(shots, archive.namelist(), strict=False):
        stored = shot.keeper.generation.outputs.get().file.name
        assert archive.read(name) == memory_storage.open(stored).read()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_the_project_page_links_its_storyboards(client, alice, board):
    client.force_login(alice)

    html = client.get(board["storyboard"].project.get_absolute_url()).content.decode()

    assert "New storyboard" in html and board["storyboard"].get_absolute_url() in html


def test_generate_all_offers_off_peak_for_video_shots_at_its_lower_cost(client, alice, board):
    client.force_login(alice)
    storyboard = board["storyboard"]
    video = board["shots"][2]
    video.mode, video.model, video.duration = "text_to_video", "viduq2", 4
    video.save()
    url = reverse("storyboards:generate_all", args=[storyboard.project_id, storyboard.pk])
    full = sum(services.estimate_shot(s) for s in board["shots"][1:])
    cheaper = sum(services.estimate_shot(s, off_peak=True) for s in board["shots"][1:])

    html = client.get(url).content.decode()
    client.post(url, {"off_peak": "on"})

    assert cheaper < full
    assert "Off-peak for 1 video shot" in html and f"{cheaper} credits" in html
    queued = Generation.objects.filter(storyboard_take__shot=video).get()
    still = Generation.objects.filter(storyboard_take__shot=board["shots"][1]).get()
    assert queued.params["off_peak"] is True
    assert "off_peak" not in still.params  # off-peak is for video only
