"""The IDOR matrix: every URL that takes an id answers a stranger with 404.

It enumerates the URL patterns themselves, so a new page or action is covered the day
it is added. A new kind of id in a URL fails `test_every_id_in_a_url_is_known` until
it is added to the `world` fixture (tests/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Public on purpose: the login flow, the simulator's API (keys), callbacks (signatures)
# and the admin (its own login and staff check).
PUBLIC_PREFIXES = ("accounts/", "simulator/", "callbacks/", "admin/")
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
NOT_IDS = {"variant": "file", "field": "prompt"}


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
