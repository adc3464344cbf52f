"""Review links, the guest's side: a client without an account opens /review/<token>/, sees
only what was shared, comments, approves or asks for changes, downloads if allowed."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Activity, ProjectMembership, Verb
from review import comments, links, statuses
from review.models import Comment, ReviewLink, ShotReview
from studio.asgi import application
from tests.factories import body_of
from tests.generations.gallery_factories import make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take


@pytest.fixture(autouse=True)
def fresh_counters():
    """Passphrase tries and post counts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def keep(shot, **kwargs):
    take = make_take(shot, **kwargs)
    shot.keeper = take
    shot.save(update_fields=["keeper"])
    return take


@pytest.fixture
def board(alice):
    """Alice's storyboard: shots 1 and 2 kept (2 has a second, unkept take), 3 empty."""
    storyboard = make_storyboard(make_project(alice))
    first, second, _third = make_shots(storyboard, 3)
    keep(first)
    keep(second)
    make_take(second)  # an alternative take, never shared
    return storyboard


def share(board, user, **kwargs) -> ReviewLink:
    return links.create_link(storyboard=board, user=user, **kwargs)


def guest_url(link, name: str = "guest", *args) -> str:
    return reverse(f"review:{name}", args=[link.token, *args])


def named(client: Client, link, name: str = "Ann") -> Client:
    client.post(guest_url(link, "guest_name"), {"name": name})
    return client


def output_of(take):
    return take.generation.outputs.get()


# --- opening a link ------------------------------------------------------------------------


def test_a_guest_without_an_account_sees_the_shared_shots(client, alice, board):
    link = share(board, alice)

    response = client.get(guest_url(link))

    page = response.content.decode()
    assert response.status_code == 200
    assert board.title in page and "Shot 1" in page and "Shot 3" in page
    assert "Your name" in page
    # No studio navigation, no editor controls.
    assert "Libraries" not in page and "Set status" not in page and "Generate" not in page


def test_unknown_expired_and_revoked_links_answer_the_same_404(client, alice, board):
    expired = share(board, alice)
    ReviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    revoked = share(board, alice)
    links.revoke_link(link=revoked, user=alice)

    answers = [
        client.get(path)
        for path in (
            "/review/not-a-token/",
            guest_url(expired),
            guest_url(revoked),
            "/review/" + "x" * 500 + "/",
        )
    ]

    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.content for answer in answers}) == 1


def test_a_link_shares_only_its_chosen_shots(client, alice, board):
    first, second, third = board.shots.all()
    link = share(board, alice, shots=[second])

    page = client.get(guest_url(link)).content.decode()

    assert f'id="shot-{second.pk}"' in page
    assert f'id="shot-{first.pk}"' not in page and f'id="shot-{third.pk}"' not in page


def test_guest_pages_are_not_indexed_and_send_no_referrer_to_other_sites(client, alice, board):
    link = share(board, alice)

    response = client.get(guest_url(link))

    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_a_visit_is_in_the_activity_once_per_session(client, alice, board):
    link = share(board, alice, label="Harbour Films")

    client.get(guest_url(link))
    client.get(guest_url(link))
    Client().get(guest_url(link))

    visits = Activity.objects.filter(verb=Verb.GUEST_OPENED)
    assert visits.count() == 2
    assert "Harbour Films" in visits.first().summary


# --- the passphrase ----------------------------------------------------------------------


def test_a_passphrase_is_asked_first_then_remembered(client, alice, board):
    link = share(board, alice, passphrase="blue harbour")

    first = client.get(guest_url(link))
    wrong = client.post(guest_url(link, "guest_unlock"), {"passphrase": "red harbour"})
    right = client.post(guest_url(link, "guest_unlock"), {"passphrase": "blue harbour"})

    assert first.status_code == 302 and first["Location"] == guest_url(link, "guest_unlock")
    assert "not the one you were given" in wrong.content.decode()
    assert right.status_code == 302 and right["Location"] == guest_url(link)
    assert client.get(guest_url(link)).status_code == 200


def test_a_passphrase_opens_that_link_only(client, alice, board):
    link = share(board, alice, passphrase="blue harbour")
    other = share(board, alice, passphrase="blue harbour")
    client.post(guest_url(link, "guest_unlock"), {"passphrase": "blue harbour"})

    assert client.get(guest_url(other)).status_code == 302


