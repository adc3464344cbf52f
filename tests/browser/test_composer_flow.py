"""A designer composes a generation in Chromium: @mention, mode and model, budget and
cost, Generate, the card turns ready, the detail page, the download."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from generations.models import Generation
from tests.conftest import screenshot as save_screenshot
from tests.factories import PASSWORD
from tests.generations import conftest as generation_fixtures
from tests.library.factories import make_library, make_subject, make_subject_image

pytestmark = pytest.mark.browser
# The live studio with its dispatcher and simulator on fast clocks (tests/generations).
fast_pipeline = generation_fixtures.fast_pipeline
pipeline = generation_fixtures.pipeline


@pytest.fixture
def tab(chromium_browser, pipeline, alice):
    library = make_library(owner=alice, name="Main cast")
    pipeline.project.libraries.add(library)
    mia = make_subject(library=library, name="Mia")
    make_subject_image(subject=mia, color=(220, 120, 60))
    make_subject_image(subject=mia, color=(60, 110, 220))
    make_subject(library=library, name="Mountain", kind="scene")
    context = chromium_browser.new_context(
        base_url=pipeline.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    # Full-page shots of a scrolled page draw the sticky top bar mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, name)


def wait_until_ready(page, generation_id: int, timeout: float = 60) -> None:
    """The card turns ready on the page by itself: pushed over the project's socket."""
    page.locator(f'article[data-generation="{generation_id}"][data-state="ready"]').wait_for(
        timeout=timeout * 1000
    )


def test_compose_with_a_mention_generate_and_download(tab, pipeline):
    page = tab
    page.goto(pipeline.project.get_absolute_url())
    composer = page.locator("#composer")
    composer.wait_for()

    page.get_by_label("Mode", exact=True).select_option(label="Reference to image")
    page.wait_for_selector(
        "#composer-options select[name=model] option[value=viduq1]", state="attached"
    )
    page.get_by_label("Model").select_option("viduq2")
    prompt = page.get_by_label("Prompt")
    prompt.click()
    prompt.press_sequentially("A portrait of @Mi")
    suggestions = page.get_by_role("listbox", name="Subjects")
    suggestions.wait_for()
    assert suggestions.get_by_role("option").first.inner_text().startswith("@Mia")
    screenshot(page, "composer-autocomplete")
    prompt.press("Enter")
    prompt.press_sequentially("on a red boat, @Nobody waves")

    assert prompt.input_value() == "A portrait of @Mia on a red boat, @Nobody waves"
    page.locator(".mention-chip.ok", has_text="@Mia").wait_for()
    page.locator(".mention-chip.unknown", has_text="@Nobody").wait_for()
    page.locator("#composer-summary", has_text="2 of 7 images").wait_for()
    assert "6 credits" in page.locator("#composer-summary").inner_text()
    page.get_by_label("Aspect ratio").select_option("1:1")
    screenshot(page, "composer-filled")

    # The server refuses the unknown mention by the prompt, keeping what was typed.
    page.get_by_role("button", name="Generate").click()
    page.locator("#id_prompt_errors", has_text="@Nobody is not a subject").wait_for()
    assert Generation.objects.count() == 0
    screenshot(page, "composer-error")

    prompt.fill("A portrait of @Mia on a red boat")
    page.get_by_label("Variations").fill("2")
    page.locator("#composer-summary", has_text="12 credits").wait_for()
    page.get_by_role("button", name="Generate").click()
    page.locator("#recent-generations article[data-generation]").nth(1).wait_for()
    assert page.locator("#composer textarea[name=prompt]").input_value().endswith("red boat")
    screenshot(page, "composer-queued")

    newest = Generation.objects.order_by("-pk").first()
    wait_until_ready(page, newest.pk)
    screenshot(page, "composer-ready")

    page.locator(f"#generation-{newest.pk} h3 a").click()
    page.get_by_role("heading", name=re.compile(rf"#{newest.pk}")).wait_for()
    assert page.get_by_text("Inputs as sent").is_visible()
    assert page.locator(".timeline li").count() >= 5
    screenshot(page, "generation-detail")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").first.click()
    download = download_info.value
    name = rf"pipeline_a-portrait-of-mia-on-a_seed\d+_g{newest.pk}\.(png|jpg|webp)"
    assert re.fullmatch(name, download.suggested_filename), download.suggested_filename

    page.get_by_role("link", name="History").click()
    # Type once the page's scripts are in, as a person would see it ready.
    page.wait_for_load_state("load")
    page.get_by_label("Search prompts").fill("red boat")
    page.wait_for_url(re.compile(r"q=red"))
    assert page.locator("#history-results article[data-generation]").count() == 2
    screenshot(page, "history")


def test_image_to_video_from_a_still_shows_frames_and_video_options(tab, pipeline):
    page = tab
    page.goto(pipeline.project.get_absolute_url())
    page.get_by_label("Mode", exact=True).select_option(label="Image to video")
    page.locator("#composer-options select[name=duration]").wait_for()
    page.get_by_label("Model").select_option("vidu2.0")
    # Locator assertions, not wait_for_function: the page's Content-Security-Policy
    # forbids the eval that a string predicate needs.
    expect(page.locator("#composer-options select[name=model]")).to_have_value("vidu2.0")
    page.get_by_label("Duration").select_option("8")
    resolutions = page.locator("#composer-options select[name=resolution] option")
    expect(resolutions).to_have_count(1)
    expect(resolutions).to_have_attribute("value", "720p")
    page.locator("#composer-summary", has_text="Start frame: needed").wait_for()
    screenshot(page, "composer-image-to-video")
