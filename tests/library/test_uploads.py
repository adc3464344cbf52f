"""Uploading reference images to a subject, with and without JavaScript."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from PIL import ImageFile

from library import services
from library.models import SubjectImage
from tests.factories import make_image, make_png
from tests.library.factories import make_library, make_subject, make_subject_image, upload
from tests.library.images import HTML_PAYLOAD, png_bomb, png_html_polyglot


def post_images(client, subject, *files, json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        reverse("library:upload", args=[subject.pk]), {"images": list(files)}, headers=headers
    )


def test_several_files_upload_at_once_and_bad_ones_are_explained_next_to_the_field(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    response = post_images(
        client,
        subject,
        upload(make_png(300, 300, color=(1, 2, 3)), "front.png"),
        upload(make_image(300, 300, fmt="GIF"), "beach.gif"),
        upload(make_png(300, 300, color=(9, 9, 9)), "side.png"),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert subject.images.count() == 2
    assert "beach.gif: GIF is not supported. Use PNG, JPEG or WebP." in html
    assert 'class="upload-item rejected"' in html


def test_an_upload_with_only_good_files_goes_back_to_the_subject(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    response = post_images(client, subject, upload(make_png(300, 300)))

    assert response.status_code == 302
    assert response["Location"] == subject.get_absolute_url()


def test_javascript_uploads_get_a_json_answer_per_file(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    good = post_images(client, subject, upload(make_png(300, 300), "ok.png"), json=True)
    bad = post_images(client, subject, upload(b"<svg/>", "evil.png"), json=True)

    assert good.json()["saved"][0]["name"] == "ok.png"
    assert bad.json() == {
        "saved": [],
        "rejected": [
            {"name": "evil.png", "message": "SVG is not supported. Use PNG, JPEG or WebP."}
        ],
    }


def test_a_fourth_image_is_refused_and_the_first_three_are_kept(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    for color in [(1, 1, 1), (2, 2, 2), (3, 3, 3)]:
        make_subject_image(subject=subject, color=color)
    client.force_login(alice)

    response = post_images(client, subject, upload(make_png(300, 300, color=(4, 4, 4))), json=True)

    assert "at most 3 reference images" in response.json()["rejected"][0]["message"]
    assert subject.images.count() == 3


def test_a_duplicate_upload_is_recognised(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    content = make_png(300, 300, color=(50, 60, 70))
    client.force_login(alice)
    post_images(client, subject, upload(content, "a.png"))

    response = post_images(client, subject, upload(content, "copy-of-a.png"), json=True)

    assert response.json()["rejected"] == [
        {"name": "copy-of-a.png", "message": "Already in this subject."}
    ]
    assert subject.images.count() == 1


def test_stored_files_get_server_made_names_in_the_library_folder(client, alice, private_media):
    library = make_library(owner=alice)
    subject = make_subject(library=library)
    client.force_login(alice)

    response = post_images(
        client, subject, upload(make_png(300, 300), "../../etc/passwd .png"), json=True
    )

    image = SubjectImage.objects.get()
    assert response.json()["saved"][0]["name"] == "passwd .png"
    assert image.original_name == "passwd .png"
    assert image.file.name.startswith(f"libraries/{library.pk}/")
    assert "passwd" not in image.file.name and ".." not in image.file.name
    assert (Path(private_media) / image.file.name).is_file()
    assert (Path(private_media) / image.thumbnail.name).is_file()


def test_a_unicode_filename_is_shown_but_not_used_as_the_stored_name(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    post_images(client, subject, upload(make_png(300, 300), "花子\u202eｐｎｇ.png"))

    image = SubjectImage.objects.get()
    assert image.original_name == "花子ｐｎｇ.png"  # control characters dropped
    assert image.file.name.isascii()


def test_the_polyglot_is_stored_without_its_html(client, alice, private_media):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    post_images(client, subject, upload(png_html_polyglot(), "cat.png"))

    stored = (Path(private_media) / SubjectImage.objects.get().file.name).read_bytes()
    assert HTML_PAYLOAD not in stored and b"<script" not in stored


def test_hostile_files_each_get_a_message_and_never_a_server_error(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)
    hostile = {
        "bomb.png": png_bomb(),
        "truncated.png": make_png(400, 400)[:200],
        "renamed-gif.png": make_image(300, 300, fmt="GIF"),
        "page.png": b"<html><script>alert(1)</script></html>",
        "vector.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "tiny.png": make_png(20, 20),
        "banner.png": make_png(2000, 100),
        "empty.png": b"",
    }

    response = post_images(client, subject, *[upload(c, n) for n, c in hostile.items()], json=True)

    assert response.status_code == 200
    rejected = {r["name"]: r["message"] for r in response.json()["rejected"]}
    assert set(rejected) == set(hostile)
    assert all(message.endswith(".") for message in rejected.values())
    assert not subject.images.exists()


def test_an_upload_with_no_files_asks_for_some(client, alice):
    subject = make_subject(library=make_library(owner=alice))
    client.force_login(alice)

    response = post_images(client, subject)

    assert response.status_code == 200
    assert "No reference images yet" in response.content.decode()


def test_a_full_subject_refuses_an_upload_before_decoding_it(client, alice, monkeypatch):
    subject = make_subject(library=make_library(owner=alice))
    for color in [(1, 1, 1), (2, 2, 2), (3, 3, 3)]:
        make_subject_image(subject=subject, color=color)
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image))
    client.force_login(alice)

    response = post_images(client, subject, upload(make_png(300, 300, color=(4, 4, 4))), json=True)

    assert "at most 3 reference images" in response.json()["rejected"][0]["message"]
    assert decoded == []


@pytest.mark.django_db(transaction=True)
def test_at_most_two_uploads_are_decoded_at_once_in_a_process(alice, monkeypatch, settings):
    settings.STUDIO_IMAGE_WORKERS = 2
    services._image_turns.cache_clear()
    services._image_threads.cache_clear()
    library = make_library(owner=alice)
    subjects = [make_subject(library=library, name=f"Poster{n}") for n in range(6)]
    # Threads inside Pillow's load() right now (a load may call load() again within).
    depth, most, lock = Counter(), [], threading.Lock()
    real_load = ImageFile.ImageFile.load

    def slow_load(image):
        me = threading.get_ident()
        with lock:
            depth[me] += 1
            most.append(sum(1 for n in depth.values() if n))
        time.sleep(0.05)  # long enough for the other threads to pile up behind the turns
        try:
            return real_load(image)
        finally:
            with lock:
                depth[me] -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", slow_load)

    def add(subject):
        try:
            files = [upload(make_png(300, 300, color=(subject.pk % 255, 0, 0)))]
            return services.add_subject_images(subject=subject, files=files)
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        reports = list(pool.map(add, subjects))

    services._image_turns.cache_clear()
    services._image_threads.cache_clear()
    assert [len(report.saved) for report in reports] == [1] * 6
    assert max(most) == 2