def test_before_the_passphrase_nothing_of_the_link_is_served(client, alice, board):
    link = share(board, alice, passphrase="blue harbour", allow_download=True)
    shot = board.shots.first()

    for path in (
        guest_url(link, "guest_media", shot.pk, "file"),
        guest_url(link, "guest_download", shot.pk),
        guest_url(link, "guest_download_all"),
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(guest_url(link, "guest_comment", shot.pk), {"body": "hi"}).status_code == 404


def test_many_wrong_passphrases_lock_the_link_for_a_while(client, alice, board):
    link = share(board, alice, passphrase="blue harbour")
    for _ in range(links.PASSPHRASE_TRIES):
        client.post(guest_url(link, "guest_unlock"), {"passphrase": "guess"})

    response = client.post(guest_url(link, "guest_unlock"), {"passphrase": "blue harbour"})

    assert response.status_code == 429
    assert "Too many wrong passphrases" in response.content.decode()
    assert client.get(guest_url(link)).status_code == 302


# --- media and downloads -----------------------------------------------------------------


def test_a_shared_keeper_is_served_and_nothing_else(client, alice, board):
    first, second, third = board.shots.all()
    link = share(board, alice, shots=[first, third])
    other_board = make_storyboard(board.project, "Other")
    elsewhere = make_shots(other_board, 1)[0]
    keep(elsewhere)

    served = client.get(guest_url(link, "guest_media", first.pk, "file"))

    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert body_of(served) == output_of(first.keeper).file.read()
    for shot_id, variant in (
        (second.pk, "file"),  # on the board, not shared
        (third.pk, "file"),  # shared, no keeper
        (elsewhere.pk, "file"),  # another storyboard
        (first.pk, "last_frame"),  # not a variant guests get
    ):
        assert client.get(guest_url(link, "guest_media", shot_id, variant)).status_code == 404


def test_only_the_keeper_of_a_shot_is_served_never_its_other_takes(client, alice, board):
    second = board.shots.all()[1]
    link = share(board, alice)
    kept = output_of(second.keeper)

    served = client.get(guest_url(link, "guest_media", second.pk, "file"))

    assert served["ETag"] == f'"{kept.sha256}-file"'


def test_downloads_are_refused_unless_the_link_allows_them(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice)

    page = client.get(guest_url(link)).content.decode()

    assert "Download all" not in page and ">Download<" not in page
    assert client.get(guest_url(link, "guest_download", shot.pk)).status_code == 404
    assert client.get(guest_url(link, "guest_download_all")).status_code == 404


def test_an_allowed_download_is_named_by_shot_and_in_the_activity(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice, allow_download=True)
    named(client, link, "Ann")

    response = client.get(guest_url(link, "guest_download", shot.pk))

    assert response.status_code == 200
    assert 'filename="01_' in response["Content-Disposition"]
    assert body_of(response) == output_of(shot.keeper).file.read()
    line = Activity.objects.get(verb=Verb.GUEST_DOWNLOADED)
    assert line.guest_name == "Ann" and "01_" in line.summary


def test_download_all_holds_the_shared_keepers_only(client, alice, board):
    first, second, _third = board.shots.all()
    link = share(board, alice, allow_download=True, shots=[second])

    response = client.get(guest_url(link, "guest_download_all"))

    archive = zipfile.ZipFile(io.BytesIO(body_of(response)))
    assert [name[:3] for name in archive.namelist()] == ["02_"]
    assert archive.read(archive.namelist()[0]) == output_of(second.keeper).file.read()
    assert Activity.objects.filter(verb=Verb.GUEST_DOWNLOADED).count() == 1


# --- comments and decisions --------------------------------------------------------------


def test_a_guest_types_a_name_before_commenting(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice)

    refused = client.post(guest_url(link, "guest_comment", shot.pk), {"body": "Lovely"})
    named(client, link, "Ann")
    posted = client.post(guest_url(link, "guest_comment", shot.pk), {"body": "Lovely"})

    assert refused.status_code == 400 and "Type your name" in refused.content.decode()
    assert posted.status_code == 302
    comment = Comment.objects.get()
    assert comment.guest_name == "Ann" and comment.review_link == link and comment.shot == shot
    assert comment.author is None
    assert Activity.objects.filter(verb=Verb.COMMENTED, guest_name="Ann").exists()


def test_the_guest_reads_the_teams_and_other_guests_comments(client, alice, board):
    first = board.shots.first()
    link = share(board, alice)
    project = board.project
    comments.post_comment(project=project, body="Team note on the shot", user=alice, shot=first)
    comments.post_comment(
        project=project, body="On the kept take", user=alice, generation=first.keeper.generation
    )
    comments.post_comment(
        project=project, body="From Bo", guest_name="Bo", review_link=link, shot=first
    )

    page = client.get(guest_url(link)).content.decode()

    assert "Team note on the shot" in page and "On the kept take" in page
    assert "Bo (guest)" in page and "alice" in page
    assert "Resolve" not in page and "Reply" not in page


def test_with_htmx_a_comment_answers_a_fresh_form_and_the_thread(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice)
    named(client, link)

    response = client.post(
        guest_url(link, "guest_comment", shot.pk),
        {"body": "More light"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert f'id="guest-shot-{shot.pk}-comment-form"' in page and "More light" in page
    assert f'id="guest-shot-{shot.pk}-comments"' in page and 'hx-swap-oob="true"' in page


def test_names_and_comments_are_escaped(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice)
    named(client, link, '"><img src=x onerror=alert(1)>')
    client.post(guest_url(link, "guest_comment", shot.pk), {"body": "<script>alert(2)</script>"})

    page = client.get(guest_url(link)).content.decode()

    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;script&gt;alert(2)" in page and "&quot;&gt;&lt;img" in page


def test_approve_sets_the_projects_approved_status_under_the_guests_name(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice)
    named(client, link, "Ann")

    response = client.post(guest_url(link, "guest_decide", shot.pk), {"decision": "approve"})

    assert response.status_code == 302
    review = ShotReview.objects.get(shot=shot)
    assert review.status.is_approved and review.guest_name == "Ann" and review.set_by is None
    assert "Ann (guest)" in Activity.objects.get(verb=Verb.STATUS).summary
    assert "Approved" in client.get(guest_url(link)).content.decode()


def test_request_changes_sets_the_status_that_asks_for_changes(client, alice, board):
    shot = board.shots.first()
    link = share(board, alice)
    named(client, link, "Ann")

    client.post(
        guest_url(link, "guest_decide", shot.pk),
        {"decision": "changes"},
        headers={"HX-Request": "true"},
    )

    assert ShotReview.objects.get(shot=shot).status.requests_changes


def test_a_decision_on_a_shot_the_link_does_not_share_is_404(client, alice, board):
    first, second, _ = board.shots.all()
    link = share(board, alice, shots=[first])
    named(client, link)

    response = client.post(guest_url(link, "guest_decide", second.pk), {"decision": "approve"})

    assert response.status_code == 404 and not ShotReview.objects.exists()
    assert (
        client.post(guest_url(link, "guest_comment", second.pk), {"body": "x"}).status_code == 404
    )


def test_guest_posts_are_limited_per_link(client, alice, board, monkeypatch):
    monkeypatch.setattr(links, "POSTS_PER_WINDOW", 2)
    shot = board.shots.first()
    link = share(board, alice)
    named(client, link)

    answers = [
        client.post(guest_url(link, "guest_comment", shot.pk), {"body": f"note {n}"})
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [302, 302, 400]
    assert "wait a few minutes" in answers[2].content.decode()
    assert Comment.objects.count() == 2


def test_guest_forms_need_the_csrf_token(alice, board):
    shot = board.shots.first()
    link = share(board, alice)
    client = Client(enforce_csrf_checks=True)

    assert client.post(guest_url(link, "guest_name"), {"name": "Ann"}).status_code == 403
    assert client.post(guest_url(link, "guest_comment", shot.pk), {"body": "x"}).status_code == 403
    assert (
        client.post(guest_url(link, "guest_decide", shot.pk), {"decision": "approve"}).status_code
        == 403
    )


def test_a_guest_reaches_nothing_of_the_studio(client, alice, board):
    link = share(board, alice)
    shot = board.shots.first()
    client.get(guest_url(link))
    output = output_of(shot.keeper)

    for path in (
        board.get_absolute_url(),
        reverse("review:links", args=[board.project_id, board.pk]),
        reverse("generations:output_file", args=[board.project_id, output.pk, "file"]),
        reverse("storyboards:export_zip", args=[board.project_id, board.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path


def test_a_member_opening_the_link_is_still_a_guest_there(client, alice, bob, board):
    ProjectMembership.objects.create(project=board.project, user=bob, role="editor")
    link = share(board, alice)
    client.force_login(bob)

    page = client.get(guest_url(link)).content.decode()

    assert "Set status" not in page and "Your name" in page


# --- live ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_status_change_is_pushed_to_the_open_links_that_share_the_shot(alice):
    channel_layers.backends.clear()
    storyboard = make_storyboard(make_project(alice))
    first, second = make_shots(storyboard, 2)
    everything = share(storyboard, alice)
    only_second = share(storyboard, alice, shots=[second])
    layer = get_channel_layer()
    async_to_sync(layer.group_add)(links.link_group(everything.pk), "page-a")
    async_to_sync(layer.group_add)(links.link_group(only_second.pk), "page-b")
    approved = next(s for s in statuses.statuses_for(storyboard.project) if s.is_approved)

    statuses.set_status(shot=first, status=approved, user=alice)

    message = async_to_sync(layer.receive)("page-a")
    assert message["type"] == "guest.html"
    assert f'id="guest-shot-{first.pk}-status"' in message["html"] and "Approved" in message["html"]
    assert layer.channels.get("page-b") is None or layer.channels["page-b"].empty()
    channel_layers.backends.clear()


ORIGIN = (b"origin", b"http://127.0.0.1")


def guest_socket(token: str, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN, (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/review/{token}/", headers=headers)


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    message = await communicator.receive_output(timeout=2)
    return message.get("code") if message["type"] == "websocket.close" else None


@pytest.mark.django_db(transaction=True)
async def test_the_guest_socket_forwards_pushes_until_the_link_is_revoked(alice):
    channel_layers.backends.clear()
    storyboard = await database_sync_to_async(make_storyboard)(
        await database_sync_to_async(make_project)(alice)
    )
    link = await database_sync_to_async(share)(storyboard, alice)
    communicator = guest_socket(link.token)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "sync"}))
    assert await communicator.receive_from(timeout=2) == '{"type": "synced"}'

    layer = get_channel_layer()
    await layer.group_send(links.link_group(link.pk), {"type": "guest.html", "html": "<p>1</p>"})
    assert await communicator.receive_from(timeout=2) == "<p>1</p>"

    await database_sync_to_async(links.revoke_link)(link=link, user=alice)
    assert await closed_with(communicator) == 4404
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
async def test_an_expired_links_socket_forwards_nothing_more(alice):
    channel_layers.backends.clear()
    storyboard = await database_sync_to_async(make_storyboard)(
        await database_sync_to_async(make_project)(alice)
    )
    link = await database_sync_to_async(share)(storyboard, alice)
    communicator = guest_socket(link.token)
    await communicator.connect()
    await database_sync_to_async(ReviewLink.objects.filter(pk=link.pk).update)(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    layer = get_channel_layer()
    await layer.group_send(links.link_group(link.pk), {"type": "guest.html", "html": "<p>x</p>"})

    assert await closed_with(communicator) == 4404
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
async def test_a_locked_link_refuses_the_socket_until_its_passphrase_is_given(alice):
    channel_layers.backends.clear()
    storyboard = await database_sync_to_async(make_storyboard)(
        await database_sync_to_async(make_project)(alice)
    )
    link = await database_sync_to_async(share)(storyboard, alice, passphrase="blue")
    for token in (link.token, "unknown-token"):
        communicator = guest_socket(token)
        connected, _ = await communicator.connect()
        assert connected
        assert await closed_with(communicator) == 4404

    def unlocked_cookie() -> bytes:
        client = Client()
        client.post(guest_url(link, "guest_unlock"), {"passphrase": "blue"})
        return f"sessionid={client.cookies['sessionid'].value}".encode()

    communicator = guest_socket(link.token, await database_sync_to_async(unlocked_cookie)())
    await communicator.connect()
    await communicator.send_to(text_data=json.dumps({"type": "sync"}))
    assert await communicator.receive_from(timeout=2) == '{"type": "synced"}'
    await communicator.disconnect()
    channel_layers.backends.clear()
