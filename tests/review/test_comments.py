"""Comments on shots and takes: posting with pins and time ranges, threads, @mentions,
resolve and reopen, the live push, the counts, permissions and escaping."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Activity, Notification, ProjectMembership, Verb
from review import comments
from review.comments import CommentRejected, post_comment, reopen_comment, resolve_comment
from review.models import Comment
from storyboards.models import Shot
from tests.factories import make_user
from tests.generations.gallery_factories import make_generation, make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture
def board(alice, bob):
    """Alice's storyboard: shot 1 with a still take, shot 2 with a clip take; bob edits."""
    project = make_project(alice)
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    storyboard = make_storyboard(project)
    shots = make_shots(storyboard, 2)
    make_take(shots[0])
    make_take(shots[1], still=False)
    return storyboard


@pytest.fixture
def viewer(board):
    dana = make_user("dana")
    ProjectMembership.objects.create(project=board.project, user=dana, role="viewer")
    return dana


def first_shot(board):
    return board.shots.order_by("position")[0]


def take_of(shot):
    return shot.takes.get().generation


def shot_url(shot) -> str:
    return reverse("review:post_on_shot", args=[shot.storyboard.project_id, shot.pk])


def generation_url(generation) -> str:
    return reverse("review:post_on_generation", args=[generation.project_id, generation.pk])


def resolve_url(comment, verb: str = "resolve") -> str:
    return reverse(f"review:{verb}", args=[comment.project_id, comment.pk])


def shot_page(client, shot) -> str:
    response = client.get(shot.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- services ------------------------------------------------------------------------------


def test_a_comment_pinned_to_a_still_is_saved_and_said_in_the_activity(board, alice):
    still = take_of(first_shot(board))

    comment = post_comment(
        project=board.project,
        body="The boat should be red",
        user=alice,
        generation=still,
        pin_x=0.25,
        pin_y=0.75,
    )

    assert (comment.pin_x, comment.pin_y, comment.generation, comment.author) == (
        0.25,
        0.75,
        still,
        alice,
    )
    line = Activity.objects.get(verb=Verb.COMMENTED)
    assert "The boat should be red" in line.summary and line.actor == alice
    assert line.link.endswith(f"#comment-{comment.pk}")


def test_a_clip_comment_keeps_its_time_range_inside_the_clip(board, alice):
    clip = take_of(board.shots.order_by("position")[1])

    comment = post_comment(
        project=board.project,
        body="Cut here",
        user=alice,
        generation=clip,
        pin_x=0.5,
        pin_y=0.5,
        time_start=1.2,
        time_end=3.0,
    )

    assert (comment.time_start, comment.time_end) == (1.2, 3.0)
    with pytest.raises(CommentRejected, match="inside the clip"):
        post_comment(
            project=board.project,
            body="Past the end",
            user=alice,
            generation=clip,
            time_start=1.0,
            time_end=9.0,
        )
    with pytest.raises(CommentRejected, match="inside the clip"):
        post_comment(
            project=board.project,
            body="Backwards",
            user=alice,
            generation=clip,
            time_start=3.0,
            time_end=1.0,
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pin_x": 1.5, "pin_y": 0.5}, "inside the picture"),
        ({"pin_x": 0.5}, "inside the picture"),
        ({"time_start": 0.0, "time_end": 1.0}, "on a clip"),
        ({"body": "   "}, "Write a comment"),
        ({"body": "x" * 4001}, "at most 4000"),
    ],
)
def test_a_comment_that_breaks_a_rule_is_refused_and_nothing_is_saved(
    board, alice, fields, message
):
    still = take_of(first_shot(board))
    arguments = {"project": board.project, "body": "Fine", "user": alice, "generation": still}

    with pytest.raises(CommentRejected, match=message):
        post_comment(**{**arguments, **fields})

    assert not Comment.objects.exists()


def test_a_comment_is_on_one_subject_of_its_own_project(board, alice):
    shot = first_shot(board)
    other = make_generation(make_project(alice, "Elsewhere"))

    with pytest.raises(CommentRejected, match="one of the two"):
        post_comment(
            project=board.project, body="Both", user=alice, shot=shot, generation=take_of(shot)
        )
    with pytest.raises(CommentRejected, match="not in this project"):
        post_comment(project=board.project, body="Stray", user=alice, generation=other)


