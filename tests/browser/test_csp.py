"""The Content-Security-Policy in Chromium: the studio's pages work under it (htmx, its
websocket extension, the page scripts) and the browser reports no violation."""

from __future__ import annotations

import pytest

from generations.models import State
from library.models import LibraryShare
from storyboards.models import Shot, Storyboard
from tests.conftest import screenshot
from tests.factories import PASSWORD
from tests.generations.gallery_factories import add_output, make_generation, make_project
from tests.library.factories import make_library, make_subject, make_subject_image

pytestmark = pytest.mark.browser

# Recorded in the page before any of its own scripts run.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def studio_world(alice, bob):
    project = make_project(alice)
    library = make_library(owner=alice)
    LibraryShare.objects.create(library=library, user=bob, role="viewer")
    project.libraries.add(library)
    subject = make_subject(library=library)
    make_subject_image(subject=subject)
    first, second = (
        make_generation(project, prompt, state=State.READY) for prompt in ("a heron", "a crane")
    )
    add_output(first)
    add_output(second, color=(200, 60, 40))
    storyboard = Storyboard.objects.create(project=project, created_by=alice, title="Pier")
    Shot.objects.create(storyboard=storyboard, position=0, prompt="@Mia waves", model="viduq2")
    return {
        "project": project,
        "library": library,
        "subject": subject,
        "generations": (first, second),
        "storyboard": storyboard,
    }


def test_the_pages_work_under_the_policy_with_no_violation(page, studio_world):
    seen_in_console = []
    page.on(
        "console",
        lambda message: (
            seen_in_console.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    violations = []
    project, library = studio_world["project"], studio_world["library"]
    first, second = studio_world["generations"]

    def visit(path: str) -> None:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        violations.extend(page.evaluate("window.cspViolations"))

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    violations.extend(page.evaluate("window.cspViolations"))

    # The project page: htmx, the websocket extension and realtime.js say "Live".
    visit(f"/projects/{project.pk}/")
    page.locator('[data-live-status="connected"]').first.wait_for(timeout=10_000)
    visit(f"/projects/{project.pk}/gallery/")
    page.locator('[data-live-status="connected"]').first.wait_for(timeout=10_000)
    visit(f"/projects/{project.pk}/gallery/compare/?ids={first.pk}&ids={second.pk}&view=slider")
    page.locator("[data-compare-range]").fill("20")
    visit(f"/projects/{project.pk}/gallery/compare/?ids={first.pk}&ids={second.pk}")
    visit(f"/projects/{project.pk}/generations/")
    visit(f"/projects/{project.pk}/compose/")
    # The library's search is an htmx request that swaps the grid.
    visit(library.get_absolute_url())
    page.get_by_role("searchbox").fill("zzz")
    page.get_by_text("No subject matches").wait_for(timeout=5_000)
    visit(studio_world["subject"].get_absolute_url())
    visit(studio_world["storyboard"].get_absolute_url())
    page.locator('[data-live-status="connected"]').first.wait_for(timeout=10_000)
    violations.extend(page.evaluate("window.cspViolations"))
    screenshot(page, "csp-storyboard")

    assert violations == []
    assert seen_in_console == []
