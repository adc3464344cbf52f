""" "New library" from a project's page: made, attached to the project, and back to it;
only for people who may edit the project."""

from __future__ import annotations

from django.urls import reverse

from library.models import Library
from tests.library.factories import add_member, make_project

HX = {"HX-Request": "true"}


def new_library(client, project, name="Main cast", **headers):
    url = reverse("projects:new_library", args=[project.pk])
    return client.post(url, {"name": name}, headers=headers or None)


def test_a_library_made_from_a_project_is_attached_and_the_page_goes_back(client, alice):
    project = make_project(owner=alice)
    client.force_login(alice)

    response = new_library(client, project)

    library = Library.objects.get()
    assert library.owner == alice and library.name == "Main cast"
    assert list(project.libraries.all()) == [library]
    assert response.status_code == 302
    assert response["Location"] == f"{project.get_absolute_url()}#project-libraries"


def test_with_htmx_the_browser_is_sent_back_to_the_project(client, alice):
    project = make_project(owner=alice)
    client.force_login(alice)

    response = new_library(client, project, **HX)

    assert response["HX-Redirect"].startswith(project.get_absolute_url())


def test_an_editor_of_the_project_owns_the_library_they_make_there(client, alice, bob):
    project = make_project(owner=alice)
    add_member(project, bob, "editor")
    client.force_login(bob)

    new_library(client, project, name="Bob's props")

    library = Library.objects.get()
    assert library.owner == bob
    assert project.libraries.filter(pk=library.pk).exists()


def test_a_viewer_of_the_project_is_refused_and_nothing_is_made(client, alice, bob):
    project = make_project(owner=alice)
    add_member(project, bob, "viewer")
    client.force_login(bob)

    assert client.get(reverse("projects:new_library", args=[project.pk])).status_code == 403
    assert new_library(client, project).status_code == 403
    assert not Library.objects.exists()


def test_a_stranger_gets_404_and_nothing_is_made(client, alice, charlie):
    project = make_project(owner=alice)
    client.force_login(charlie)

    assert client.get(reverse("projects:new_library", args=[project.pk])).status_code == 404
    assert new_library(client, project).status_code == 404
    assert not Library.objects.exists()


def test_a_blank_name_is_refused_beside_the_field_and_nothing_is_made(client, alice):
    project = make_project(owner=alice)
    client.force_login(alice)

    response = new_library(client, project, name="   ", **HX)

    assert "This field is required." in response.content.decode()
    assert not Library.objects.exists()


def test_the_form_names_the_project_it_comes_back_to(client, alice):
    project = make_project(owner=alice, name="Harbour film")
    client.force_login(alice)

    html = client.get(reverse("projects:new_library", args=[project.pk])).content.decode()

    assert "Harbour film" in html and "Create library" in html
    assert f'action="{reverse("projects:new_library", args=[project.pk])}"' in html


def test_the_project_page_offers_new_library_and_new_subject_to_editors_only(client, alice, bob):
    project = make_project(owner=alice)
    client.force_login(alice)
    new_library(client, project)
    add_member(project, bob, "viewer")

    editor_html = client.get(project.get_absolute_url()).content.decode()
    client.force_login(bob)
    viewer_html = client.get(project.get_absolute_url()).content.decode()

    assert reverse("projects:new_library", args=[project.pk]) in editor_html
    assert ">New subject</a>" in editor_html and "next=" in editor_html
    assert ">New library</a>" not in viewer_html and ">New subject</a>" not in viewer_html
