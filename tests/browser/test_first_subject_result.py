"""The shortest path from a first visit to a first @subject result, in Chromium and timed:
log in, a new project, "New library" from it (it comes back attached), "New subject"
with a picture (back to the project again), a prompt mentioning @Mia in Reference to
image, Generate, and the card turns ready. The time is printed, never asserted: it is
measured on the simulator's fast clocks, so it is the designer's own steps."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from generations.models import Generation
from library.models import Library
from projects.models import Project
from providers.models import ProviderConnection
from tests.conftest import screenshot
from tests.factories import PASSWORD
from tests.generations import conftest as generation_fixtures

pytestmark = pytest.mark.browser
fast_pipeline = generation_fixtures.fast_pipeline


def portrait() -> bytes:
    image = Image.new("RGB", (640, 800), (235, 120, 90))
    draw = ImageDraw.Draw(image)
    draw.ellipse([200, 140, 440, 380], fill=(120, 30, 40))
    draw.rounded_rectangle([130, 400, 510, 840], radius=80, fill=(120, 30, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_from_first_visit_to_a_first_subject_result(
    chromium_browser, fast_pipeline, live_studio, alice
):
    fast_pipeline.SIMULATOR_URL = f"{live_studio.url}/simulator"
    ProviderConnection.objects.get_or_create(name="Vidu simulator", defaults={"kind": "simulator"})
    context = chromium_browser.new_context(
        base_url=live_studio.url, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    picture = {"name": "mia.png", "mimeType": "image/png", "buffer": portrait()}

    started = time.monotonic()
    page.goto("/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Name").fill("Harbour film")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("heading", name="Harbour film").wait_for()
    project = Project.objects.get(name="Harbour film")

    page.get_by_role("link", name="New library").click()
    page.get_by_label("Name").fill("Cast")
    page.get_by_role("button", name="Create library").click()
    libraries = page.locator("#project-libraries")
    libraries.get_by_role("link", name="Cast").wait_for()  # back, and attached

    libraries.get_by_role("link", name="New subject").click()
    page.get_by_label("Name").fill("Mia")
    page.wait_for_load_state("load")  # the drop zone's script is in
    page.get_by_label("Images").set_input_files([picture])
    expect(page.locator(".upload-item .upload-preview")).to_have_count(1)
    page.get_by_role("button", name="Save subject").click()
    libraries.get_by_role("link", name="@Mia").wait_for()  # back at the project
    assert page.url.split("#")[0].endswith(project.get_absolute_url())

    page.get_by_label("Mode", exact=True).select_option(label="Reference to image")
    expect(page.locator("#composer-summary")).to_contain_text("of 7 images")
    prompt = page.get_by_label("Prompt")
    page.wait_for_load_state("load")  # the @ suggestions' script is in
    prompt.click()
    prompt.press_sequentially("@Mi")
    page.get_by_role("listbox", name="Subjects").get_by_role("option").first.wait_for()
    prompt.press("Enter")
    prompt.press_sequentially("on a red boat at dawn")
    expect(page.locator("#composer-summary")).to_contain_text("1 of 7 images")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("#recent-generations-list article[data-generation]").first
    expect(card).to_have_attribute("data-state", "ready", timeout=60_000)
    seconds = time.monotonic() - started

    print(f"\nFirst visit to a first @subject result: {seconds:.1f} s (simulator, fast clocks)")
    page.evaluate("window.scrollTo(0, 0)")  # a full-page shot of a scrolled page misplaces the bar
    screenshot(page, "first-subject-result")
    generation = Generation.objects.get()
    assert generation.prompt == "@Mia on a red boat at dawn"
    assert list(generation.mentions) == ["Mia"]
    assert Library.objects.get().owner == alice
    context.close()
