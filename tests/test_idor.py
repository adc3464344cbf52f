"""The IDOR matrix: every URL that takes an id answers a stranger with 404.

It enumerates the URL patterns themselves, so a new page or action is covered the day
it is added. A new kind of id in a URL fails `test_every_id_in_a_url_is_known` until
it is added to the `world` fixture (tests/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Public on purpose: the login flow, the simulator's API (keys), callbacks (signatures),
# the admin (its own login and staff check) and review links' guest pages (their token;
# `test_a_review_link_opens_nothing_beyond_what_it_shares` below).
PUBLIC_PREFIXES = ("accounts/", "simulator/", "callbacks/", "admin/", "review/")
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_routes(entry, route))
        elif isinstance(entry, URLPattern) and PARAMETER.search(route):
            found.append(route)
    return found


ROUTES = [r for r in _routes(get_resolver()) if not r.startswith(PUBLIC_PREFIXES)]


# URL parameters that are not ids, with a value that names something that exists.
NOT_IDS = {"variant": "file", "field": "prompt", "fmt": "edl"}


def test_every_id_in_a_url_is_known(world):
    names = {name for route in ROUTES for name in PARAMETER.findall(route)} - set(NOT_IDS)

    assert names <= set(world), f"add these to the IDOR world: {names - set(world)}"


def test_the_matrix_covers_the_main_screens():
    assert "projects/<int:project_id>/" in ROUTES
    assert "libraries/images/<int:image_id>/" in ROUTES
    assert any("generation_id" in route for route in ROUTES)


@pytest.mark.parametrize("route", ROUTES)
def test_a_stranger_gets_404_for_every_id(client, charlie, world, route):
    values = {**world, **NOT_IDS}
    path = "/" + PARAMETER.sub(lambda m: str(values[m.group(1)]), route)
    client.force_login(charlie)

    answers = {method: getattr(client, method)(path).status_code for method in ("get", "post")}

    # 405 is fine for the method a view does not take: it is answered before any lookup.
    assert set(answers.values()) <= {404, 405}, answers
    assert 404 in answers.values(), answers


def test_the_matrix_covers_review_statuses_and_the_activity_feed():
    assert "projects/<int:project_id>/shots/<int:shot_id>/review-status/" in ROUTES
    assert "projects/<int:project_id>/review-statuses/" in ROUTES
    assert "projects/<int:project_id>/activity/" in ROUTES


# --- Review links: the token is the key, and it opens only what its link shares ----------

GUEST_ROUTES = [r for r in _routes(get_resolver()) if r.startswith("review/")]


def test_the_guest_routes_are_found():
    assert "review/<str:token>/" in GUEST_ROUTES
    assert any("shot_id" in route for route in GUEST_ROUTES)


@pytest.mark.parametrize("route", GUEST_ROUTES)
def test_a_review_link_opens_nothing_beyond_what_it_shares(client, alice, world, route):
    from review.links import create_link
    from storyboards.models import Storyboard

    # A link to another storyboard of the same project: world's shot is not on it.
    other = Storyboard.objects.create(project_id=world["project_id"], title="Other")
    link = create_link(storyboard=other, user=alice, allow_download=True)
    for token in ("not-a-token", link.token):
        if token == link.token and "shot_id" not in route:
            continue  # the link's own pages: tests/review/test_guest.py
        values = {**world, **NOT_IDS, "token": token}
        path = "/" + PARAMETER.sub(lambda m, v=values: str(v[m.group(1)]), route)

        answers = {method: getattr(client, method)(path).status_code for method in ("get", "post")}

        assert set(answers.values()) <= {404, 405}, (path, answers)
        assert 404 in answers.values(), (path, answers)


def test_the_matrix_covers_comments():
    assert "projects/<int:project_id>/shots/<int:shot_id>/comments/" in ROUTES
    assert "projects/<int:project_id>/generations/<int:generation_id>/comments/" in ROUTES
    assert "projects/<int:project_id>/comments/<int:comment_id>/resolve/" in ROUTES
    assert "projects/<int:project_id>/comments/<int:comment_id>/reopen/" in ROUTES


def test_the_matrix_covers_the_hand_off():
    board = "projects/<int:project_id>/storyboards/<int:storyboard_id>/"
    for route in (
        "handoff/",
        "timeline/<str:fmt>/",
        "edited-timeline/",
        "edited-timeline/apply/",
        "shot-list.csv",
        "shot-list/",
        "shot-list/apply/",
    ):
        assert board + route in ROUTES