def test_a_reply_joins_its_thread_and_a_reply_elsewhere_is_refused(board, alice, bob):
    shot = first_shot(board)
    thread = post_comment(project=board.project, body="Thread", user=alice, shot=shot)
    reply = post_comment(project=board.project, body="Yes", user=bob, shot=shot, parent=thread)
    deeper = post_comment(project=board.project, body="And", user=alice, shot=shot, parent=reply)

    assert reply.parent == thread and deeper.parent == thread
    with pytest.raises(CommentRejected, match="same shot or take"):
        post_comment(
            project=board.project, body="Lost", user=bob, generation=take_of(shot), parent=thread
        )


def test_mentioned_members_are_notified_and_a_stranger_named_is_not(board, alice, bob, charlie):
    shot = first_shot(board)

    post_comment(
        project=board.project, body="@bob and @charlie, look; me too @alice", user=alice, shot=shot
    )

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["bob"]


def test_resolving_and_reopening_a_thread_is_recorded_and_notifies_its_author(board, alice, bob):
    thread = post_comment(project=board.project, body="Fix", user=alice, shot=first_shot(board))

    resolve_comment(comment=thread, user=bob)
    thread.refresh_from_db()
    assert thread.is_resolved and thread.resolved_by == bob
    reopen_comment(comment=thread, user=bob)
    thread.refresh_from_db()

    assert not thread.is_resolved
    verbs = list(Activity.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs == [Verb.COMMENTED, Verb.RESOLVED, Verb.REOPENED]
    assert Notification.objects.filter(recipient=alice).count() == 2


def test_a_new_comment_is_pushed_after_commit_with_its_pin_and_the_counts(
    board, alice, monkeypatch, django_capture_on_commit_callbacks
):
    pushed = []
    monkeypatch.setattr(comments.realtime, "push_html", lambda pid, html, **_: pushed.append(html))
    shot = first_shot(board)
    still = take_of(shot)

    with django_capture_on_commit_callbacks(execute=True):
        comment = post_comment(
            project=board.project,
            body="Red boat",
            user=alice,
            generation=still,
            pin_x=0.1,
            pin_y=0.2,
        )

    [html] = [h for h in pushed if "comment-threads" in h]
    assert f"beforeend:#comment-threads-shot-{shot.pk}" in html
    assert f"beforeend:#comment-threads-generation-{still.pk}" in html
    assert 'data-pin-x="0.1000"' in html and 'data-pin-number="1"' in html
    assert f'id="shot-{shot.pk}-comments"' in html and "1 comment" in html
    assert f'id="generation-{still.pk}-comments"' in html
    assert f'id="thread-{comment.pk}"' in html


def test_a_resolved_thread_is_pushed_in_place_with_who_resolved_it(
    board, alice, bob, monkeypatch, django_capture_on_commit_callbacks
):
    thread = post_comment(project=board.project, body="Fix", user=alice, shot=first_shot(board))
    pushed = []
    monkeypatch.setattr(comments.realtime, "push_html", lambda pid, html, **_: pushed.append(html))

    with django_capture_on_commit_callbacks(execute=True):
        resolve_comment(comment=thread, user=bob)

    [html] = [h for h in pushed if f'id="thread-{thread.pk}"' in h]
    assert "beforeend" not in html and 'hx-swap-oob="true"' in html
    assert "Resolved by bob" in html and "is-resolved" in html and ">Reopen<" in html


# --- views ---------------------------------------------------------------------------------


def test_a_member_posts_on_a_take_from_the_shot_page_and_sees_it_there(client, board, bob):
    shot = first_shot(board)
    take = shot.takes.get()
    client.force_login(bob)

    response = client.post(
        shot_url(shot), {"body": "Brighter sky", "take": take.pk, "pin_x": "0.3", "pin_y": "0.6"}
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{shot.get_absolute_url()}#comment-{comment.pk}"
    assert (comment.generation_id, comment.pin_x) == (take.generation_id, 0.3)
    page = shot_page(client, shot)
    assert "Brighter sky" in page and 'data-pin-number="1"' in page
    assert "1 comment" in page  # the tile and the take's card


def test_with_htmx_posting_answers_a_fresh_composer_and_the_thread_out_of_band(
    client, board, alice
):
    shot = first_shot(board)
    client.force_login(alice)

    response = client.post(shot_url(shot), {"body": "On the shot"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith(f'<form id="comment-composer-shot-{shot.pk}"')
    assert f"beforeend:#comment-threads-shot-{shot.pk}" in html and "On the shot" in html


def test_an_empty_comment_comes_back_with_its_error_beside_the_field(client, board, alice):
    client.force_login(alice)

    response = client.post(shot_url(first_shot(board)), {"body": " "}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Write a comment first." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_viewer_may_comment_but_not_resolve_someone_elses_thread(client, board, alice, viewer):
    shot = first_shot(board)
    thread = post_comment(project=board.project, body="Fix", user=alice, shot=shot)
    client.force_login(viewer)

    posted = client.post(shot_url(shot), {"body": "Agreed"})
    refused = client.post(resolve_url(thread))
    own = Comment.objects.get(body="Agreed")
    resolved_own = client.post(resolve_url(own))

    assert posted.status_code == 302 and refused.status_code == 403
    assert resolved_own.status_code == 302
    page = shot_page(client, shot)
    assert page.count(">Resolve<") == 0  # alice's open thread: not for a viewer


def test_an_editor_resolves_and_reopens_from_the_page(client, board, alice, bob):
    thread = post_comment(project=board.project, body="Fix", user=alice, shot=first_shot(board))
    client.force_login(bob)

    client.post(resolve_url(thread))
    thread.refresh_from_db()
    assert thread.is_resolved
    client.post(resolve_url(thread, "reopen"))
    thread.refresh_from_db()
    assert not thread.is_resolved


def test_the_generation_page_shows_its_comments_and_takes_new_ones(client, board, alice):
    still = take_of(first_shot(board))
    client.force_login(alice)

    client.post(generation_url(still), {"body": "Nice light", "pin_x": "0.5", "pin_y": "0.5"})
    page = client.get(still.get_absolute_url()).content.decode()

    assert "Nice light" in page and f'ws-connect="/ws/projects/{board.project_id}/"' in page
    assert 'name="body"' in page and ">Post comment<" in page


@pytest.mark.parametrize("body", XSS)
def test_comment_bodies_and_mentions_are_escaped_everywhere(client, board, alice, body):
    shot = first_shot(board)
    client.force_login(alice)
    client.post(shot_url(shot), {"body": f"@bob {body}"})
    comment = Comment.objects.get()

    page = shot_page(client, shot)
    pushed = comments.render_push(comment.pk, new=True)

    for html in (page, pushed):
        assert body not in html
        assert "<script>alert" not in html and "<img src=x" not in html
    assert '<span class="mention">@bob</span>' in page


def test_a_stranger_gets_404_for_every_comment_action(client, board, alice, charlie):
    shot = first_shot(board)
    thread = post_comment(project=board.project, body="Fix", user=alice, shot=shot)
    client.force_login(charlie)

    answers = [
        client.post(shot_url(shot), {"body": "Hi"}).status_code,
        client.post(generation_url(take_of(shot)), {"body": "Hi"}).status_code,
        client.post(resolve_url(thread)).status_code,
        client.post(resolve_url(thread, "reopen")).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert Comment.objects.count() == 1


def test_a_take_of_another_shot_cannot_be_named_to_comment_on(client, board, alice):
    first, second = board.shots.order_by("position")
    client.force_login(alice)

    client.post(shot_url(first), {"body": "Where?", "take": second.takes.get().pk})

    assert Comment.objects.get().shot == first  # an unknown take: on the shot itself


def test_board_counts_cost_the_same_queries_for_2_or_12_commented_shots(client, board, alice):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(board.get_absolute_url())
        return len(captured)

    client.force_login(alice)
    for shot in board.shots.all():
        post_comment(project=board.project, body="Note", user=alice, shot=shot)
    count_queries()  # the first visit sets the board's review statuses up
    few = count_queries()
    for position in range(2, 12):
        shot = Shot.objects.create(storyboard=board, position=position, model="viduq2")
        make_take(shot)
        post_comment(project=board.project, body="Note", user=alice, generation=take_of(shot))

    assert count_queries() == few


def test_gallery_cards_show_their_comment_count(client, board, alice):
    still = take_of(first_shot(board))
    thread = post_comment(project=board.project, body="One", user=alice, generation=still)
    post_comment(project=board.project, body="Two", user=alice, generation=still, parent=thread)
    client.force_login(alice)

    page = client.get(reverse("generations:gallery", args=[board.project_id])).content.decode()

    assert "2 comments · <strong>1 open</strong>" in page
