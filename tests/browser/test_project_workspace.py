"""The project page as a designer works in it, in Chromium: the composer and the live
results side by side on a wide screen, the new card in view at once with a time
estimate, Ctrl+Enter, drop zones, "not charged" on a failed card, Animate from a
result, a phone's menu, and a viewer who sees no editing controls."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from generations.models import Generation, State
from tests.browser.threads import off_the_browser_thread
from tests.conftest import ARTIFACTS
from tests.conftest import screenshot as save_screenshot
from tests.factories import PASSWORD, make_png, make_user
from tests.generations import conftest as generation_fixtures
from tests.library.factories import add_member

pytestmark = pytest.mark.browser
fast_pipeline = generation_fixtures.fast_pipeline
pipeline = generation_fixtures.pipeline

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_tab(chromium_browser, pipeline, *, viewport=WIDE, username="alice", **options):
    context = chromium_browser.new_context(base_url=pipeline.url, viewport=viewport, **options)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    return page


def screenshot(page, name: str) -> None:
    # Full-page shots of a scrolled page draw the sticky top bar mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, name)


def viewport_shot(page, name: str) -> None:
    """What the person sees on the screen right now (not the whole page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def ready_stills(pipeline, *prompts: str) -> list[Generation]:
    """Finished stills, requested together as the composer would."""
    requested = [off_the_browser_thread(pipeline.request_still, prompt) for prompt in prompts]
    finished = []
    for generation in requested:
        done = pipeline.wait_for_state(generation, State.READY, State.FAILED, timeout=45)
        assert done.state == State.READY, done.error_message
        finished.append(done)
    return finished


def ready_still(pipeline, prompt: str) -> Generation:
    return ready_stills(pipeline, prompt)[0]


def paste_image(page, selector: str, name: str, content: bytes) -> None:
    """A real paste event carrying an image file, as a screenshot pasted from the clipboard."""
    page.evaluate(
        """([selector, name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "image/png"}));
            const target = document.querySelector(selector);
            target.focus();
            target.dispatchEvent(new ClipboardEvent("paste", {
                bubbles: true, cancelable: true, clipboardData: transfer}));
        }""",
        [selector, name, base64.b64encode(content).decode()],
    )


def drop_image(page, selector: str, name: str, content: bytes) -> None:
    """A real drop event carrying an image file on a drop zone."""
    page.evaluate(
        """([selector, name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "image/png"}));
            const zone = document.querySelector(selector);
            const init = {bubbles: true, cancelable: true, dataTransfer: transfer};
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        [selector, name, base64.b64encode(content).decode()],
    )


def test_wide_screen_composer_beside_results_and_the_new_card_in_view_with_an_estimate(
    chromium_browser, pipeline, settings
):
    ready_stills(pipeline, *(f"Harbour study {n}, gulls over a pier" for n in range(1, 10)))
    settings.SIMULATOR_IMAGE_SECONDS = 4  # long enough to watch the estimate count down
    page = open_tab(chromium_browser, pipeline)
    page.goto(pipeline.project.get_absolute_url())
    composer, results = page.locator("#composer"), page.locator("#recent-generations")
    page.locator("#recent-generations [data-live-status='connected']").wait_for()

    left, right = composer.bounding_box(), results.bounding_box()
    assert left["x"] + left["width"] <= right["x"], "composer and results side by side"
    assert abs(left["y"] - right["y"]) < 40, "both start at the top"
    assert in_viewport(page, page.get_by_role("button", name="Generate"))

    # Scrolled down (the composer stays in view), then Generate: the card comes into view.
    page.mouse.wheel(0, 600)
    expect(page.locator("#recent-generations-list article").first).not_to_be_in_viewport()
    page.get_by_label("Prompt").fill("A red boat at dawn, wide shot")
    page.get_by_role("button", name="Generate").click()
    newest = page.locator("#recent-generations-list article[data-generation]").first
    expect(newest).to_contain_text("A red boat at dawn")
    expect(newest).to_be_in_viewport(ratio=0.95, timeout=1000)  # in view at once
    expect(newest.locator("[data-eta]")).to_have_text(re.compile(r"~\d+ s left|almost done"))
    viewport_shot(page, "project-wide-running")
    expect(newest).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(newest).not_to_contain_text("left")
    screenshot(page, "project-wide-ready")


def test_ctrl_enter_in_the_prompt_generates(chromium_browser, pipeline):
    page = open_tab(chromium_browser, pipeline)
    page.goto(pipeline.project.get_absolute_url())
    page.wait_for_load_state("load")

    prompt = page.get_by_label("Prompt")
    prompt.fill("A kite over dunes")
    prompt.press("Control+Enter")

    expect(page.locator("#recent-generations-list article[data-generation]")).to_have_count(1)
    assert Generation.objects.get().prompt == "A kite over dunes"


def test_a_failed_card_says_not_charged(chromium_browser, pipeline):
    page = open_tab(chromium_browser, pipeline)
    page.goto(pipeline.project.get_absolute_url())
    page.get_by_label("Prompt").fill("A storm at sea #sim:fail")
    page.get_by_role("button", name="Generate").click()

    card = page.locator("#recent-generations-list article[data-generation]").first
    expect(card).to_have_attribute("data-state", "failed", timeout=30_000)
    expect(card).to_contain_text("not charged")
    expect(card).not_to_contain_text(re.compile(r"\d+ cr\b"))
    screenshot(page, "project-failed-not-charged")
    card.locator("h3 a").click()
    expect(page.locator(".details")).to_contain_text("Not charged")


def test_reference_images_and_frames_are_pasted_dropped_or_picked(chromium_browser, pipeline):
    page = open_tab(chromium_browser, pipeline)
    page.goto(pipeline.project.get_absolute_url())
    page.get_by_label("Mode", exact=True).select_option(label="Reference to image")
    zone = page.locator("#composer [data-dropzone][data-enhanced]").first
    zone.wait_for()

    # Pasted into the prompt: the picture goes to the reference images, with a preview.
    paste_image(page, "#composer textarea[name=prompt]", "pasted.png", make_png(400, 300))
    expect(zone.locator(".upload-item .upload-preview")).to_have_count(1)
    page.get_by_label("Reference images").set_input_files(
        [{"name": "picked.png", "mimeType": "image/png", "buffer": make_png(300, 300)}]
    )
    expect(zone.locator(".upload-item")).to_have_count(2)
    page.locator("#composer-summary", has_text="2 of").wait_for()
    zone.get_by_role("button", name="Remove picked.png").click()
    expect(zone.locator(".upload-item")).to_have_count(1)
    page.locator("#composer-summary", has_text="1 of").wait_for()
    screenshot(page, "composer-dropzone-reference")

    page.get_by_label("Prompt").fill("A still life in this light")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#recent-generations-list article[data-generation]")).to_have_count(1)
    generation = Generation.objects.get()
    assert [i.role for i in generation.inputs.all()] == ["image"]
    # The chosen file stays for the next try, as the prompt does.
    expect(page.locator("#composer .upload-item")).to_have_count(1)

    # Start and end frames: one dropped on each zone, once the composer's reply to
    # Generate has settled (a select swapped out mid-change loses the change).
    expect(page.locator("#composer .htmx-request, #composer .htmx-settling")).to_have_count(0)
    page.get_by_label("Mode", exact=True).select_option(label="Start and end to video")
    page.locator("#composer-options [data-dropzone][data-enhanced]").nth(1).wait_for()
    drop_image(page, "#composer-options .frames [data-dropzone]", "start.png", make_png(640, 360))
    drop_image(
        page,
        "#composer-options .frames .inputs-fieldset:nth-child(2) [data-dropzone]",
        "end.png",
        make_png(640, 360, color=(30, 60, 200)),
    )
    page.locator("#composer-summary", has_text="Start frame: chosen").wait_for()
    page.locator("#composer-summary", has_text="End frame: chosen").wait_for()
    screenshot(page, "composer-dropzone-frames")


def test_animate_from_a_result_with_subjects_writes_them_plain_or_keeps_them_in_one_click(
    chromium_browser, pipeline
):
    still = ready_still(pipeline, "A portrait of @Mia on a red boat")
    page = open_tab(chromium_browser, pipeline)
    page.goto(still.get_absolute_url())
    page.get_by_role("link", name="Animate", exact=True).click()

    expect(page.get_by_label("Mode", exact=True)).to_have_value("image_to_video")
    expect(page.get_by_label("Prompt")).to_have_value("A portrait of Mia on a red boat")
    expect(page.locator(".link-note")).to_contain_text("@Mia is now plain words")
    expect(page.locator("#composer-summary")).to_contain_text("Start frame: chosen")
    screenshot(page, "composer-animate-from-result")

    page.get_by_role("link", name="Keep @Mia: Reference to video").click()
    expect(page.get_by_label("Mode", exact=True)).to_have_value("reference_to_video")
    expect(page.get_by_label("Prompt")).to_have_value("A portrait of @Mia on a red boat")


# The animations running on a card, its pseudo-elements' included.
MOVING = """card => [card, ...card.querySelectorAll("*")]
    .flatMap(el => [null, "::before", "::after"].map(
        part => getComputedStyle(el, part).animationName))
    .filter(name => name && name !== "none")"""


def test_a_card_at_work_moves_unless_the_designer_asked_for_reduced_motion(
    chromium_browser, pipeline, settings
):
    settings.SIMULATOR_IMAGE_SECONDS = 60  # at work while both tabs look at it
    page = open_tab(chromium_browser, pipeline)
    page.goto(pipeline.project.get_absolute_url())
    page.get_by_label("Prompt").fill("A lighthouse in fog")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("#recent-generations-list article[data-generation]").first
    at_work = re.compile(r"^(submitted|processing)$")
    expect(card).to_have_attribute("data-state", at_work, timeout=30_000)
    assert card.evaluate(MOVING), "a card at work shows that it is at work"

    calm = open_tab(chromium_browser, pipeline, reduced_motion="reduce")
    calm.goto(pipeline.project.get_absolute_url())
    still_card = calm.locator("#recent-generations-list article[data-generation]").first
    expect(still_card).to_have_attribute("data-state", at_work)
    assert still_card.evaluate(MOVING) == []


def test_a_viewer_sees_results_but_no_editing_controls(chromium_browser, pipeline):
    still = ready_still(pipeline, "A harbour at dawn")
    bob = make_user("bob")
    add_member(pipeline.project, bob, "viewer")
    page = open_tab(chromium_browser, pipeline, username="bob")

    page.goto(pipeline.project.get_absolute_url())
    page.locator(f"#generation-{still.pk}").wait_for()
    for name in ["Generate", "Project actions", "Attach", "Share"]:
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    for name in ["New storyboard", "New library", "New subject", "Rename"]:
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    expect(page.get_by_label("Prompt")).to_have_count(0)
    screenshot(page, "project-viewer")

    page.goto(still.get_absolute_url())
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    for name in ["Animate", "Use as start frame", "Use as reference", "Delete"]:
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    for name in ["Vary", "Re-run same seed", "Retry"]:
        expect(page.get_by_role("button", name=name)).to_have_count(0)


def test_on_a_phone_the_page_fits_the_menu_opens_and_the_new_card_shows(
    chromium_browser, pipeline, settings
):
    ready_still(pipeline, "A harbour at dawn")
    page = open_tab(chromium_browser, pipeline, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(pipeline.project.get_absolute_url())
    page.locator("#recent-generations [data-live-status='connected']").wait_for()

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Libraries")).to_be_hidden()
    screenshot(page, "project-phone")
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(main_nav.get_by_role("link", name="Libraries")).to_be_visible()
    viewport_shot(page, "project-phone-menu")
    page.keyboard.press("Escape")
    expect(main_nav.get_by_role("link", name="Libraries")).to_be_hidden()

    settings.SIMULATOR_IMAGE_SECONDS = 5
    page.get_by_label("Prompt").fill("A kite over dunes")
    page.get_by_role("button", name="Generate").click()
    newest = page.locator("#recent-generations-list article[data-generation]").first
    expect(newest).to_contain_text("A kite over dunes")
    expect(newest).to_be_in_viewport(ratio=0.95, timeout=1000)  # scrolled to at once
    viewport_shot(page, "project-phone-after-generate")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
