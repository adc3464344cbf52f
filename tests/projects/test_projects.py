"""Projects: the list (covers, counts, archived filter), rename, archive, delete."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Project
from projects.services import deletion_summary
from tests.library.factories import (
    add_member,
    make_library,
    make_project,
    make_subject,
    make_subject_image,
)


def tile_titles(html: str) -> list[str]:
    return re.findall(r'<strong class="tile-title">(.*?)</strong>', html)


def test_a_project_tile_shows_the_first_subject_image_of_its_libraries(client, alice):
    project = make_project(owner=alice, name="Teaser")
    library = make_library(owner=alice)
    image = make_subject_image(subject=make_subject(library=library, name="Mia"))
    project.libraries.add(library)
    client.force_login(alice)

    html = client.get(reverse("projects:home")).content.decode()

    assert image.get_thumbnail_url() in html
    assert "1 library · 1 subject" in html


def test_a_project_without_images_shows_its_letter(client, alice):
    make_project(owner=alice, name="teaser")
    client.force_login(alice)

    html = client.get(reverse("projects:home")).content.decode()

    assert "tile-cover-empty" in html and "<span>T</span>" in html
    assert "0 libraries · 0 subjects" in html


def test_renaming_a_project(client, alice):
    project = make_project(owner=alice, name="Draft")
    client.force_login(alice)

    response = client.post(reverse("projects:rename", args=[project.pk]), {"name": "Final"})

    project.refresh_from_db()
    assert project.name == "Final" and response["Location"] == project.get_absolute_url()


def test_a_blank_new_name_is_refused_next_to_the_field(client, alice):
    project = make_project(owner=alice, name="Draft")
    client.force_login(alice)

    response = client.post(
        reverse("projects:rename", args=[project.pk]), {"name": ""}, headers={"HX-Request": "true"}
    )

    assert "This field is required." in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Draft"


def test_archived_projects_are_hidden_behind_a_filter(client, alice):
    make_project(owner=alice, name="Current")
    old = make_project(owner=alice, name="Old campaign")
    client.force_login(alice)

    client.post(reverse("projects:archive", args=[old.pk]))
    active = client.get(reverse("projects:home")).content.decode()
    archived = client.get(reverse("projects:home"), {"show": "archived"}).content.decode()

    assert tile_titles(active) == ["Current"]
    assert 'Archived <span class="count">1</span>' in active
    assert tile_titles(archived) == ["Old campaign"]


def test_unarchiving_brings_a_project_back(client, alice):
    project = make_project(owner=alice, name="Old campaign")
    client.force_login(alice)
    client.post(reverse("projects:archive", args=[project.pk]))

    client.post(reverse("projects:unarchive", args=[project.pk]))

    assert tile_titles(client.get(reverse("projects:home")).content.decode()) == ["Old campaign"]


def test_an_archived_project_still_opens_and_says_so(client, alice):
    project = make_project(owner=alice, name="Old campaign")
    client.force_login(alice)
    client.post(reverse("projects:archive", args=[project.pk]))

    html = client.get(project.get_absolute_url()).content.decode()

    assert "Archived" in html and ">Unarchive</button>" in html


def test_deleting_asks_first_and_says_what_goes_with_it(client, alice, bob):
    project = make_project(owner=alice, name="Teaser")
    library = make_library(owner=alice, name="Main cast")
    project.libraries.add(library)
    add_member(project, bob)
    client.force_login(alice)

    confirm = client.get(reverse("projects:delete", args=[project.pk])).content.decode()
    response = client.post(reverse("projects:delete", args=[project.pk]))

    assert "Delete “Teaser”?" in confirm
    assert "1 member" in confirm
    assert "The libraries it uses are kept" in confirm
    assert response["Location"] == reverse("projects:home")
    assert not Project.objects.exists()
    library.refresh_from_db()  # still there


def test_the_deletion_summary_counts_every_cascading_relation(alice, bob, charlie):
    project = make_project(owner=alice)
    assert deletion_summary(project) == []

    add_member(project, bob)
    add_member(project, charlie)

    assert deletion_summary(project) == ["2 members"]


def queries_for(client, url: str, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_the_project_list_takes_the_same_queries_for_5_and_50_projects(client, alice, bob):
    library = make_library(owner=alice)
    make_subject_image(subject=make_subject(library=library))

    def add_projects(start: int, stop: int) -> None:
        for index in range(start, stop):
            project = make_project(owner=alice, name=f"P{index}")
            project.libraries.add(library)
            add_member(project, bob)

    add_projects(0, 5)
    client.force_login(alice)
    with_5 = queries_for(client, reverse("projects:home"))
    add_projects(5, 50)
    with_50 = queries_for(client, reverse("projects:home"))

    assert with_5 == with_50


def test_the_project_page_takes_the_same_queries_for_5_and_50_subjects(client, alice):
    project = make_project(owner=alice)
    library = make_library(owner=alice)
    project.libraries.add(library)
    for index in range(5):
        make_subject_image(
            subject=make_subject(library=library, name=f"S{index}"), color=(index, 0, 0)
        )
    client.force_login(alice)
    with_5 = queries_for(client, project.get_absolute_url())

    for index in range(5, 50):
        make_subject_image(
            subject=make_subject(library=library, name=f"S{index}"), color=(index, 0, 0)
        )
    with_50 = queries_for(client, project.get_absolute_url())

    assert with_5 == with_50
