"""The board over HTTP: fields edited in place, the live poll, what viewers see, and the
keepers' manifest."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from generations.models import Generation, Mode, State
from projects.models import ProjectMembership
from storyboards import services
from storyboards.models import Shot, ShotStatus
from tests.factories import body_of
from tests.generations.gallery_factories import add_output, make_project, simulator_connection
from tests.library.factories import make_library, make_subject, make_subject_image
from tests.storyboards.factories import make_shots, make_storyboard, make_take

HTMX = {"HX-Request": "true"}


@pytest.fixture
def board(alice):
    """Alice's storyboard of two reference-to-image shots; her library has @Mia."""
    project = make_project(alice)
    library = make_library(owner=alice, name="Cast")
    project.libraries.add(library)
    make_subject_image(subject=make_subject(library=library, name="Mia"))
    storyboard = make_storyboard(project)
    make_shots(storyboard, 2)
    Shot.objects.filter(storyboard=storyboard).update(mode=Mode.REFERENCE_TO_IMAGE)
    simulator_connection()
    return {"storyboard": storyboard, "shots": list(storyboard.shots.all())}


def field_url(shot: Shot, field: str, *, edit: bool = False) -> str:
    name = "storyboards:edit_shot_field" if edit else "storyboards:shot_field"
    return reverse(name, args=[shot.storyboard.project_id, shot.pk, field])


# --- fields edited in place -----------------------------------------------------------------


def test_the_editor_comes_with_the_prompts_at_suggestions(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][0]

    html = client.get(field_url(shot, "prompt", edit=True), headers=HTMX).content.decode()

    assert f'<form id="shot-{shot.pk}-prompt"' in html and "data-inline-editor" in html
    assert "data-prompt" in html and f'aria-controls="shot-{shot.pk}-mentions"' in html
    assert ">Shot 1 prompt</textarea>" in html


def test_the_board_page_carries_the_subjects_and_the_mention_rule_for_editors(client, alice, board):
    client.force_login(alice)

    html = client.get(board["storyboard"].get_absolute_url()).content.decode()

    assert '<script id="composer-subjects" type="application/json">' in html
    assert '"name": "Mia"' in html and '<script id="mention-rules"' in html


