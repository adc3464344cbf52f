"""Two members on the same shot in Chromium: a pinned comment on a take appears live on
the other's page with its pin, and its resolution comes back live."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from projects.models import ProjectMembership
from review.models import Comment
from tests.factories import PASSWORD
from tests.generations.gallery_factories import make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-comments")


@pytest.fixture
def shot(alice, bob, live_studio):
    project = make_project(alice, "Harbour")
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    storyboard = make_storyboard(project)
    first, _ = make_shots(storyboard, 2)
    make_take(first)
    return first


def open_tab(chromium_browser, live_studio, username: str, path: str):
    context = chromium_browser.new_context(
        base_url=live_studio.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    page.goto(path)
    expect(page.locator("#shot-panel [data-live-status]")).to_have_text("Live")
    return page


def look(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.locator("#shot-panel").screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_pinned_comment_appears_live_and_its_resolution_comes_back(
    chromium_browser, live_studio, shot
):
    alice = open_tab(chromium_browser, live_studio, "alice", shot.get_absolute_url())
    bob = open_tab(chromium_browser, live_studio, "bob", shot.get_absolute_url())

    # Alice pins a point on the take's picture and writes, mentioning bob.
    stage = alice.locator("[data-pin-stage]:not([hidden]) [data-pin-layer]")
    stage.click(position={"x": 60, "y": 40})
    expect(alice.locator(".pin.is-pending")).to_have_text("1")
    comment_box = alice.get_by_label("Comment", exact=True)
    comment_box.fill("Changes: the boat should be red @b")
    expect(alice.get_by_role("option", name="@bob")).to_be_visible()
    comment_box.press("Enter")
    expect(comment_box).to_have_value("Changes: the boat should be red @bob ")
    look(alice, "1-alice-composing")
    alice.get_by_role("button", name="Post comment").click()

    # Bob sees it without reloading, with its pin on the picture and the mention marked.
    thread = bob.locator("[data-comment-thread]", has_text="the boat should be red")
    expect(thread).to_be_visible()
    expect(thread.locator(".mention")).to_have_text("@bob")
    expect(bob.locator("[data-pin-layer] .pin")).to_have_text("1")
    expect(bob.locator(f"#shot-{shot.pk}-comments")).to_have_text(re.compile("1 comment · 1 open"))
    comment = Comment.objects.get()
    assert comment.pin_x is not None and 0 < comment.pin_x < 1
    # Only one copy on alice's page, though her answer and the push both brought it.
    expect(alice.locator("[data-comment-thread]")).to_have_count(1)
    thread.hover()
    expect(bob.locator(".pin.is-hovered")).to_have_count(1)
    look(bob, "2-bob-sees-it-live")

    thread.get_by_role("button", name="Resolve").click()

    # Alice sees it resolved: folded away, back under "Show resolved".
    alice_thread = alice.locator("[data-comment-thread]", has_text="the boat should be red")
    expect(alice_thread).to_be_hidden()
    expect(alice.locator(f"#shot-{shot.pk}-comments")).to_have_text("1 comment")
    alice.get_by_label("Show resolved").check()
    expect(alice_thread).to_be_visible()
    expect(alice_thread).to_contain_text("Resolved by bob")
    expect(alice_thread.get_by_role("button", name="Reopen")).to_be_visible()
    look(alice, "3-alice-sees-it-resolved")
