"""Who may see and change libraries, subjects and images: alice owns, bob is given
access, charlie is a stranger who must not learn that anything exists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from library.models import Subject
from tests.factories import make_png
from tests.library.factories import (
    add_member,
    make_library,
    make_project,
    make_subject,
    make_subject_image,
    share_library,
    upload,
)


@pytest.fixture
def alices(alice, bob):
    library = make_library(owner=alice, name="Secret cast")
    subject = make_subject(library=library, name="Mia")
    image = make_subject_image(subject=subject)
    share = share_library(library, bob, "viewer")
    return {"library": library, "subject": subject, "image": image, "share": share}


def readable_urls(things) -> list[str]:
    library, subject, image = things["library"], things["subject"], things["image"]
    return [
        reverse("library:detail", args=[library.pk]),
        reverse("library:rename", args=[library.pk]),
        reverse("library:delete", args=[library.pk]),
        reverse("library:new_subject", args=[library.pk]),
        reverse("library:subject", args=[subject.pk]),
        reverse("library:subject_card", args=[subject.pk]),
        reverse("library:subject_edit", args=[subject.pk]),
        reverse("library:subject_delete", args=[subject.pk]),
        reverse("library:image", args=[image.pk]),
        reverse("library:image_thumb", args=[image.pk]),
    ]


def post_only_urls(things) -> list[str]:
    library, subject, image = things["library"], things["subject"], things["image"]
    return [
        reverse("library:share", args=[library.pk]),
        reverse("library:unshare", args=[library.pk, things["share"].pk]),
        reverse("library:upload", args=[subject.pk]),
        reverse("library:image_delete", args=[image.pk]),
    ]


def test_charlie_gets_404_on_every_library_subject_and_image_page(client, alices, charlie):
    client.force_login(charlie)

    for url in readable_urls(alices):
        assert client.get(url).status_code == 404, url


def test_charlie_gets_404_when_posting_to_any_of_them(client, alices, charlie):
    client.force_login(charlie)
    get_only = {alices["image"].get_absolute_url(), alices["image"].get_thumbnail_url()}

    for url in [u for u in readable_urls(alices) if u not in get_only] + post_only_urls(alices):
        response = client.post(url, {"name": "Pwned", "kind": "character", "username": "charlie"})
        assert response.status_code == 404, url
    assert Subject.objects.get().name == "Mia"


def test_a_wrong_method_answers_alike_for_ids_that_exist_and_ids_that_do_not(
    client, alices, charlie
):
    client.force_login(charlie)
    image_id = alices["image"].pk

    real = client.post(f"/libraries/images/{image_id}/")
    missing = client.post(f"/libraries/images/{image_id + 1000}/")
    real_upload = client.get(f"/libraries/subjects/{alices['subject'].pk}/images/")
    missing_upload = client.get("/libraries/subjects/9999/images/")

    assert real.status_code == missing.status_code == 405
    assert real_upload.status_code == missing_upload.status_code == 405


def test_charlie_does_not_see_the_image_bytes(client, alices, charlie):
    client.force_login(charlie)

    response = client.get(alices["image"].get_absolute_url())

    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")


def test_a_viewer_sees_the_library_subjects_and_images(client, alices, bob):
    client.force_login(bob)

    assert "@Mia" in client.get(alices["library"].get_absolute_url()).content.decode()
    assert client.get(alices["subject"].get_absolute_url()).status_code == 200
    assert client.get(alices["image"].get_absolute_url()).status_code == 200
    assert client.get(alices["image"].get_thumbnail_url()).status_code == 200


def test_a_viewer_is_not_offered_editing(client, alices, bob):
    client.force_login(bob)

    html = client.get(alices["library"].get_absolute_url()).content.decode()

    assert "New subject" not in html and "Quick edit" not in html and "Sharing" not in html


def test_a_viewer_gets_the_403_page_on_every_change(client, alices, bob):
    client.force_login(bob)
    library, subject, image = alices["library"], alices["subject"], alices["image"]

    changes = [
        (reverse("library:subject_edit", args=[subject.pk]), {"name": "X", "kind": "style"}),
        (reverse("library:subject_delete", args=[subject.pk]), {}),
        (reverse("library:new_subject", args=[library.pk]), {"name": "X", "kind": "style"}),
        (reverse("library:upload", args=[subject.pk]), {"images": [upload(make_png(300, 300))]}),
        (reverse("library:image_delete", args=[image.pk]), {}),
        (reverse("library:rename", args=[library.pk]), {"name": "X"}),
        (reverse("library:share", args=[library.pk]), {"username": "bob", "role": "editor"}),
    ]
    for url, data in changes:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "You can’t do that here" in response.content.decode()
    assert subject.images.count() == 1 and Subject.objects.get().name == "Mia"


def test_an_editor_may_change_subjects_but_not_share_or_delete_the_library(client, alices, bob):
    share = alices["share"]
    share.role = "editor"
    share.save()
    client.force_login(bob)
    library, subject = alices["library"], alices["subject"]

    edited = client.post(
        reverse("library:subject_edit", args=[subject.pk]), {"name": "Hana", "kind": "style"}
    )
    sharing = client.post(
        reverse("library:share", args=[library.pk]), {"username": "charlie", "role": "viewer"}
    )
    deleting = client.post(reverse("library:delete", args=[library.pk]))

    assert edited.status_code == 302 and Subject.objects.get().name == "Hana"
    assert sharing.status_code == 403 and deleting.status_code == 403


def test_project_members_see_the_libraries_the_project_uses(client, alice, charlie):
    library = make_library(owner=alice)
    image = make_subject_image(subject=make_subject(library=library))
    project = make_project(owner=alice)
    project.libraries.add(library)
    add_member(project, charlie, "viewer")
    client.force_login(charlie)

    assert client.get(library.get_absolute_url()).status_code == 200
    assert client.get(image.get_absolute_url()).status_code == 200
    assert client.post(reverse("library:upload", args=[image.subject_id])).status_code == 403


def test_leaving_the_project_takes_the_library_away_again(client, alice, charlie):
    library = make_library(owner=alice)
    project = make_project(owner=alice)
    project.libraries.add(library)
    add_member(project, charlie, "editor").delete()
    client.force_login(charlie)

    assert client.get(library.get_absolute_url()).status_code == 404
