"""Review links, the editor's side: sharing a storyboard, the list of its links, revoking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.urls import reverse
from django.utils import timezone

from projects.models import Activity, ProjectMembership, Verb
from review import links
from review.models import ReviewLink
from tests.generations.gallery_factories import make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take


@pytest.fixture
def board(alice, bob):
    """Alice's storyboard of three shots, the first two kept; bob may only view it."""
    project = make_project(alice)
    ProjectMembership.objects.create(project=project, user=bob, role="viewer")
    storyboard = make_storyboard(project)
    for shot in make_shots(storyboard, 3)[:2]:
        take = make_take(shot)
        shot.keeper = take
        shot.save(update_fields=["keeper"])
    return storyboard


def share_url(storyboard) -> str:
    return reverse("review:links", args=[storyboard.project_id, storyboard.pk])


def revoke_url(link) -> str:
    return reverse(
        "review:revoke_link", args=[link.storyboard.project_id, link.storyboard_id, link.pk]
    )


def test_the_board_offers_share_for_review_to_editors_only(client, alice, bob, board):
    client.force_login(alice)
    assert "Share for review" in client.get(board.get_absolute_url()).content.decode()

    client.force_login(bob)
    assert "Share for review" not in client.get(board.get_absolute_url()).content.decode()


def test_the_share_form_offers_expiry_passphrase_downloads_and_shots(client, alice, board):
    client.force_login(alice)

    page = client.get(share_url(board)).content.decode()

    for label in ("Expires", "Passphrase", "Allow downloads", "Create link", "Shot 3"):
        assert label in page
    assert '<option value="7" selected>In 7 days</option>' in page


