"""The Content-Security-Policy: sent with every page, and pages it does not have to
loosen (no inline script, style or event handler anywhere)."""

from __future__ import annotations

import re

import pytest

from tests.test_idor import NOT_IDS, PARAMETER
from tests.test_security_sweep import PAGES

# A JSON data block (json_script) is not run, so the policy does not apply to it.
INLINE_SCRIPT = re.compile(r'<script\b(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_a_page_carries_a_policy_with_nothing_inline_allowed(client, alice):
    client.force_login(alice)

    policy = client.get("/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.parametrize("route", PAGES)
def test_no_page_has_inline_script_style_or_handler(client, alice, world, route):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    values = {**world, **NOT_IDS}
    path = "/" + PARAMETER.sub(lambda m: str(values[m.group(1)]), route)

    response = client.get(path)

    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode()
    assert response.has_header("Content-Security-Policy")
    assert not INLINE_SCRIPT.search(html), path
    assert not INLINE_STYLE.search(html), (path, INLINE_STYLE.search(html))
    assert not HANDLER.search(html), (path, HANDLER.search(html))
