"""Subjects: names usable as @Name, quick edit on the grid, the subject page, deletion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from library.models import Subject, SubjectImage
from storyboards.templatetags.subject_usage import subject_usage
from tests.factories import make_png
from tests.library.factories import make_library, make_subject, make_subject_image, upload

HX = {"HX-Request": "true"}


def new_subject(client, library, **data):
    fields = {"name": "Mia", "kind": "character", "description": "", **data}
    return client.post(reverse("library:new_subject", args=[library.pk]), fields)


@pytest.mark.parametrize("name", ["Mia", "mia_2", "old-man", "张伟", "ハナ", "Zoë", "x" * 64])
def test_names_that_work_as_mentions_are_accepted(client, alice, name):
    library = make_library(owner=alice)
    client.force_login(alice)

    new_subject(client, library, name=name)

    assert Subject.objects.get().name == name


@pytest.mark.parametrize("name", ["Mia Rose", "Mia!", "x" * 65, "", "a.b", "名 前"])
def test_names_that_cannot_be_mentioned_are_refused_with_the_rule(client, alice, name):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = new_subject(client, library, name=name)

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "Names can use letters, digits, _ and - (no spaces), up to 64 characters." in html
        or "This field is required." in html
    )
    assert not Subject.objects.exists()


def test_a_leading_at_sign_is_dropped(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    new_subject(client, library, name="@Mia")

    assert Subject.objects.get().name == "Mia"


def test_names_are_unique_in_a_library_ignoring_case(client, alice):
    library = make_library(owner=alice)
    make_subject(library=library, name="Mia")
    client.force_login(alice)

    response = new_subject(client, library, name="MIA")

    assert "“MIA” is already a subject in this library" in response.content.decode()
    assert Subject.objects.count() == 1


def test_the_same_name_may_be_used_in_another_library(client, alice):
    make_subject(library=make_library(owner=alice, name="One"), name="Mia")
    other = make_library(owner=alice, name="Two")
    client.force_login(alice)

    new_subject(client, other, name="mia")

    assert Subject.objects.filter(library=other).exists()


def test_creating_a_subject_without_javascript_uploads_its_images(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:new_subject", args=[library.pk]),
        {
            "name": "Mia",
            "kind": "character",
            "images": [upload(make_png(300, 300)), upload(b"GIF89a...", "beach.gif")],
        },
    )

    subject = Subject.objects.get()
    assert subject.images.count() == 1
    assert "beach.gif: GIF is not supported. Use PNG, JPEG or WebP." in response.content.decode()


def test_creating_a_subject_with_its_images_in_one_htmx_request_opens_it(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:new_subject", args=[library.pk]),
        {"name": "Mia", "kind": "scene", "images": [upload(make_png(300, 300))]},
        headers=HX,
    )

    subject = Subject.objects.get()
    assert subject.kind == "scene" and subject.images.count() == 1
    assert response["HX-Redirect"] == subject.get_absolute_url()


def test_a_new_subject_whose_every_image_is_refused_is_not_created(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:new_subject", args=[library.pk]),
        {"name": "Mia", "kind": "character", "images": [upload(b"GIF89a...", "beach.gif")]},
        headers=HX,
    )

    assert not Subject.objects.exists()
    assert "nothing was saved yet" in response.content.decode()
    refused = json.loads(response["HX-Trigger-After-Swap"])["uploads-refused"]
    assert refused == [
        {"name": "beach.gif", "message": "GIF is not supported. Use PNG, JPEG or WebP."}
    ]


def test_a_new_subject_with_some_images_refused_keeps_the_good_ones_and_says_which(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:new_subject", args=[library.pk]),
        {
            "name": "Mia",
            "kind": "character",
            "images": [upload(make_png(300, 300)), upload(b"GIF89a...", "beach.gif")],
        },
        headers=HX,
    )

    subject = Subject.objects.get()
    saved = json.loads(response["HX-Trigger-After-Swap"])["subject-saved"]
    assert subject.images.count() == 1
    assert saved["url"] == subject.get_absolute_url()
    assert [r["name"] for r in saved["rejected"]] == ["beach.gif"]


def test_a_fourth_image_for_a_new_subject_is_refused_and_three_are_kept(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]
    images = [upload(make_png(300, 300, color=c), f"{i}.png") for i, c in enumerate(colours)]

    client.post(
        reverse("library:new_subject", args=[library.pk]),
        {"name": "Mia", "kind": "character", "images": images},
    )

    assert Subject.objects.get().images.count() == 3


def test_a_new_subject_made_from_a_project_goes_back_to_it(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:new_subject", args=[library.pk]),
        {
            "name": "Mia",
            "kind": "character",
            "next": "/projects/7/",
            "images": [upload(make_png(300, 300))],
        },
    )

    assert response.status_code == 302 and response["Location"] == "/projects/7/"


def test_a_next_address_on_another_site_is_ignored(client, alice):
    library = make_library(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("library:new_subject", args=[library.pk]) + "?next=https://evil.example/",
        {"name": "Mia", "kind": "character", "next": "https://evil.example/"},
    )

    assert response["Location"] == Subject.objects.get().get_absolute_url()


def test_quick_edit_shows_the_card_form(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    html = client.get(
        reverse("library:subject_edit", args=[subject.pk]), headers=HX
    ).content.decode()

    assert f'id="subject-{subject.pk}"' in html
    assert "Save subject" in html and "<html" not in html
    assert "data-cancel" in html


def test_valid_quick_edit_swaps_in_the_updated_card(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    response = client.post(
        reverse("library:subject_edit", args=[subject.pk]),
        {"name": "Hana", "kind": "style", "description": "Watercolour"},
        headers=HX,
    )

    html = response.content.decode()
    subject.refresh_from_db()
    assert (subject.name, subject.kind, subject.description) == ("Hana", "style", "Watercolour")
    assert "@Hana" in html and "Watercolour" in html and "<form" not in html


def test_invalid_quick_edit_rerenders_the_card_form_with_errors(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    response = client.post(
        reverse("library:subject_edit", args=[subject.pk]),
        {"name": "two words", "kind": "character"},
        headers=HX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Names can use letters, digits" in html
    assert 'class="subject-card editing"' in html
    subject.refresh_from_db()
    assert subject.name == "Mia"


def test_cancelling_quick_edit_returns_the_card(client, alice):
    subject = make_subject(library=make_library(owner=alice), name="Mia")
    client.force_login(alice)

    html = client.get(
        reverse("library:subject_card", args=[subject.pk]), headers=HX
    ).content.decode()

    assert "@Mia" in html and "<form" not in html


def test_renaming_keeps_the_subject_and_its_images(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    image = make_subject_image(subject=subject)
    client.force_login(alice)

    client.post(
        reverse("library:subject_edit", args=[subject.pk]), {"name": "Hana", "kind": "character"}
    )

    image.refresh_from_db()
    assert image.subject.name == "Hana"


def test_the_subject_page_shows_images_details_and_an_empty_usage(client, alice):
    subject = make_subject(library=make_library(owner=alice), name="Mia")
    subject.description = "Red coat"
    subject.save()
    image = make_subject_image(subject=subject)
    client.force_login(alice)

    html = client.get(subject.get_absolute_url()).content.decode()

    assert image.get_absolute_url() in html
    assert "Red coat" in html and "@Mia" in html
    assert "Not used yet" in html
    assert subject_usage(subject) == []


def test_deleting_a_subject_asks_first_then_removes_it(client, alice):
    subject = make_subject(library=make_library(owner=alice), name="Mia")
    make_subject_image(subject=subject)
    client.force_login(alice)

    confirm = client.get(reverse("library:subject_delete", args=[subject.pk]))
    deleted = client.post(reverse("library:subject_delete", args=[subject.pk]))

    assert "Delete @Mia?" in confirm.content.decode()
    assert "Past generations keep the images" in confirm.content.decode()
    assert deleted["Location"] == subject.library.get_absolute_url()
    assert not Subject.objects.exists() and not SubjectImage.objects.exists()


def test_deleting_a_subject_removes_its_stored_files(
    client, alice, private_media, django_capture_on_commit_callbacks
):
    subject = make_subject(library=make_library(owner=alice))
    image = make_subject_image(subject=subject)
    stored = Path(private_media) / image.file.name
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("library:subject_delete", args=[subject.pk]))

    assert not stored.exists()


def test_removing_one_image_keeps_the_others(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    first = make_subject_image(subject=subject, color=(1, 1, 1))
    second = make_subject_image(subject=subject, color=(2, 2, 2))
    client.force_login(alice)

    client.post(reverse("library:image_delete", args=[first.pk]))

    assert list(subject.images.all()) == [second]


def test_a_subject_page_lists_the_shots_and_generations_that_use_it(client, alice):
    from generations.models import Generation, Mode
    from providers.models import ProviderConnection
    from storyboards.models import Shot, Storyboard
    from tests.library.factories import make_project

    library = make_library(owner=alice)
    mia = make_subject(library=library, name="Mia")
    make_subject(library=library, name="Mia2")
    project = make_project(owner=alice)
    project.libraries.add(library)
    board = Storyboard.objects.create(project=project, title="Harbour")
    Shot.objects.create(storyboard=board, position=0, prompt="@Mia on the pier")
    Shot.objects.create(storyboard=board, position=1, prompt="@Mia2 alone")
    connection = ProviderConnection.objects.create(name="Sim", kind="simulator")
    used = Generation.objects.create(
        project=project,
        connection=connection,
        mode=Mode.REFERENCE_TO_IMAGE,
        model="viduq2",
        prompt="@Mia waves",
        mentions={"Mia": {"subject_id": mia.pk, "name": "Mia"}},
    )
    client.force_login(alice)

    labels = [use.label for use in subject_usage(mia)]
    html = client.get(reverse("library:subject_delete", args=[mia.pk])).content.decode()

    assert labels == ["Harbour, shot 1", f"Generation #{used.pk}"]
    assert "Harbour, shot 1" in html and f"Generation #{used.pk}" in html
