"""Security sweeps over the whole URL map and a full generation cycle."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.test_idor import NOT_IDS, PARAMETER

# The provider-facing APIs authenticate by API key (the simulator) or by signature
# (callbacks); a browser's CSRF token means nothing to them.
CSRF_EXEMPT_ALLOWED = ("simulator/", "callbacks/")


def _views(resolver: URLResolver, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_views(entry, route))
        elif isinstance(entry, URLPattern):
            found.append((route, entry.callback))
    return found


def test_only_the_provider_facing_apis_skip_csrf():
    exempt = [
        route for route, view in _views(get_resolver()) if getattr(view, "csrf_exempt", False)
    ]

    assert exempt, "the callback view must be exempt"
    assert all(route.startswith(CSRF_EXEMPT_ALLOWED) for route in exempt), exempt
    assert any(route.startswith("callbacks/") for route in exempt)


PAGES = [
    route
    for route, _ in _views(get_resolver())
    if not route.startswith(("simulator/", "callbacks/", "admin/"))
]


@pytest.mark.parametrize("route", PAGES)
def test_every_post_form_on_every_page_carries_a_csrf_token(client, alice, world, route):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    values = {**world, **NOT_IDS}
    path = "/" + PARAMETER.sub(lambda m: str(values[m.group(1)]), route)

    response = client.get(path)

    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode()
    # htmx requests carry the token from hx-headers on <body>; plain posts need the field.
    assert "X-CSRFToken" in html or "<body" not in html
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
        opening = form[: form.index(">")].lower()
        if 'method="post"' in opening:
            assert "csrfmiddlewaretoken" in form, (path, opening)
