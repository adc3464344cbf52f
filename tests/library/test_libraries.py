"""The libraries list, a library's page (grid, search) and sharing a library."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from library.models import Library, LibraryShare
from tests.library.factories import (
    add_member,
    make_library,
    make_project,
    make_subject,
    make_subject_image,
    share_library,
)


def test_empty_library_list_explains_what_to_do_next(client, alice):
    client.force_login(alice)

    html = client.get(reverse("library:list")).content.decode()

    assert "Build your cast" in html and ">New library</a>" in html


def test_creating_a_library_opens_it_with_an_invitation_to_add_subjects(client, alice):
    client.force_login(alice)

    response = client.post(reverse("library:new"), {"name": "Main cast"}, follow=True)

    library = Library.objects.get()
    assert library.owner == alice
    html = response.content.decode()
    assert "No subjects yet" in html and ">New subject</a>" in html


def test_a_blank_library_name_is_refused(client, alice):
    client.force_login(alice)

    response = client.post(reverse("library:new"), {"name": " "}, headers={"HX-Request": "true"})

    assert "This field is required." in response.content.decode()
    assert not Library.objects.exists()


def test_the_list_shows_covers_and_subject_counts(client, alice):
    library = make_library(owner=alice, name="Main cast")
    image = make_subject_image(subject=make_subject(library=library, name="Mia"))
    make_subject(library=library, name="Hana")
    client.force_login(alice)

    html = client.get(reverse("library:list")).content.decode()

    assert image.get_thumbnail_url() in html
    assert "2 subjects" in html


def test_the_list_shows_libraries_shared_with_me_and_not_others(client, alice, bob, charlie):
    share_library(make_library(owner=alice, name="Alice cast"), bob)
    make_library(owner=charlie, name="Charlie cast")
    client.force_login(bob)

    html = client.get(reverse("library:list")).content.decode()

    assert "Alice cast" in html and "by alice" in html
    assert "Charlie cast" not in html


def test_the_grid_shows_cards_with_thumbnails_kinds_and_mentions(client, alice):
    library = make_library(owner=alice)
    image = make_subject_image(subject=make_subject(library=library, name="Mia", kind="object"))
    client.force_login(alice)

    html = client.get(library.get_absolute_url()).content.decode()

    assert "@Mia" in html and "kind-object" in html and ">Object<" in html
    assert image.get_thumbnail_url() in html


def test_search_filters_by_name_and_answers_htmx_with_the_grid(client, alice):
    library = make_library(owner=alice)
    make_subject(library=library, name="Mia")
    make_subject(library=library, name="Hana")
    client.force_login(alice)

    response = client.get(
        library.get_absolute_url(),
        {"q": "@mi"},
        headers={"HX-Request": "true", "HX-Target": "subject-grid"},
    )

    html = response.content.decode()
    assert "@Mia" in html and "@Hana" not in html
    assert "<html" not in html and 'id="subject-grid"' in html


def test_a_search_that_finds_nothing_says_so(client, alice):
    library = make_library(owner=alice)
    make_subject(library=library, name="Mia")
    client.force_login(alice)

    html = client.get(library.get_absolute_url(), {"q": "zzz"}).content.decode()

    assert "No subject matches “zzz”" in html
    assert 'value="zzz"' in html


def test_the_owner_shares_a_library_by_username(client, alice, bob):
    library = make_library(owner=alice)
    client.force_login(alice)

    client.post(reverse("library:share", args=[library.pk]), {"username": "BOB", "role": "editor"})

    assert LibraryShare.objects.get().user == bob
    assert library.role_for(bob) == "editor"


def test_sharing_with_an_unknown_person_is_explained(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:share", args=[library.pk]), {"username": "nobody", "role": "viewer"}
    )

    assert "No one called “nobody” works in this studio." in response.content.decode()
    assert not LibraryShare.objects.exists()


def test_the_owner_stops_sharing(client, alice, bob):
    library = make_library(owner=alice)
    share = share_library(library, bob)
    client.force_login(alice)

    client.post(reverse("library:unshare", args=[library.pk, share.pk]))

    assert not LibraryShare.objects.exists()


def test_deleting_a_library_asks_first_and_keeps_projects(client, alice):
    from tests.library.factories import make_project

    library = make_library(owner=alice, name="Main cast")
    project = make_project(owner=alice, name="Teaser")
    project.libraries.add(library)
    make_subject(library=library)
    client.force_login(alice)

    confirm = client.get(reverse("library:delete", args=[library.pk])).content.decode()
    client.post(reverse("library:delete", args=[library.pk]))

    assert "This deletes 1 subject" in confirm and "Teaser" in confirm
    assert not Library.objects.exists()
    project.refresh_from_db()
    assert project.name == "Teaser"


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_library_page_takes_the_same_queries_for_5_and_50_subjects(client, alice):
    library = make_library(owner=alice)
    for index in range(5):
        subject = make_subject(library=library, name=f"S{index}")
        make_subject_image(subject=subject, color=(index, 0, 0))
    client.force_login(alice)
    with_5 = queries_for(client, library.get_absolute_url())

    for index in range(5, 50):
        subject = make_subject(library=library, name=f"S{index}")
        make_subject_image(subject=subject, color=(index, 0, 0))
    with_50 = queries_for(client, library.get_absolute_url())

    assert with_5 == with_50


def test_the_library_list_takes_the_same_queries_for_5_and_50_libraries(client, alice):
    def add_libraries(start: int, stop: int) -> None:
        for index in range(start, stop):
            library = make_library(owner=alice, name=f"L{index}")
            make_subject(library=library)

    add_libraries(0, 5)
    make_subject_image(subject=make_subject(library=Library.objects.first(), name="Cover"))
    client.force_login(alice)
    with_5 = queries_for(client, reverse("library:list"))

    add_libraries(5, 50)
    with_50 = queries_for(client, reverse("library:list"))

    assert with_5 == with_50


def library_urls(library, subject, image) -> list[str]:
    return [
        library.get_absolute_url(),
        subject.get_absolute_url(),
        image.get_absolute_url(),
        image.get_thumbnail_url(),
    ]


def test_a_viewer_of_a_library_cannot_pass_it_on_to_a_project(client, alice, bob):
    library = make_library(owner=alice)
    share_library(library, bob, "viewer")
    bobs = make_project(owner=bob)
    client.force_login(bob)

    response = client.post(reverse("projects:attach", args=[bobs.pk]), {"library": library.pk})

    assert response.status_code == 404
    assert not bobs.libraries.exists()
    assert "Main cast" not in client.get(bobs.get_absolute_url()).content.decode()


def test_revoking_a_share_takes_back_what_flowed_from_it(client, alice, bob, charlie):
    library = make_library(owner=alice)
    subject = make_subject(library=library)
    image = make_subject_image(subject=subject)
    share = share_library(library, bob, "editor")
    bobs = make_project(owner=bob)
    add_member(bobs, charlie, "viewer")
    client.force_login(bob)
    client.post(reverse("projects:attach", args=[bobs.pk]), {"library": library.pk})
    client.force_login(charlie)
    assert {client.get(url).status_code for url in library_urls(library, subject, image)} == {200}
    client.force_login(alice)

    client.post(reverse("library:unshare", args=[library.pk, share.pk]))

    assert not bobs.libraries.exists()
    for person in (bob, charlie):
        client.force_login(person)
        answers = {client.get(url).status_code for url in library_urls(library, subject, image)}
        assert answers == {404}, person


def test_an_editor_made_viewer_no_longer_passes_the_library_on(client, alice, bob):
    library = make_library(owner=alice)
    share_library(library, bob, "editor")
    bobs = make_project(owner=bob)
    bobs.libraries.add(library)
    client.force_login(alice)

    client.post(reverse("library:share", args=[library.pk]), {"username": "bob", "role": "viewer"})

    assert library.role_for(bob) == "viewer"
    assert not bobs.libraries.exists()


def test_revoking_a_share_keeps_the_library_where_someone_else_may_still_attach_it(
    client, alice, bob
):
    library = make_library(owner=alice)
    share = share_library(library, bob, "editor")
    shared_film = make_project(owner=bob, name="Shared film")
    add_member(shared_film, alice, "editor")  # the library's owner works on it too
    shared_film.libraries.add(library)
    client.force_login(alice)

    client.post(reverse("library:unshare", args=[library.pk, share.pk]))

    assert list(shared_film.libraries.all()) == [library]
