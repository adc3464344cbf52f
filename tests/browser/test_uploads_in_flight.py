"""Uploads still on their way, in Chromium: leaving the page asks first (a subject's page,
a new subject, the composer), and a new subject whose request never arrives whole is not
created at all, so no subject is left without its pictures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from library.models import Subject
from tests.factories import PASSWORD, make_png
from tests.generations import conftest as generation_fixtures
from tests.library.factories import make_library, make_subject

pytestmark = pytest.mark.browser
fast_pipeline = generation_fixtures.fast_pipeline
pipeline = generation_fixtures.pipeline

PICTURE = {"name": "mia.png", "mimeType": "image/png", "buffer": make_png(400, 400)}


@pytest.fixture
def tab(chromium_browser, pipeline):
    context = chromium_browser.new_context(
        base_url=pipeline.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    page.dialogs = []

    def answer(dialog) -> None:
        page.dialogs.append(dialog.type)
        dialog.dismiss()  # "Stay on page"

    page.on("dialog", answer)
    yield page
    context.close()


def hold(page, pattern: str) -> list:
    """POSTs to `pattern` wait until the test lets them go (or drops them)."""
    held: list = []

    def handle(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(pattern, handle)
    return held


def leave_and_stay(page) -> None:
    """Click away to another page; the page asks, and the person chooses to stay."""
    url = page.url
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Libraries").click()
    expect(page).to_have_url(url)


def test_leaving_a_subject_page_while_its_image_uploads_asks_first(tab, pipeline, alice):
    page = tab
    subject = make_subject(library=make_library(owner=alice))
    held = hold(page, "**/subjects/*/images/")
    page.goto(subject.get_absolute_url())
    page.get_by_role("heading", name="@Mia").click()  # the page has had a person's touch
    page.wait_for_load_state("load")

    page.get_by_label("Images").set_input_files([PICTURE])
    expect(page.locator("[data-uploading]")).to_have_count(1)
    leave_and_stay(page)
    assert page.dialogs == ["beforeunload"]

    held[0].continue_()
    page.locator(".upload-item.done").wait_for()
    expect(page.locator("[data-uploading]")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Libraries").click()
    page.get_by_role("heading", name="Libraries").wait_for()
    assert page.dialogs == ["beforeunload"]  # nothing in flight: no question
    assert subject.images.count() == 1


def test_a_new_subject_cut_off_mid_upload_is_not_created(tab, pipeline, alice):
    page = tab
    library = make_library(owner=alice)
    held = hold(page, "**/subjects/new/")
    page.goto(f"/libraries/{library.pk}/subjects/new/")
    page.wait_for_load_state("load")
    page.get_by_label("Name").fill("Mia")
    page.get_by_label("Images").set_input_files([PICTURE])
    page.get_by_role("button", name="Save subject").click()
    expect(page.locator("form[data-uploading]")).to_have_count(1)
    leave_and_stay(page)
    assert page.dialogs == ["beforeunload"]

    held[0].abort("connectionreset")  # the person's connection dropped mid-upload
    expect(page.locator("form[data-uploading]")).to_have_count(0)
    assert not Subject.objects.exists()


def test_leaving_the_composer_while_its_images_upload_asks_first(tab, pipeline):
    page = tab
    page.goto(pipeline.project.get_absolute_url())
    page.get_by_label("Mode", exact=True).select_option(label="Reference to image")
    page.locator("#composer [data-dropzone][data-enhanced]").wait_for()
    page.get_by_label("Reference images").set_input_files([PICTURE])
    page.get_by_label("Prompt").fill("A still life")
    held = hold(page, "**/compose/")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("form[data-uploading]")).to_have_count(1)
    leave_and_stay(page)
    assert page.dialogs == ["beforeunload"]

    held[0].continue_()
    expect(page.locator("#recent-generations-list article[data-generation]")).to_have_count(1)
    expect(page.locator("form[data-uploading]")).to_have_count(0)
