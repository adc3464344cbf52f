"""The project's activity feed and the notifications it raises: what is recorded, who
hears of it, what the pages show, and what is pushed to open pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects import activity
from projects.models import Activity, Notification, ProjectMembership, Verb
from storyboards import services
from tests.generations.gallery_factories import make_project, simulator_connection
from tests.storyboards.factories import make_shots, make_storyboard, make_take


@pytest.fixture
def project(alice, bob):
    project = make_project(alice)
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    return project


@pytest.fixture
def pushed(monkeypatch):
    """What would go to open pages: (kind, id, html)."""
    sent = []
    monkeypatch.setattr(
        activity.realtime, "push_html", lambda pk, html, **_: sent.append(("project", pk, html))
    )
    monkeypatch.setattr(
        activity.realtime, "push_html_to_user", lambda pk, html: sent.append(("user", pk, html))
    )
    return sent


def test_record_writes_the_line_and_notifies_everyone_named_but_the_actor(
    project, alice, bob, charlie
):
    line = activity.record(
        project=project,
        verb=Verb.COMMENTED,
        summary="bob commented on shot 2",
        link="/somewhere/",
        actor=bob,
        notify=[alice, bob, charlie],
    )

    assert Activity.objects.get() == line and line.who == "bob"
    # bob did it; charlie is no member of the project, so he hears nothing of it.
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["alice"]
    assert activity.unread_count(alice) == 1 and activity.unread_count(bob) == 0


def test_after_commit_the_line_reaches_the_open_feeds_and_the_bell_its_recipient(
    project, alice, bob, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        activity.record(
            project=project,
            verb=Verb.COMMENTED,
            summary="<script>alert(1)</script>",
            actor=bob,
            notify=[alice],
        )

    (kind, project_id, html), (to_user, user_id, badge) = pushed
    assert (kind, project_id, to_user, user_id) == ("project", project.pk, "user", alice.pk)
    assert 'hx-swap-oob="afterbegin:#activity-list"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'id="notifications-count"' in badge and ">1<" in badge


def test_mark_read_clears_only_the_persons_own_notifications(project, alice, bob):
    activity.record(project=project, verb=Verb.STATUS, summary="x", actor=bob, notify=[alice])
    activity.record(project=project, verb=Verb.STATUS, summary="y", actor=alice, notify=[bob])
    bobs = Notification.objects.get(recipient=bob)

    assert activity.mark_read(user=alice, ids=[bobs.pk]) == 0
    assert activity.mark_read(user=alice) == 1
    assert activity.unread_count(alice) == 0 and activity.unread_count(bob) == 1


def test_a_removed_member_no_longer_counts_that_projects_notifications(project, alice, bob):
    activity.record(project=project, verb=Verb.STATUS, summary="x", actor=alice, notify=[bob])
    ProjectMembership.objects.filter(user=bob).delete()

    assert activity.unread_count(bob) == 0
    assert not activity.unread_for(bob).exists()


def test_a_generate_request_is_one_line_however_many_variations(project, alice):
    shot = make_shots(make_storyboard(project), 1)[0]

    services.generate_takes(shot=shot, user=alice, connection=simulator_connection(), variations=3)

    line = Activity.objects.get(verb=Verb.GENERATED)
    assert line.actor == alice
    assert "(3 variations)" in line.summary and "Shot 1 prompt" in line.summary


def test_choosing_a_keeper_is_a_line_and_unkeeping_is_not(project, bob):
    shot = make_shots(make_storyboard(project), 1)[0]
    take = make_take(shot)

    services.choose_keeper(shot=shot, take=take, user=bob)
    services.choose_keeper(shot=shot, take=None, user=bob)

    line = Activity.objects.get(verb=Verb.KEPT)
    assert line.actor == bob and line.link == shot.get_absolute_url()
    assert line.summary == f"Take #{take.generation_id} for Shot 1 of Harbour at dawn"


def test_the_feed_lists_the_newest_first_escaped_with_links(client, project, alice, bob):
    activity.record(project=project, verb=Verb.KEPT, summary="older", actor=bob)
    activity.record(project=project, verb=Verb.STATUS, summary="<i>newer</i>", link="/x/")
    client.force_login(alice)

    page = client.get(reverse("review:activity", args=[project.pk])).content.decode()

    assert page.index("&lt;i&gt;newer&lt;/i&gt;") < page.index("older")
    assert '<a href="/x/">&lt;i&gt;newer' in page
    assert "bob kept a take" in page
    assert f'ws-connect="/ws/projects/{project.pk}/"' in page


def test_the_feed_is_paginated(client, project, alice):
    Activity.objects.bulk_create(
        Activity(project=project, verb=Verb.KEPT, summary=f"line {n}") for n in range(60)
    )
    client.force_login(alice)
    url = reverse("review:activity", args=[project.pk])

    first, second = client.get(url).content.decode(), client.get(url + "?page=2").content.decode()

    assert first.count('class="activity-line') == 50 and second.count('class="activity-line') == 10
    assert "Page 2 of 2" in second
    assert client.get(url + "?page=²").status_code == 200


def test_charlie_gets_404_for_the_feed(client, project, charlie):
    client.force_login(charlie)

    assert client.get(reverse("review:activity", args=[project.pk])).status_code == 404


def test_the_bell_counts_unread_and_mark_all_read_clears_it(client, project, alice, bob):
    activity.record(
        project=project, verb=Verb.STATUS, summary="bob set it", actor=bob, notify=[alice]
    )
    client.force_login(alice)

    home = client.get(reverse("projects:home")).content.decode()
    listing = client.get(reverse("review:notifications")).content.decode()
    answer = client.post(reverse("review:mark_read"))
    after = client.get(reverse("review:notifications")).content.decode()

    assert 'id="notifications-count" class="bell-count">1<' in home
    assert "bob set it" in listing and "Mark all read" in listing
    assert answer.status_code == 302
    assert "All read" in after and 'class="bell-count" hidden>0<' in after


def test_notifications_are_only_the_persons_own(client, project, alice, bob, charlie):
    activity.record(project=project, verb=Verb.STATUS, summary="for alice", notify=[alice])
    client.force_login(charlie)

    assert "for alice" not in client.get(reverse("review:notifications")).content.decode()
    client.post(reverse("review:mark_read"), {"notification": Notification.objects.get().pk})
    assert activity.unread_count(alice) == 1


def test_mark_read_needs_a_post(client, alice):
    client.force_login(alice)

    assert client.get(reverse("review:mark_read")).status_code == 405
