"""Review statuses: the project's set, a shot's status with who set it, the board's
progress and filter, and the page where owners and editors edit the set."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Generation
from projects.models import Activity, Notification, ProjectMembership, Verb
from review import statuses
from review.models import ReviewStatus, ShotReview
from storyboards.models import Shot, Take
from tests.generations.gallery_factories import make_generation, make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take


@pytest.fixture
def board(alice, bob):
    """Alice's storyboard of three shots; bob is an editor who made the second's take."""
    project = make_project(alice)
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    storyboard = make_storyboard(project)
    shots = make_shots(storyboard, 3)
    make_take(shots[0])
    generation = make_generation(project, "bob's take")
    Generation.objects.filter(pk=generation.pk).update(created_by=bob)
    Take.objects.create(shot=shots[1], generation=generation)
    return storyboard


def named(project, name: str) -> ReviewStatus:
    return next(s for s in statuses.statuses_for(project) if s.name == name)


def set_url(storyboard, shot) -> str:
    return reverse("review:set_status", args=[storyboard.project_id, shot.pk])


# --- services ------------------------------------------------------------------------------


def test_a_project_gets_the_default_statuses_once(board):
    first = statuses.statuses_for(board.project)
    again = statuses.statuses_for(board.project)

    assert [s.name for s in first] == ["Draft", "In review", "Changes requested", "Approved"]
    assert [s.pk for s in again] == [s.pk for s in first]
    assert ReviewStatus.objects.filter(project=board.project).count() == 4
    assert [s.is_approved for s in first] == [False, False, False, True]
    assert [s.requests_changes for s in first] == [False, False, True, False]


def test_a_shot_nobody_reviewed_is_at_the_first_status(board):
    state = statuses.status_of(board.shots.first())

    assert state.status.name == "Draft"
    assert state.review is None


def test_a_status_of_another_project_is_refused(board, alice):
    other = make_project(alice, "Other")
    foreign = named(other, "Approved")

    with pytest.raises(statuses.StatusRefused):
        statuses.set_status(shot=board.shots.first(), status=foreign, user=alice)
    assert not ShotReview.objects.exists()


def test_progress_counts_the_approved_shots(board, alice):
    first, second, _ = board.shots.all()
    approved = named(board.project, "Approved")
    statuses.set_status(shot=first, status=approved, user=alice)
    statuses.set_status(shot=second, status=named(board.project, "In review"), user=alice)

    assert statuses.progress(board) == (1, 3)


def test_every_shots_status_is_read_in_a_fixed_number_of_queries(board, alice):
    statuses.statuses_for(board.project)
    small = CaptureQueriesContext(connection)
    with small:
        statuses.statuses_by_shot(board)
    for position in range(3, 8):
        Shot.objects.create(storyboard=board, position=position, model="viduq2")
    for shot in board.shots.all():
        statuses.set_status(shot=shot, status=named(board.project, "Approved"), user=alice)
    big = CaptureQueriesContext(connection)
    with big:
        states = statuses.statuses_by_shot(board)

    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(states) == 8
    assert {state.status.name for state in states.values()} == {"Approved"}
    assert {state.who for state in states.values()} == {"alice"}


def test_setting_a_status_writes_the_activity_and_notifies_the_makers_not_the_actor(
    board, alice, bob
):
    second = board.shots.all()[1]

    statuses.set_status(shot=second, status=named(board.project, "Approved"), user=bob)

    line = Activity.objects.get(verb=Verb.STATUS)
    assert line.actor == bob
    assert line.summary == "bob set Harbour at dawn, shot 2 to Approved"
    assert line.link == second.get_absolute_url()
    # Bob made the take but set the status himself: only alice, the owner, hears of it.
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["alice"]


def test_a_guest_on_a_review_link_sets_a_status_under_their_name(board, alice):
    from datetime import timedelta

    from django.utils import timezone

    from review.models import ReviewLink

    link = ReviewLink.objects.create(
        storyboard=board, created_by=alice, expires_at=timezone.now() + timedelta(days=1)
    )
    shot = board.shots.first()

    review = statuses.set_status(
        shot=shot,
        status=named(board.project, "Changes requested"),
        guest_name="Dana <client>",
        review_link=link,
    )

    assert review.set_by is None and review.guest_name == "Dana <client>"
    assert statuses.status_of(shot).who == "Dana <client> (guest)"
    line = Activity.objects.get(verb=Verb.STATUS)
    assert line.guest_name == "Dana <client>"
    assert Notification.objects.filter(recipient=alice).count() == 1


# --- views ---------------------------------------------------------------------------------


def test_an_editor_sets_a_shots_status_and_the_board_shows_it(client, board, bob):
    client.force_login(bob)
    shot = board.shots.first()
    changes = named(board.project, "Changes requested")

    answer = client.post(set_url(board, shot), {"status": changes.pk})

    assert answer.status_code == 302
    page = client.get(shot.get_absolute_url()).content.decode()
    assert ShotReview.objects.get(shot=shot).status == changes
    assert f'id="shot-{shot.pk}-review"' in page
    assert "Changes requested" in page
    assert "by bob" in page
    assert "0 of 3</strong> approved" in page


def test_set_status_with_htmx_answers_the_panel_and_the_badges_out_of_band(client, board, alice):
    client.force_login(alice)
    shot = board.shots.first()

    answer = client.post(
        set_url(board, shot),
        {"status": named(board.project, "Approved").pk},
        HTTP_HX_REQUEST="true",
    )

    html = answer.content.decode()
    assert answer.status_code == 200
    assert f'id="shot-{shot.pk}-review-panel"' in html
    assert f'id="shot-{shot.pk}-review" class="review-badge is-approved"' in html
    assert "1 of 3</strong> approved" in html


def test_a_viewer_sees_the_status_but_cannot_set_it(client, board, charlie):
    ProjectMembership.objects.create(project=board.project, user=charlie, role="viewer")
    client.force_login(charlie)
    shot = board.shots.first()

    page = client.get(shot.get_absolute_url()).content.decode()
    answer = client.post(set_url(board, shot), {"status": named(board.project, "Approved").pk})

    assert "Draft" in page and "Set status" not in page
    assert answer.status_code == 403
    assert not ShotReview.objects.exists()


def test_charlie_gets_404_for_a_shots_status_and_the_statuses_page(client, board, charlie):
    client.force_login(charlie)
    shot = board.shots.first()
    approved = named(board.project, "Approved")

    assert client.post(set_url(board, shot), {"status": approved.pk}).status_code == 404
    statuses_url = reverse("review:statuses", args=[board.project_id])
    assert client.get(statuses_url).status_code == 404
    assert client.post(statuses_url).status_code == 404
    assert not ShotReview.objects.exists()


def test_a_status_of_another_project_is_refused_by_the_form(client, board, alice):
    client.force_login(alice)
    foreign = named(make_project(alice, "Other"), "Approved")
    shot = board.shots.first()

    answer = client.post(set_url(board, shot), {"status": foreign.pk}, HTTP_HX_REQUEST="true")

    assert "Choose one of this project" in answer.content.decode()
    assert not ShotReview.objects.exists()


def test_setting_a_status_needs_the_csrf_token(board, alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    answer = client.post(
        set_url(board, board.shots.first()), {"status": named(board.project, "Approved").pk}
    )

    assert answer.status_code == 403
    assert not ShotReview.objects.exists()


def test_the_board_filters_its_shots_by_status(client, board, alice):
    client.force_login(alice)
    first, second, third = board.shots.all()
    approved = named(board.project, "Approved")
    statuses.set_status(shot=second, status=approved, user=alice)

    page = client.get(f"{board.get_absolute_url()}?status={approved.pk}").content.decode()

    assert f'data-shot="{second.pk}" draggable="true" aria-label="Shot 2">' in page
    assert 'aria-label="Shot 1" aria-current="true" hidden>' in page
    assert f'<option value="{approved.pk}" selected>Approved (1)</option>' in page


def test_a_shot_status_shown_escapes_the_names(client, board, alice):
    client.force_login(alice)
    draft = named(board.project, "Draft")
    ReviewStatus.objects.filter(pk=draft.pk).update(name="<b>Draft</b>")

    page = client.get(board.get_absolute_url()).content.decode()

    assert "<b>Draft</b>" not in page
    assert "&lt;b&gt;Draft&lt;/b&gt;" in page


# --- the statuses page ---------------------------------------------------------------------


def formset_data(project, changes: dict[str, dict] | None = None, new: dict | None = None):
    rows = statuses.statuses_for(project)
    data = {
        "form-TOTAL_FORMS": str(len(rows) + 1),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for index, status in enumerate(rows):
        row = {
            "id": status.pk,
            "name": status.name,
            "colour": status.colour,
            "position": index + 1,
            "is_approved": "on" if status.is_approved else "",
            "requests_changes": "on" if status.requests_changes else "",
        }
        row.update((changes or {}).get(status.name, {}))
        for key, value in row.items():
            if value != "":
                data[f"form-{index}-{key}"] = value
    extra = {"colour": "#8a8f98", "position": len(rows) + 1, **(new or {})}
    for key, value in extra.items():
        data[f"form-{len(rows)}-{key}"] = value
    return data


def edit(client, project, **kwargs):
    return client.post(
        reverse("review:statuses", args=[project.pk]), formset_data(project, **kwargs)
    )


def test_an_editor_renames_recolours_reorders_and_adds_statuses(client, board, bob):
    client.force_login(bob)
    project = board.project

    answer = edit(
        client,
        project,
        changes={"Draft": {"name": "Sketch", "colour": "#123456", "position": 3}},
        new={"name": "Final", "colour": "#000000", "position": 9},
    )

    assert answer.status_code == 302
    names = [(s.name, s.colour) for s in statuses.statuses_for(project)]
    assert names == [
        ("In review", "#3b82f6"),
        ("Sketch", "#123456"),
        ("Changes requested", "#f59e0b"),
        ("Approved", "#22c55e"),
        ("Final", "#000000"),
    ]


def test_a_status_in_use_cannot_be_deleted_and_the_page_says_why(client, board, alice):
    client.force_login(alice)
    statuses.set_status(
        shot=board.shots.first(), status=named(board.project, "In review"), user=alice
    )

    answer = edit(client, board.project, changes={"In review": {"DELETE": "on"}})

    assert answer.status_code == 200
    assert "“In review” is set on 1 shot: move them to another status" in answer.content.decode()
    assert len(statuses.statuses_for(board.project)) == 4


def test_a_status_nobody_uses_is_deleted(client, board, alice):
    client.force_login(alice)

    edit(client, board.project, changes={"In review": {"DELETE": "on"}})

    assert [s.name for s in statuses.statuses_for(board.project)] == [
        "Draft",
        "Changes requested",
        "Approved",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Approved": {"is_approved": ""}}, "Exactly one status counts as approved."),
        ({"Draft": {"is_approved": "on"}}, "Exactly one status counts as approved."),
        ({"Draft": {"requests_changes": "on"}}, "At most one status asks for changes."),
        ({"Draft": {"name": "approved"}}, "Two statuses have the same name."),
        ({"Draft": {"colour": "red"}}, "A colour is written #rrggbb."),
    ],
)
def test_the_statuses_keep_their_rules(client, board, alice, changes, message):
    client.force_login(alice)

    answer = edit(client, board.project, changes=changes)

    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert [s.name for s in statuses.statuses_for(board.project)][0] == "Draft"


def test_a_viewer_reads_the_statuses_but_cannot_change_them(client, board, charlie):
    ProjectMembership.objects.create(project=board.project, user=charlie, role="viewer")
    client.force_login(charlie)

    page = client.get(reverse("review:statuses", args=[board.project_id]))
    answer = edit(client, board.project, changes={"Draft": {"name": "Sketch"}})

    assert page.status_code == 200 and "Save statuses" not in page.content.decode()
    assert answer.status_code == 403
    assert named(board.project, "Draft")