def test_an_editor_saves_a_prompt_in_place_and_gets_the_field_back(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][0]

    response = client.post(
        field_url(shot, "prompt"), {"prompt": "@Mia on the pier at dawn"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<div id="shot-{shot.pk}-prompt" class="inline-field shot-prompt">' in html
    assert '<span class="mention">@Mia</span> on the pier at dawn' in html
    assert Shot.objects.get(pk=shot.pk).prompt == "@Mia on the pier at dawn"
    assert 'id="storyboard-summary" class="board-summary" hx-swap-oob="true"' in html


def test_saving_the_chosen_shots_prompt_updates_its_panel_too(client, alice, board):
    client.force_login(alice)
    shot, other = board["shots"]

    chosen = client.post(
        field_url(shot, "prompt"), {"prompt": "Gulls", "selected": shot.pk}, headers=HTMX
    ).content.decode()
    not_chosen = client.post(
        field_url(other, "prompt"), {"prompt": "Boats", "selected": shot.pk}, headers=HTMX
    ).content.decode()

    assert 'id="shot-panel-prompt" class="shot-prompt-full" hx-swap-oob="true">Gulls' in chosen
    assert "shot-panel-prompt" not in not_chosen


@pytest.mark.parametrize("value", ["0", "61", "four", ""])
def test_a_bad_duration_is_refused_with_the_error_by_the_field(client, alice, board, value):
    client.force_login(alice)
    shot = board["shots"][0]

    response = client.post(field_url(shot, "duration"), {"duration": value}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<form id="shot-{shot.pk}-duration"' in html and 'aria-invalid="true"' in html
    errors = html.split(f'id="shot-{shot.pk}-duration-errors" role="alert">')[1]
    assert any(
        words in errors.split("</div>")[0]
        for words in ("greater than or equal to 1", "less than or equal to 60", "whole number")
        + ("This field is required",)
    )
    assert f'value="{value}"' in html  # what was typed stays, to be fixed
    assert Shot.objects.get(pk=shot.pk).duration == 4


def test_a_good_duration_is_saved_and_the_total_follows(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][0]

    html = client.post(
        field_url(shot, "duration"), {"duration": "7"}, headers=HTMX
    ).content.decode()

    assert Shot.objects.get(pk=shot.pk).duration == 7
    assert "7 s</a>" in html and "<span>11 s</span>" in html  # 7 + 4, out of band


def test_an_unknown_mention_is_refused_in_place_by_the_same_rule_as_the_shot_form(
    client, alice, board
):
    client.force_login(alice)
    shot = board["shots"][0]

    html = client.post(
        field_url(shot, "prompt"), {"prompt": "@Nobody waves"}, headers=HTMX
    ).content.decode()

    assert "@Nobody is not a subject" in html and ">@Nobody waves</textarea>" in html
    assert Shot.objects.get(pk=shot.pk).prompt == "Shot 1 prompt"


def test_without_javascript_the_field_posts_like_the_shot_form(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][0]

    bad = client.post(field_url(shot, "duration"), {"duration": "0"})
    good = client.post(field_url(shot, "duration"), {"duration": "6"})
    editor = client.get(field_url(shot, "duration", edit=True))

    assert bad.status_code == 200 and "Save shot" in bad.content.decode()  # the whole form
    assert good.status_code == 302 and good["Location"] == shot.get_absolute_url()
    assert editor.status_code == 302 and editor["Location"].endswith(f"/shots/{shot.pk}/edit/")
    assert Shot.objects.get(pk=shot.pk).duration == 6


def test_only_prompt_and_duration_are_edited_in_place(client, alice, board):
    client.force_login(alice)
    shot = board["shots"][0]

    response = client.post(field_url(shot, "model"), {"model": "viduq1"}, headers=HTMX)

    assert response.status_code == 404 and Shot.objects.get(pk=shot.pk).model == "viduq2"


def test_editing_in_place_is_for_editors_a_viewer_is_refused_and_charlie_gets_404(
    client, bob, charlie, board
):
    shot = board["shots"][0]
    ProjectMembership.objects.create(project=shot.storyboard.project, user=bob, role="viewer")
    posted = {"prompt": "Changed"}

    client.force_login(charlie)
    assert client.post(field_url(shot, "prompt"), posted, headers=HTMX).status_code == 404
    assert client.get(field_url(shot, "prompt", edit=True), headers=HTMX).status_code == 404
    client.force_login(bob)
    assert client.post(field_url(shot, "prompt"), posted, headers=HTMX).status_code == 403
    assert client.get(field_url(shot, "prompt", edit=True), headers=HTMX).status_code == 403
    assert client.get(field_url(shot, "prompt"), headers=HTMX).status_code == 200  # to look at
    assert Shot.objects.get(pk=shot.pk).prompt == "Shot 1 prompt"
    ProjectMembership.objects.filter(user=bob).update(role="editor")
    assert client.post(field_url(shot, "prompt"), posted, headers=HTMX).status_code == 200
    assert Shot.objects.get(pk=shot.pk).prompt == "Changed"


# --- what a viewer sees -------------------------------------------------------------------


def test_a_viewer_sees_the_board_and_exports_but_no_editing_control(client, bob, board):
    storyboard, shot = board["storyboard"], board["shots"][0]
    services.choose_keeper(shot=shot, take=make_take(shot))
    ProjectMembership.objects.create(project=storyboard.project, user=bob, role="viewer")
    client.force_login(bob)

    html = client.get(storyboard.get_absolute_url()).content.decode()

    assert "Shot 1 prompt" in html and "Download keepers" in html and "Contact sheet" in html
    for control in (
        "Add shot",
        "Generate missing",
        "Edit the prompt",
        "Edit the duration",
        'draggable="true"',
        "Move shot",
        "Another shot",
        "More storyboard actions",
        ">Generate</button>",
        "Keep take",
        "Unkeep",
        "Animate take",
        "Edit shot",
        ">Animatic</button>",
        "composer-subjects",
        "data-reorder-url",
    ):
        assert control not in html, control


# --- live ---------------------------------------------------------------------------------


def live_url(storyboard, shot=None) -> str:
    url = reverse("storyboards:live", args=[storyboard.project_id, storyboard.pk])
    return f"{url}?shot={shot.pk}" if shot else url


def test_the_poll_runs_while_a_take_runs_and_stops_with_the_board_current(client, alice, board):
    client.force_login(alice)
    storyboard, shot = board["storyboard"], board["shots"][0]
    take = make_take(shot, state=State.PROCESSING)

    page = client.get(shot.get_absolute_url()).content.decode()
    running = client.get(live_url(storyboard, shot), headers=HTMX).content.decode()
    Generation.objects.filter(pk=take.generation_id).update(state=State.READY)
    add_output(take.generation)
    done = client.get(live_url(storyboard, shot), headers=HTMX).content.decode()

    assert 'hx-trigger="every 3s, refresh"' in page
    assert 'hx-trigger="every 3s, refresh"' in running and 'data-status="generating"' in running
    assert f'id="shot-{shot.pk}-visual"' in running and 'hx-swap-oob="true"' in running
    assert 'id="shot-panel-status"' in running
    assert "hx-trigger" not in done.split('id="board-live"')[1].split(">")[0]  # polls no more
    assert 'data-status="ready"' in done and "Latest take" in done and "/thumbnail/" in done
    assert 'id="shot-panel-status" class="shot-status status-ready"' in done


def test_a_board_with_nothing_running_does_not_poll(client, alice, board):
    client.force_login(alice)

    html = client.get(board["storyboard"].get_absolute_url()).content.decode()

    assert '<div id="board-live" hidden></div>' in html


def test_the_batch_banner_counts_and_clears_when_the_batch_is_done(client, alice, board):
    client.force_login(alice)
    storyboard = board["storyboard"]
    Shot.objects.filter(storyboard=storyboard).update(mode=Mode.TEXT_TO_IMAGE, prompt="A pier")
    client.post(reverse("storyboards:generate_all", args=[storyboard.project_id, storyboard.pk]))
    first, second = Generation.objects.order_by("pk")

    page = client.get(storyboard.get_absolute_url()).content.decode()
    Generation.objects.filter(pk=first.pk).update(state=State.READY)
    half = client.get(live_url(storyboard), headers=HTMX).content.decode()
    Generation.objects.filter(pk=second.pk).update(state=State.FAILED)
    done = client.get(live_url(storyboard), headers=HTMX).content.decode()
    later = client.get(storyboard.get_absolute_url()).content.decode()

    assert "<strong>0 of 2</strong> takes done" in page
    assert "<strong>1 of 2</strong> takes done" in half
    assert '<div id="batch-progress" class="batch-slot" hx-swap-oob="true"></div>' in done
    assert "takes done" not in later and "Generating" not in later.split('id="shot-grid"')[1]


def test_a_kept_shot_trying_another_take_shows_it_is_generating(alice, board):
    shot = board["shots"][0]
    services.choose_keeper(shot=shot, take=make_take(shot))
    make_take(shot, state=State.QUEUED)

    fresh = Shot.objects.prefetch_related("takes__generation").get(pk=shot.pk)

    assert fresh.status == ShotStatus.GENERATING and fresh.running_takes == 1


def test_a_take_waiting_for_the_designer_settles_the_batch_and_says_so(alice, board):
    storyboard, shot = board["storyboard"], board["shots"][0]
    Shot.objects.filter(storyboard=storyboard).update(mode=Mode.TEXT_TO_IMAGE, prompt="A pier")
    result = services.generate_all(
        storyboard=storyboard, user=alice, connection=simulator_connection()
    )
    stuck, other = (take.generation for take in result.takes)
    Generation.objects.filter(pk=stuck.pk).update(state=State.NEEDS_ATTENTION)
    Generation.objects.filter(pk=other.pk).update(stalled=True)

    fresh = Shot.objects.prefetch_related("takes__generation").get(pk=shot.pk)

    assert result.batch.progress() == (2, 2) and not result.batch.is_running
    assert fresh.status == ShotStatus.ATTENTION and fresh.get_status_display() == "Needs attention"


# --- the keepers' manifest ------------------------------------------------------------------


def test_the_manifest_lists_the_kept_takes_mode_model_and_cost(client, alice, board):
    storyboard, (still_shot, clip_shot) = board["storyboard"], board["shots"]
    services.choose_keeper(shot=still_shot, take=make_take(still_shot, credits=6))
    clip = make_take(clip_shot, still=False)
    Generation.objects.filter(pk=clip.generation_id).update(
        mode=Mode.IMAGE_TO_VIDEO, model="viduq3-pro", credits=None, cost="0.0250"
    )
    services.choose_keeper(shot=clip_shot, take=clip)
    client.force_login(alice)

    response = client.get(
        reverse("storyboards:export_zip", args=[storyboard.project_id, storyboard.pk])
    )
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(body_of(response))).read("manifest.json"))
    alone = client.get(reverse("storyboards:manifest", args=[storyboard.project_id, storyboard.pk]))

    still, moving = manifest["shots"]
    assert (still["mode"], still["model"]) == ("text_to_image", "viduq2")  # the take's
    assert (still["shot_mode"], moving["shot_mode"]) == ("reference_to_image",) * 2
    assert (moving["mode"], moving["model"]) == ("image_to_video", "viduq3-pro")
    assert still["cost"] == {"credits": 6, "estimated": False, "provider": None}
    assert moving["cost"] == {"credits": 4, "estimated": True, "provider": "0.0250"}
    assert manifest["credits"] == 10 and manifest["duration"] == 8
    assert json.loads(alone.content) == manifest
    assert alone["Content-Disposition"] == 'attachment; filename="harbour-at-dawn-manifest.json"'


def test_a_shot_without_keeper_has_no_take_in_the_manifest(client, alice, board):
    storyboard = board["storyboard"]
    client.force_login(alice)

    manifest = json.loads(
        client.get(
            reverse("storyboards:manifest", args=[storyboard.project_id, storyboard.pk])
        ).content
    )

    first = manifest["shots"][0]
    assert first["file"] is None and first["mode"] is None and first["cost"] is None
    assert first["shot_model"] == "viduq2"
