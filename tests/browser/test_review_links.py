"""Client review links in Chromium: an editor shares a storyboard with a passphrase; a
guest with no account opens it, comments and approves while the editor's board shows both
live; the editor revokes the link and the guest's page stops at once. An expired link is
a 404 like any unknown one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from generations.models import State
from review import statuses
from review.models import ReviewLink
from storyboards.models import Take
from tests.browser.threads import off_the_browser_thread
from tests.conftest import screenshot
from tests.factories import PASSWORD
from tests.generations.gallery_factories import add_output, make_generation, make_project
from tests.storyboards.factories import make_shots, make_storyboard

pytestmark = pytest.mark.browser

COLOURS = [(214, 120, 64), (48, 98, 170), (90, 150, 90)]
TITLES = ["Harbour at dawn", "The lighthouse", "Boats come in"]


@pytest.fixture
def board(alice):
    """Alice's board of three titled shots, each with a kept still of its own colour."""
    storyboard = make_storyboard(make_project(alice, "Harbour"), "Harbour teaser")
    for shot, colour, title in zip(make_shots(storyboard, 3), COLOURS, TITLES, strict=True):
        generation = make_generation(storyboard.project, shot.prompt, state=State.READY)
        add_output(generation, color=colour)
        shot.title = title
        shot.keeper = Take.objects.create(shot=shot, generation=generation)
        shot.save(update_fields=["title", "keeper"])
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


def test_a_guest_reviews_by_link_live_until_the_link_is_revoked(
    chromium_browser, live_studio, board
):
    first, second, _third = board.shots.all()
    editor_context, editor = logged_in(chromium_browser, live_studio, "alice")
    guest_context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        # The editor's board is open on the first shot, live.
        editor.goto(board.get_absolute_url())
        expect(editor.locator(".shot-panel [data-live-status]")).to_have_text("Live")

        sharing = editor_context.new_page()
        sharing.goto(board.get_absolute_url())
        sharing.get_by_role("button", name="Share for review").click()
        sharing.get_by_label("For", exact=True).fill("Ann at Harbour Films")
        sharing.get_by_label("Expires").select_option(label="In 7 days")
        sharing.get_by_label("Passphrase").fill("blue harbour")
        sharing.get_by_label("Allow downloads").check()
        sharing.get_by_role("button", name="Create link").click()
        expect(sharing.get_by_text("Link created.")).to_be_visible()
        expect(sharing.get_by_role("button", name="Copy", exact=True)).to_be_visible()
        address = sharing.locator("#created-url").input_value()
        assert address.startswith(live_studio.url + "/review/")
        screenshot(sharing, "review-links-created")

        # A guest: a browser of their own, no account.
        guest = guest_context.new_page()
        guest.goto(address)
        screenshot(guest, "review-links-guest-passphrase")
        guest.get_by_label("Passphrase").fill("red harbour")
        guest.get_by_role("button", name="Open").click()
        expect(guest.get_by_text("not the one you were given")).to_be_visible()
        guest.get_by_label("Passphrase").fill("blue harbour")
        guest.get_by_role("button", name="Open").click()
        expect(guest.get_by_role("heading", name="Harbour teaser")).to_be_visible()
        screenshot(guest, "review-links-guest-before-name")
        guest.get_by_label("Your name").fill("Ann")
        guest.get_by_role("button", name="Start reviewing").click()
        expect(guest.get_by_text("Reviewing as Ann")).to_be_visible()
        expect(guest.locator("[data-live-status]")).to_have_text("Live")

        shot = guest.locator(f"#shot-{first.pk}")
        shot.get_by_label("Comment").fill("Lovely light. Could the sky be a touch warmer?")
        shot.get_by_role("button", name="Post comment").click()
        expect(shot.locator(".guest-comment-list")).to_contain_text("Could the sky be")
        expect(shot.get_by_label("Comment")).to_have_value("")
        shot.get_by_role("button", name="Approve").click()
        expect(guest.locator(f"#guest-shot-{first.pk}-status")).to_contain_text("Approved")
        expect(guest.locator(f"#guest-shot-{first.pk}-status")).to_contain_text("Ann (guest)")

        # The editor's board, untouched since it loaded, shows both.
        expect(editor.locator("#shot-panel")).to_contain_text("Could the sky be a touch warmer?")
        expect(editor.locator("#shot-panel")).to_contain_text("Ann (guest)")
        expect(editor.locator(f"#shot-{first.pk}-review")).to_contain_text("Approved")
        screenshot(editor, "review-links-editor-board-live")

        # The team's change reaches the guest's open page.
        changes = next(s for s in statuses.statuses_for(board.project) if s.requests_changes)
        off_the_browser_thread(
            statuses.set_status, shot=second, status=changes, user=board.project.owner
        )
        expect(guest.locator(f"#guest-shot-{second.pk}-status")).to_contain_text(
            "Changes requested"
        )
        screenshot(guest, "review-links-guest-reviewing")

        # Revoked: the open page is told, its socket closes, and nothing more arrives.
        sharing.goto(f"/projects/{board.project_id}/storyboards/{board.pk}/review-links/")
        expect(sharing.locator("tbody tr").first).to_contain_text("Ann at Harbour Films")
        sharing.once("dialog", lambda dialog: dialog.accept())
        sharing.get_by_role("button", name="Revoke the link for Ann at Harbour Films").click()
        expect(sharing.locator("tbody tr").first).to_contain_text("Revoked")
        screenshot(sharing, "review-links-revoked")
        expect(guest.get_by_text("This review link is no longer open")).to_be_visible()
        expect(guest.locator("[data-live-status]")).to_have_text("Offline")
        approved = next(s for s in statuses.statuses_for(board.project) if s.is_approved)
        off_the_browser_thread(
            statuses.set_status, shot=second, status=approved, user=board.project.owner
        )
        expect(editor.locator(f"#shot-{second.pk}-review")).to_contain_text("Approved")
        expect(guest.locator(f"#guest-shot-{second.pk}-status")).to_contain_text(
            "Changes requested"
        )
        screenshot(guest, "review-links-guest-after-revoke")

        assert guest.reload().status == 404
    finally:
        editor_context.close()
        guest_context.close()


def test_an_expired_link_is_a_404(chromium_browser, live_studio, board, alice):
    # Written to the database as it would be a minute after its expiry: no waiting.
    link = ReviewLink.objects.create(
        storyboard=board, created_by=alice, expires_at=timezone.now() - timedelta(minutes=1)
    )
    context = chromium_browser.new_context(base_url=live_studio.url)
    try:
        page = context.new_page()

        response = page.goto(f"/review/{link.token}/")

        assert response.status == 404
        expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
    finally:
        context.close()
