"""Review statuses in Chromium: an editor asks for changes on a shot and approves
another; a second member's open board shows the badges and the progress as they change,
without a reload, and their bell counts the notifications."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from generations.models import Generation
from projects.models import ProjectMembership
from review import statuses
from storyboards.models import Take
from tests.browser.threads import off_the_browser_thread
from tests.conftest import screenshot
from tests.factories import PASSWORD
from tests.generations.gallery_factories import make_generation, make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take

pytestmark = pytest.mark.browser


@pytest.fixture
def board(alice, bob):
    """Alice's board of three shots; bob, an editor, made the takes of the first two."""
    project = make_project(alice, "Harbour")
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    storyboard = make_storyboard(project)
    shots = make_shots(storyboard, 3)
    for shot in shots[:2]:
        generation = make_generation(project, shot.prompt)
        Generation.objects.filter(pk=generation.pk).update(created_by=bob)
        Take.objects.create(shot=shot, generation=generation)
    make_take(shots[2])
    return storyboard


def logged_in(chromium_browser, live_studio, username: str):
    context = chromium_browser.new_context(
        base_url=live_studio.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    return context, page


def set_status(page, name: str) -> None:
    page.get_by_label("Review status").select_option(label=name)
    page.get_by_role("button", name="Set status").click()


def test_a_status_set_by_one_editor_appears_live_on_another_members_board(
    chromium_browser, live_studio, board
):
    first, second, _ = board.shots.all()
    alice_context, alice = logged_in(chromium_browser, live_studio, "alice")
    bob_context, bob = logged_in(chromium_browser, live_studio, "bob")
    try:
        bob.goto(board.get_absolute_url())
        expect(bob.locator(".shot-panel [data-live-status]")).to_have_text("Live")
        expect(bob.locator(f"#review-progress-{board.pk}")).to_contain_text("0 of 3 approved")
        expect(bob.locator("#notifications-count")).to_be_hidden()
        feed = bob_context.new_page()
        feed.goto(board.project.get_absolute_url())
        feed.get_by_role("link", name="Activity").click()
        expect(feed.locator("[data-live-status]")).to_have_text("Live")

        alice.goto(second.get_absolute_url())
        set_status(alice, "Changes requested")
        expect(alice.locator(f"#shot-{second.pk}-review-state")).to_contain_text(
            "Changes requested"
        )
        expect(alice.locator(f"#shot-{second.pk}-review-state")).to_contain_text("by alice")

        # Bob's board, untouched since it loaded: the tile's badge changes by itself.
        badge = bob.locator(f"#shot-{second.pk}-review")
        expect(badge).to_have_text("Review status: Changes requested")
        expect(bob.locator("#notifications-count")).to_have_text("1 unread")

        alice.goto(first.get_absolute_url())
        set_status(alice, "Approved")
        expect(bob.locator(f"#review-progress-{board.pk}")).to_contain_text("1 of 3 approved")
        expect(bob.locator(f"#shot-{first.pk}-review-state")).to_contain_text("Approved")
        expect(bob.locator(f"#shot-{first.pk}-review-state")).to_contain_text("by alice")
        expect(bob.locator("#notifications-count")).to_have_text("2 unread")
        screenshot(bob, "review-status-live-board")
        screenshot(alice, "review-status-editor-panel")
        # The feed, open in another tab, has both lines, newest first.
        lines = feed.locator("#activity-list li")
        expect(lines.first).to_contain_text("alice set Harbour at dawn, shot 1 to Approved")
        expect(lines.nth(1)).to_contain_text("shot 2 to Changes requested")
        screenshot(feed, "review-status-activity-feed")

        bob.get_by_role("link", name="Notifications").click()
        expect(
            bob.get_by_text("alice set Harbour at dawn, shot 2 to Changes requested")
        ).to_be_visible()
        screenshot(bob, "review-status-notifications")
        bob.get_by_role("button", name="Mark all read").click()
        expect(bob.get_by_text("All read")).to_be_visible()
        expect(bob.locator("#notifications-count")).to_be_hidden()
    finally:
        alice_context.close()
        bob_context.close()


def test_the_board_filter_keeps_its_choice_in_the_address(chromium_browser, live_studio, board):
    first, second, third = board.shots.all()
    approved = next(s for s in statuses.statuses_for(board.project) if s.is_approved)
    off_the_browser_thread(
        statuses.set_status, shot=third, status=approved, user=board.project.owner
    )
    context, page = logged_in(chromium_browser, live_studio, "alice")
    try:
        page.goto(board.get_absolute_url())
        page.get_by_label("Filter by status").select_option(label="Approved (1)")

        expect(page.locator(f'li[data-shot="{first.pk}"]')).to_be_hidden()
        expect(page.locator(f'li[data-shot="{third.pk}"]')).to_be_visible()
        assert f"status={approved.pk}" in page.url
        screenshot(page, "review-status-filtered-board")

        page.go_back()
        expect(page.locator(f'li[data-shot="{first.pk}"]')).to_be_visible()
        page.go_forward()
        expect(page.locator(f'li[data-shot="{first.pk}"]')).to_be_hidden()
    finally:
        context.close()


def test_the_statuses_page_renames_and_recolours(chromium_browser, live_studio, board):
    context, page = logged_in(chromium_browser, live_studio, "alice")
    try:
        page.goto(board.get_absolute_url())
        page.get_by_role("link", name="Review statuses").click()
        page.get_by_role("heading", name="Review statuses").wait_for()
        page.get_by_label("Name of Draft").fill("Sketch")
        page.get_by_label("Colour of In review").fill("#ff00aa")
        page.get_by_label("New status", exact=True).fill("Final <cut>")
        page.get_by_role("button", name="Save statuses").click()
        expect(page.get_by_text("Review statuses saved.")).to_be_visible()
        expect(page.get_by_label("Name of Sketch")).to_have_value("Sketch")
        expect(page.get_by_label("Name of Final <cut>")).to_have_value("Final <cut>")
        expect(page.get_by_label("Colour of In review")).to_have_value("#ff00aa")
        screenshot(page, "review-statuses-page")

        page.get_by_label("Delete Sketch").check()
        page.get_by_label("Approved counts as approved").uncheck()
        page.get_by_role("button", name="Save statuses").click()
        expect(page.get_by_role("alert")).to_contain_text("Exactly one status counts as approved.")
        screenshot(page, "review-statuses-page-error")
        expect(page.get_by_label("Name of Sketch")).to_be_visible()
    finally:
        context.close()