def test_creating_a_link_opens_it_for_seven_days_and_shows_it_to_copy(client, alice, board):
    client.force_login(alice)

    response = client.post(share_url(board), {"expires": "7", "label": "Client"}, follow=True)

    link = ReviewLink.objects.get()
    assert link.storyboard == board and link.created_by == alice
    assert abs(link.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert not link.has_passphrase and not link.allow_download and not link.shots.exists()
    page = response.content.decode()
    assert "Link created" in page and f"/review/{link.token}/" in page and "Copy" in page


def test_a_passphrase_is_kept_only_as_a_hash(client, alice, board):
    client.force_login(alice)

    client.post(share_url(board), {"expires": "1", "passphrase": "blue harbour"})

    link = ReviewLink.objects.get()
    assert "blue harbour" not in link.passphrase_hash
    assert link.check_passphrase("blue harbour") and not link.check_passphrase("red harbour")


def test_a_link_may_share_only_chosen_shots(client, alice, board):
    client.force_login(alice)
    first, _, third = board.shots.all()

    client.post(share_url(board), {"expires": "30", "shots": [first.pk, third.pk]})

    assert set(ReviewLink.objects.get().shots.all()) == {first, third}


def test_a_shot_of_another_storyboard_cannot_be_shared(client, alice, board):
    other = make_shots(make_storyboard(board.project, "Other"), 1)[0]
    client.force_login(alice)

    response = client.post(share_url(board), {"expires": "7", "shots": [other.pk]})

    assert response.status_code == 200 and not ReviewLink.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_an_expiry_that_is_not_offered_is_refused(client, alice, board):
    client.force_login(alice)

    response = client.post(share_url(board), {"expires": "3650"})

    assert response.status_code == 200 and not ReviewLink.objects.exists()


def test_with_htmx_creating_answers_the_new_link_and_the_list(client, alice, board):
    client.force_login(alice)

    response = client.post(share_url(board), {"expires": "7"}, headers={"HX-Request": "true"})

    page = response.content.decode()
    link = ReviewLink.objects.get()
    assert 'id="share-region"' in page and f"/review/{link.token}/" in page
    assert 'id="review-links"' in page and 'hx-swap-oob="true"' in page


def test_sharing_is_in_the_project_activity(client, alice, board):
    client.force_login(alice)

    client.post(share_url(board), {"expires": "7", "label": "Ann at Harbour Films"})

    line = Activity.objects.get(verb=Verb.SHARED)
    assert line.actor == alice and "Ann at Harbour Films" in line.summary
    assert line.link.startswith(share_url(board))


def test_the_list_shows_creator_expiry_passphrase_and_visits(client, alice, board):
    link = links.create_link(storyboard=board, user=alice, passphrase="x", label="Ann")
    links.visited(link=link, guest_name="Ann")
    links.visited(link=link, guest_name="Ann's producer")
    client.force_login(alice)

    page = client.get(share_url(board)).content.decode()

    row = page[page.index(f'id="link-{link.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "alice" in row and "Yes" in row and ">2</td>" in row
    assert link.expires_at.strftime("%Y") in row and "Revoke" in row


def test_revoking_closes_the_link_and_is_in_the_activity(client, alice, board):
    link = links.create_link(storyboard=board, user=alice)
    client.force_login(alice)

    response = client.post(revoke_url(link))

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None and not ReviewLink.objects.open().exists()
    assert Activity.objects.filter(verb=Verb.REVOKED, actor=alice).exists()
    page = client.get(share_url(board)).content.decode()
    assert "Revoked" in page


@pytest.mark.django_db(transaction=True)
def test_revoking_tells_the_links_open_pages_to_close(alice):
    channel_layers.backends.clear()
    storyboard = make_storyboard(make_project(alice))
    link = links.create_link(storyboard=storyboard, user=alice)
    layer = get_channel_layer()
    async_to_sync(layer.group_add)(links.link_group(link.pk), "guest-page")

    links.revoke_link(link=link, user=alice)

    message = async_to_sync(layer.receive)("guest-page")
    assert message == {"type": "link.closed"}
    channel_layers.backends.clear()


def test_a_viewer_can_neither_share_nor_revoke(client, alice, bob, board):
    link = links.create_link(storyboard=board, user=alice)
    client.force_login(bob)

    assert client.get(share_url(board)).status_code == 403
    assert client.post(share_url(board), {"expires": "7"}).status_code == 403
    assert client.post(revoke_url(link)).status_code == 403
    assert ReviewLink.objects.count() == 1 and ReviewLink.objects.open().count() == 1


def test_charlie_gets_404_for_the_share_page_and_revoke(client, alice, charlie, board):
    link = links.create_link(storyboard=board, user=alice)
    client.force_login(charlie)

    assert client.get(share_url(board)).status_code == 404
    assert client.post(revoke_url(link)).status_code == 404
    assert ReviewLink.objects.open().count() == 1


def test_a_link_is_revoked_only_through_its_own_storyboard(client, alice, board):
    other = make_storyboard(board.project, "Other")
    link = links.create_link(storyboard=other, user=alice)
    client.force_login(alice)

    path = reverse("review:revoke_link", args=[board.project_id, board.pk, link.pk])

    assert client.post(path).status_code == 404
    assert ReviewLink.objects.open().count() == 1


def test_revoking_needs_a_post_with_csrf(alice, board):
    from django.test import Client

    link = links.create_link(storyboard=board, user=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.get(revoke_url(link)).status_code == 405
    assert client.post(revoke_url(link)).status_code == 403
    assert ReviewLink.objects.open().count() == 1


def test_a_label_is_escaped_on_the_share_page(client, alice, board):
    links.create_link(storyboard=board, user=alice, label='<script>alert("x")</script>')
    client.force_login(alice)

    page = client.get(share_url(board)).content.decode()

    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_deleting_the_shared_shots_never_widens_a_link_to_the_whole_board(alice):
    project = make_project(alice)
    storyboard = make_storyboard(project)
    first, second = make_shots(storyboard, 2)
    link = links.create_link(storyboard=storyboard, user=alice, shots=[second])
    assert [shot.pk for shot in links.shared_shots(link)] == [second.pk]

    second.delete()

    assert links.shared_shots(link) == []
    assert [
        shot.pk for shot in links.shared_shots(links.create_link(storyboard=storyboard, user=alice))
    ] == [first.pk]
