"""A person opens the studio in Chromium: first run, log in, the empty home, both themes."""

from __future__ import annotations

import pytest

from tests.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def background_of(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_login_and_empty_home_in_both_themes(chromium_browser, live_studio, alice, scheme):
    context = chromium_browser.new_context(
        base_url=live_studio.url, color_scheme=scheme, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()

    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    screenshot(page, f"login-{scheme}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("heading", name="Start your first project").wait_for()
    assert page.get_by_role("link", name="New project").first.is_visible()
    screenshot(page, f"home-empty-{scheme}")
    dark_background = background_of(page) == "rgb(18, 18, 20)"
    assert dark_background == (scheme == "dark")
    context.close()


def test_theme_toggle_switches_and_is_remembered(page, alice):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Start your first project").wait_for()
    before = background_of(page)

    page.get_by_role("button", name="Switch between light and dark theme").click()
    after = background_of(page)
    page.reload()

    assert after != before
    assert background_of(page) == after


def test_first_run_creates_the_owner_then_a_project(page, db):
    page.goto("/")
    page.get_by_role("heading", name="Welcome to your studio").wait_for()
    screenshot(page, "first-run")
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create owner account").click()

    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Name").fill("Spring campaign")
    page.get_by_role("button", name="Create project").click()

    page.get_by_role("heading", name="Spring campaign").wait_for()
    assert page.get_by_text("Project “Spring campaign” created.").is_visible()
    screenshot(page, "project-created")


def test_a_blank_project_name_is_explained_without_losing_the_page(page, alice):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/projects/new/")

    page.get_by_role("button", name="Create project").click()

    page.get_by_text("This field is required.").wait_for()
    assert page.get_by_role("heading", name="New project").is_visible()
