"""Sharing a project (editors and viewers), attaching libraries, and who gets a 404/403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Project, ProjectMembership
from tests.library.factories import (
    add_member,
    make_library,
    make_project,
    make_subject,
    share_library,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def project(alice, bob):
    project = make_project(owner=alice, name="Secret film")
    library = make_library(owner=alice, name="Secret cast")
    project.libraries.add(library)
    project.membership = add_member(project, bob, "viewer")
    project.library = library
    return project


def project_urls(project) -> dict[str, list[str]]:
    pk = project.pk
    return {
        "get": [
            reverse("projects:detail", args=[pk]),
            reverse("projects:rename", args=[pk]),
            reverse("projects:delete", args=[pk]),
        ],
        "post_only": [
            reverse("projects:archive", args=[pk]),
            reverse("projects:unarchive", args=[pk]),
            reverse("projects:add_member", args=[pk]),
            reverse("projects:remove_member", args=[pk, project.membership.pk]),
            reverse("projects:attach", args=[pk]),
            reverse("projects:detach", args=[pk, project.library.pk]),
        ],
    }


def test_charlie_gets_404_on_every_project_page(client, project, charlie):
    client.force_login(charlie)

    for url in project_urls(project)["get"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Secret" not in response.content.decode()


def test_charlie_gets_404_when_posting_to_any_project_url(client, project, charlie):
    urls = project_urls(project)
    client.force_login(charlie)

    for url in urls["get"] + urls["post_only"]:
        data = {"name": "Pwned", "username": "charlie", "role": "editor", "library": "1"}
        assert client.post(url, data).status_code == 404, url
    assert Project.objects.get().name == "Secret film"


def test_for_user_covers_owner_and_members_once(alice, bob, charlie):
    project = make_project(owner=alice)
    add_member(project, bob, "editor")

    assert list(Project.objects.for_user(alice)) == [project]
    assert list(Project.objects.for_user(bob)) == [project]
    assert list(Project.objects.for_user(charlie)) == []


def test_the_owner_shares_the_project_by_username(client, alice, charlie):
    project = make_project(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("projects:add_member", args=[project.pk]),
        {"username": "Charlie", "role": "editor"},
        headers=HX,
    )

    assert ProjectMembership.objects.get().user == charlie
    html = response.content.decode()
    assert "charlie" in html and "Editor" in html and "<html" not in html


def test_sharing_again_changes_the_role(client, project, alice, bob):
    client.force_login(alice)

    client.post(
        reverse("projects:add_member", args=[project.pk]), {"username": "bob", "role": "editor"}
    )

    assert ProjectMembership.objects.get(user=bob).role == "editor"


def test_sharing_with_unknown_people_or_the_owner_is_explained(client, alice):
    project = make_project(owner=alice)
    client.force_login(alice)
    url = reverse("projects:add_member", args=[project.pk])

    unknown = client.post(url, {"username": "zed", "role": "viewer"}, headers=HX)
    owner = client.post(url, {"username": "alice", "role": "viewer"}, headers=HX)

    assert "No one called “zed” works in this studio." in unknown.content.decode()
    assert "That is the owner" in owner.content.decode()
    assert not ProjectMembership.objects.exists()


def test_the_owner_removes_a_member_and_a_member_may_leave(client, project, alice, bob):
    client.force_login(bob)
    client.post(reverse("projects:remove_member", args=[project.pk, project.membership.pk]))
    assert not ProjectMembership.objects.exists()

    again = add_member(project, bob)
    client.force_login(alice)
    client.post(reverse("projects:remove_member", args=[project.pk, again.pk]))
    assert not ProjectMembership.objects.exists()


def test_a_viewer_sees_the_project_and_its_libraries(client, project, bob):
    make_subject(library=project.library, name="Mia")
    client.force_login(bob)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "Secret film" in html and "@Mia" in html
    assert "Attach" not in html and "Rename" not in html and "Delete" not in html


def test_a_viewer_gets_the_403_page_on_every_change(client, project, bob):
    client.force_login(bob)
    pk = project.pk

    changes = [
        (reverse("projects:rename", args=[pk]), {"name": "Mine"}),
        (reverse("projects:archive", args=[pk]), {}),
        (reverse("projects:delete", args=[pk]), {}),
        (reverse("projects:add_member", args=[pk]), {"username": "bob", "role": "editor"}),
        (reverse("projects:attach", args=[pk]), {"library": project.library.pk}),
        (reverse("projects:detach", args=[pk, project.library.pk]), {}),
    ]
    for url, data in changes:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "You can’t do that here" in response.content.decode()
    assert client.get(reverse("projects:rename", args=[pk])).status_code == 403
    assert Project.objects.get().name == "Secret film"
    assert ProjectMembership.objects.get().role == "viewer"


def test_an_editor_renames_and_attaches_but_cannot_delete_archive_or_share(client, project, bob):
    ProjectMembership.objects.filter(pk=project.membership.pk).update(role="editor")
    own_library = make_library(owner=bob, name="Bob cast")
    client.force_login(bob)
    pk = project.pk

    renamed = client.post(reverse("projects:rename", args=[pk]), {"name": "Better"})
    attached = client.post(reverse("projects:attach", args=[pk]), {"library": own_library.pk})

    assert renamed.status_code == 302 and attached.status_code == 302
    assert set(Project.objects.get().libraries.all()) == {project.library, own_library}
    assert client.post(reverse("projects:delete", args=[pk])).status_code == 403
    assert client.post(reverse("projects:archive", args=[pk])).status_code == 403
    share = {"username": "charlie", "role": "viewer"}
    assert client.post(reverse("projects:add_member", args=[pk]), share).status_code == 403


def test_attaching_and_detaching_a_library_with_htmx(client, alice):
    project = make_project(owner=alice)
    library = make_library(owner=alice, name="Main cast")
    client.force_login(alice)

    attached = client.post(
        reverse("projects:attach", args=[project.pk]), {"library": library.pk}, headers=HX
    )
    assert list(project.libraries.all()) == [library]
    assert "Main cast" in attached.content.decode() and "<html" not in attached.content.decode()

    client.post(reverse("projects:detach", args=[project.pk, library.pk]), headers=HX)
    assert not project.libraries.exists()
    library.refresh_from_db()  # detaching keeps the library


def test_only_libraries_i_may_see_can_be_attached(client, alice, charlie):
    project = make_project(owner=alice)
    charlies = make_library(owner=charlie, name="Charlie cast")
    client.force_login(alice)

    page = client.get(project.get_absolute_url()).content.decode()
    response = client.post(reverse("projects:attach", args=[project.pk]), {"library": charlies.pk})

    assert "Charlie cast" not in page
    assert response.status_code == 404
    assert not project.libraries.exists()


def test_a_library_shared_with_me_as_editor_can_be_attached(client, alice, bob):
    project = make_project(owner=bob)
    library = make_library(owner=alice, name="Alice cast")
    share_library(library, bob, "editor")
    client.force_login(bob)

    page = client.get(project.get_absolute_url()).content.decode()
    client.post(reverse("projects:attach", args=[project.pk]), {"library": library.pk})

    assert "Alice cast" in page
    assert list(project.libraries.all()) == [library]


def test_a_library_seen_only_through_another_project_cannot_be_attached(client, project, bob):
    bobs = make_project(owner=bob, name="Bob film")
    client.force_login(bob)

    response = client.post(
        reverse("projects:attach", args=[bobs.pk]), {"library": project.library.pk}
    )

    assert response.status_code == 404
    assert not bobs.libraries.exists()


def test_shared_projects_appear_in_my_list(client, project, bob):
    client.force_login(bob)

    html = client.get(reverse("projects:home")).content.decode()

    assert "Secret film" in html and "Shared by alice" in html
