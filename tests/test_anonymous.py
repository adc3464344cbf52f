"""Every page asks an anonymous visitor to log in, including pages added later."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Views that must answer without a session: the login flow itself, the provider-facing
# APIs (the simulator and callbacks authenticate by key or signature), the admin,
# which has its own login page, and review links' guest pages, opened by their token.
PUBLIC_PREFIXES = (
    "accounts/login/",
    "accounts/setup/",
    "simulator/",
    "callbacks/",
    "admin/",
    "review/",  # review links: a guest's token is the key (tests/review/test_guest.py)
)


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


def _example_path(route: str) -> str:
    path = route.replace("^", "").replace("$", "").replace("\\Z", "")
    for converter, example in (
        ("<int:", "1"),
        ("<uuid:", "00000000-0000-0000-0000-000000000001"),
        ("<slug:", "x"),
        ("<str:", "x"),
        ("<path:", "x"),
        ("<", "1"),
    ):
        while converter in path:
            start = path.index(converter)
            path = path[:start] + example + path[path.index(">", start) + 1 :]
    return "/" + path


PAGES = [r for r in _patterns(get_resolver()) if not r.startswith(PUBLIC_PREFIXES)]


def test_the_route_list_is_not_empty():
    assert "" in PAGES and "accounts/people/" in PAGES


@pytest.mark.parametrize("route", PAGES)
def test_anonymous_visitor_is_sent_to_login(client, alice, route):
    path = _example_path(route)

    response = client.get(path)

    assert response.status_code == 302, path
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
