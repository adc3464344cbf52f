"""Reference images are served privately: right type, private caching, no sniffing."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from tests.factories import body_of
from tests.library.factories import make_library, make_subject, make_subject_image


def read(response) -> bytes:
    return body_of(response)


def test_an_image_is_served_with_its_type_and_private_cache_headers(client, alice):
    image = make_subject_image(subject=make_subject(library=make_library(owner=alice)))
    client.force_login(alice)

    response = client.get(image.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response["ETag"] == f'"{image.sha256}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(BytesIO(read(response))).size == (300, 200)


def test_the_thumbnail_is_a_webp(client, alice):
    image = make_subject_image(subject=make_subject(library=make_library(owner=alice)))
    client.force_login(alice)

    response = client.get(image.get_thumbnail_url())

    assert response["Content-Type"] == "image/webp"
    assert response["ETag"] != f'"{image.sha256}"'
    assert Image.open(BytesIO(read(response))).format == "WEBP"


def test_a_known_etag_answers_not_modified(client, alice):
    image = make_subject_image(subject=make_subject(library=make_library(owner=alice)))
    client.force_login(alice)

    response = client.get(image.get_absolute_url(), headers={"If-None-Match": f'"{image.sha256}"'})

    assert response.status_code == 304


def test_an_anonymous_visitor_is_sent_to_log_in(client, alice):
    image = make_subject_image(subject=make_subject(library=make_library(owner=alice)))

    response = client.get(image.get_absolute_url())

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_range_request_gets_just_those_bytes(client, alice):
    image = make_subject_image(subject=make_subject(library=make_library(owner=alice)))
    client.force_login(alice)
    whole = read(client.get(image.get_absolute_url()))

    response = client.get(image.get_absolute_url(), headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert read(response) == whole[10:20]


def test_a_range_past_the_end_is_refused(client, alice):
    image = make_subject_image(subject=make_subject(library=make_library(owner=alice)))
    client.force_login(alice)

    response = client.get(image.get_absolute_url(), headers={"Range": "bytes=999999999-"})

    assert response.status_code == 416
