"""A designer watches results arrive live, reviews them, compares and downloads them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from generations import archive, services
from generations.models import Generation, Mode, Review, State
from tests.browser.threads import off_the_browser_thread
from tests.conftest import screenshot, serve_again
from tests.factories import PASSWORD
from tests.generations import conftest as generations_fixtures
from tests.generations.gallery_factories import (
    add_output,
    add_rendered_output,
    make_generation,
    make_project,
)

pytestmark = pytest.mark.browser

# The live studio with its dispatcher and simulator on fast clocks.
fast_pipeline = generations_fixtures.fast_pipeline
pipeline = generations_fixtures.pipeline


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def open_gallery(page, project) -> None:
    page.goto(f"/projects/{project.pk}/gallery/")
    page.locator('[data-live-status="connected"]').wait_for(timeout=10_000)


def request(pipeline, prompt: str):
    return off_the_browser_thread(pipeline.request_still, prompt, aspect_ratio="16:9")


def card(page, generation, state: str | None = None):
    selector = f'article[data-generation="{generation.pk}"]'
    return page.locator(selector + (f'[data-state="{state}"]' if state else ""))


def test_a_requested_generation_appears_at_once_and_turns_ready_without_reload(page, pipeline):
    log_in(page, "alice")
    open_gallery(page, pipeline.project)
    page.evaluate("window.sameDocument = true")

    generation = request(pipeline, "A lighthouse at dusk, long exposure")

    card(page, generation).wait_for(timeout=5_000)
    card(page, generation, "ready").wait_for(timeout=30_000)
    assert page.evaluate("window.sameDocument") is True
    assert page.locator("#gallery-grid article").first.get_attribute("data-generation") == str(
        generation.pk
    )
    screenshot(page, "gallery-live-ready")


def test_after_a_server_restart_the_page_reconnects_and_shows_the_right_state(
    page, pipeline, live_studio, settings
):
    settings.GENERATIONS_LEASE_SECONDS = 2
    log_in(page, "alice")
    open_gallery(page, pipeline.project)
    stopped = request(pipeline, "A harbour in the rain #sim:slow=60")
    card(page, stopped).wait_for(timeout=5_000)

    live_studio.stop()
    page.locator('[data-live-status="reconnecting"]').wait_for(timeout=10_000)
    screenshot(page, "gallery-reconnecting")
    # Changes made while nobody is listening: their pushes are lost, the re-sync is not.
    off_the_browser_thread(services.fail, stopped.pk, message="Stopped while the server was down.")
    arrived = request(pipeline, "A heron taking off")
    serve_again(live_studio)

    page.locator('[data-live-status="connected"]').wait_for(timeout=15_000)
    card(page, stopped, "failed").wait_for(timeout=5_000)
    card(page, arrived).wait_for(timeout=5_000)
    card(page, arrived, "ready").wait_for(timeout=30_000)
    assert page.locator("#gallery-grid article").first.get_attribute("data-generation") == str(
        arrived.pk
    )
    screenshot(page, "gallery-after-restart")


@pytest.fixture
def reviewed(live_studio, alice):
    project = make_project(alice, "Harbour")
    generations = []
    for n, color in enumerate([(200, 60, 40), (40, 120, 200), (60, 160, 90)]):
        generation = make_generation(
            project,
            f"Harbour study {n + 1}, morning light",
            state=State.READY,
            seed=100 + n,
            params={"aspect_ratio": "16:9", "resolution": "1080p"},
        )
        add_output(generation, color=color)
        generations.append(generation)
    return project, generations[::-1]  # newest first, as the grid shows them


def test_lightbox_keys_review_compare_and_downloads(page, reviewed, tmp_path):
    project, (newest, middle, oldest) = reviewed
    log_in(page, "alice")
    open_gallery(page, project)
    screenshot(page, "gallery-grid")
    lightbox = page.locator("#lightbox")

    card(page, newest).locator("h3 a").click()
    page.locator(f'[data-lightbox-generation="{newest.pk}"]').wait_for()
    page.keyboard.press("ArrowRight")
    page.locator(f'[data-lightbox-generation="{middle.pk}"]').wait_for()
    page.keyboard.press("s")
    page.get_by_role("button", name="★ Starred").wait_for()
    page.keyboard.press("4")
    page.locator('[data-review-rate="4"][aria-pressed="true"]').wait_for()
    screenshot(page, "gallery-lightbox")
    page.keyboard.press("ArrowLeft")
    page.locator(f'[data-lightbox-generation="{newest.pk}"]').wait_for()

    with page.expect_download() as download_info:
        lightbox.get_by_role("link", name="Download").click()
    download = download_info.value
    output = newest.outputs.get()
    assert download.suggested_filename == archive.download_name(output)
    with default_storage.open(output.file.name) as stored:
        assert Path(download.path()).read_bytes() == stored.read()

    lightbox.get_by_role("button", name="Add to compare").click()
    page.keyboard.press("ArrowRight")
    page.locator(f'[data-lightbox-generation="{middle.pk}"]').wait_for()
    lightbox.get_by_role("button", name="Add to compare").click()
    page.keyboard.press("Escape")
    assert not lightbox.is_visible()
    page.get_by_text("2 to compare").wait_for()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator(".cmp-side figure").nth(1).wait_for()
    assert page.locator(".cmp-side figure").count() == 2
    screenshot(page, "gallery-compare-side")
    page.get_by_role("link", name="Slider").click()
    page.locator("[data-compare-range]").wait_for()
    page.locator("[data-compare-range]").fill("25")
    screenshot(page, "gallery-compare-slider")
    page.keyboard.press("Escape")

    review = Review.objects.get(generation=middle)
    assert (review.starred, review.rating) == (True, 4)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all").click()
    body = Path(download_info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        files = sorted(name for name in zipped.namelist() if name != "manifest.json")
    assert [item["id"] for item in manifest["generations"]] == [newest.pk, middle.pk, oldest.pk]
    assert files == sorted(archive.download_name(g.outputs.get()) for g in reviewed[1])


def test_viewer_sees_the_lightbox_read_only(page, reviewed, bob):
    project, (newest, *_rest) = reviewed
    project.memberships.create(user=bob, role="viewer")
    log_in(page, "bob")
    open_gallery(page, project)

    card(page, newest).locator("h3 a").click()
    page.locator(f'[data-lightbox-generation="{newest.pk}"]').wait_for()
    page.keyboard.press("s")

    assert page.get_by_text("Not rated").is_visible()
    assert page.locator("[data-review-star]").count() == 0
    assert not Review.objects.filter(generation=newest, starred=True).exists()


def test_charlie_is_refused_on_the_socket_and_gets_404_on_the_gallery(page, reviewed, charlie):
    project, _ = reviewed
    log_in(page, "charlie")

    response = page.goto(f"/projects/{project.pk}/gallery/")
    code = page.evaluate(
        """(url) => new Promise((resolve) => {
            const socket = new WebSocket(url);
            socket.onclose = (event) => resolve(event.code);
        })""",
        f"ws://127.0.0.1:{page.url.split(':')[2].split('/')[0]}/ws/projects/{project.pk}/",
    )

    assert response.status == 404
    assert code == 4403


# --- The image-first grid -------------------------------------------------------------------

SHAPES = [(640, 360), (360, 640), (512, 512), (640, 480), (720, 308), (480, 640)]
PROMPTS = [
    "A lighthouse at dusk, long exposure",
    "Fishing boats in the harbour at dawn",
    "A heron taking off over the marsh",
    "Rain on the pier, neon reflections",
    "The old market square, wide shot",
    "A lantern in the window, close-up",
]


@pytest.fixture
def pictures(live_studio, alice):
    """Twelve finished stills of several shapes, drawn by the simulator, newest first."""
    project = make_project(alice, "Harbour")
    made = []
    for n in range(12):
        generation = make_generation(
            project,
            PROMPTS[n % len(PROMPTS)],
            state=State.READY,
            seed=300 + n,
            params={"aspect_ratio": "16:9"},
        )
        width, height = SHAPES[n % len(SHAPES)]
        add_rendered_output(generation, width=width, height=height)
        made.append(generation)
    return project, made[::-1]


# Recorded in the page before its own scripts run: what the Content-Security-Policy refused.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
});
"""


def card_height(page) -> float:
    return page.locator("#gallery-grid article").first.bounding_box()["height"]


def test_the_thumbnail_size_slider_resizes_the_grid_and_is_remembered(page, pictures):
    project, _ = pictures
    make_generation(project, "A storm over the harbour, wide", state=State.PROCESSING)
    make_generation(
        project, "The pier at night #sim:fail", state=State.FAILED, error_message="Refused."
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "alice")
    open_gallery(page, project)
    screenshot(page, "gallery-grid-1440")
    slider = page.get_by_label("Thumbnail size")
    before = card_height(page)

    slider.fill("400")
    bigger = card_height(page)
    screenshot(page, "gallery-grid-large-1440")
    page.reload()
    page.locator('[data-live-status="connected"]').wait_for(timeout=10_000)

    assert bigger > before * 1.4
    expect(page.get_by_label("Thumbnail size")).to_have_value("400")
    assert abs(card_height(page) - bigger) < 2
    slider = page.get_by_label("Thumbnail size")
    slider.fill("220")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator('[data-live-status="connected"]').wait_for(timeout=10_000)
    screenshot(page, "gallery-grid-390")
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="Select").click()
    page.locator("#gallery-grid article").nth(3).click()
    screenshot(page, "gallery-grid-dark-1440")


def test_three_selected_cards_are_starred_at_once(page, pictures):
    project, (first, second, third, *rest) = pictures
    page.set_viewport_size({"width": 1440, "height": 900})
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, "alice")
    open_gallery(page, project)

    page.get_by_role("button", name="Select").click()
    card(page, first).click()
    card(page, third).click(modifiers=["Shift"])  # the range: first, second, third
    expect(page.get_by_text("3 selected")).to_be_visible()
    screenshot(page, "gallery-selecting-1440")
    page.get_by_role("button", name="★ Star").click()
    expect(page.get_by_text("3 results starred.")).to_be_visible()

    starred = set(Review.objects.filter(starred=True).values_list("generation_id", flat=True))
    assert starred == {first.pk, second.pk, third.pk}
    expect(card(page, second).locator(".review-star")).to_have_count(1)
    assert not page.locator("#lightbox").is_visible()
    assert page.evaluate("window.cspViolations") == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.mouse.move(0, 0)
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "gallery-selecting-390")


def test_tag_download_and_delete_the_selected(page, pictures, tmp_path):
    project, (first, second, *rest) = pictures
    log_in(page, "alice")
    open_gallery(page, project)
    page.get_by_role("button", name="Select").click()
    card(page, first).click()
    card(page, second).click()

    page.get_by_text("Tag", exact=True).click()
    page.get_by_label("Tags to add").fill("Hero shot, night")
    page.get_by_role("button", name="Add tags").click()
    expect(page.get_by_text("2 results tagged.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download ZIP").click()
    with zipfile.ZipFile(download_info.value.path()) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("2 results deleted.")).to_be_visible()

    assert sorted(item["id"] for item in manifest["generations"]) == sorted([first.pk, second.pk])
    assert not Generation.objects.filter(pk__in=[first.pk, second.pk]).exists()
    expect(card(page, first)).to_have_count(0)
    expect(page.get_by_text("0 selected")).to_be_visible()


def test_back_and_forward_put_the_filter_controls_back(page, pictures):
    project, generations = pictures
    Review.objects.create(generation=generations[0], starred=True)
    mode = page.get_by_label("Filter by mode")
    log_in(page, "alice")
    open_gallery(page, project)

    page.get_by_label("Filter by mode").select_option("text_to_video")
    expect(page).to_have_url(re.compile(r"/gallery/\?mode=text_to_video$"))
    expect(page.get_by_text("Nothing matches these filters")).to_be_visible()
    page.get_by_label("Filter by mode").select_option("")
    expect(page.locator("#gallery-grid article")).to_have_count(12)
    page.get_by_text("★ Starred").click()
    expect(page.locator("#gallery-grid article")).to_have_count(1)

    page.go_back()
    expect(page.get_by_label("★ Starred")).not_to_be_checked()
    expect(mode).to_have_value("")
    expect(page.locator("#gallery-grid article")).to_have_count(12)
    page.go_back()
    expect(mode).to_have_value("text_to_video")
    expect(page.get_by_text("Nothing matches these filters")).to_be_visible()
    page.go_forward()
    page.go_forward()
    expect(page.get_by_label("★ Starred")).to_be_checked()
    expect(page.locator("#gallery-grid article")).to_have_count(1)
    page.get_by_label("Search prompts").fill("heron")
    page.get_by_label("Search prompts").press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=heron&starred=on$"))
    expect(page.get_by_label("Search prompts")).to_be_focused()


def test_a_link_with_the_lightbox_in_it_opens_that_result(page, pictures):
    project, (newest, second, *rest) = pictures
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "alice")

    page.goto(f"/projects/{project.pk}/gallery/?open={second.pk}")
    page.locator(f'[data-lightbox-generation="{second.pk}"]').wait_for()
    screenshot(page, "gallery-lightbox-1440")
    page.keyboard.press("ArrowLeft")
    page.locator(f'[data-lightbox-generation="{newest.pk}"]').wait_for()
    expect(page).to_have_url(re.compile(rf"\?open={newest.pk}$"))
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"/gallery/$"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/projects/{project.pk}/gallery/?open={second.pk}")
    page.locator(f'[data-lightbox-generation="{second.pk}"]').wait_for()
    screenshot(page, "gallery-lightbox-390")


def test_animate_from_the_lightbox_leaves_no_mentions_in_the_prompt(page, live_studio, alice):
    project = make_project(alice, "Harbour")
    still = make_generation(
        project, "@Mia walks along the pier with @Bo", state=State.READY, mentions={"Mia": {}}
    )
    add_rendered_output(still)
    log_in(page, "alice")

    page.goto(f"/projects/{project.pk}/gallery/?open={still.pk}")
    page.get_by_role("link", name="Animate", exact=True).click()

    expect(page.get_by_label("Prompt")).to_have_value("Mia walks along the pier with Bo")
    expect(page.get_by_label("Mode", exact=True)).to_have_value(Mode.IMAGE_TO_VIDEO)
    page.go_back()
    page.get_by_role("link", name="Animate with subjects").click()
    expect(page.get_by_label("Prompt")).to_have_value("@Mia walks along the pier with @Bo")
    expect(page.get_by_label("Mode", exact=True)).to_have_value(Mode.REFERENCE_TO_VIDEO)


def test_a_viewer_sees_no_editing_controls_in_the_gallery(page, pictures, bob):
    project, (newest, second, *rest) = pictures
    project.memberships.create(user=bob, role="viewer")
    log_in(page, "bob")
    open_gallery(page, project)

    page.get_by_role("button", name="Select").click()
    card(page, newest).click()
    card(page, second).click()
    bar = page.get_by_role("region", name="Selected results")
    expect(bar.get_by_role("link", name="Download ZIP")).to_be_visible()
    for name in ["★ Star", "Unstar", "Delete", "Add tags"]:
        expect(bar.get_by_role("button", name=name)).to_have_count(0)
    bar.get_by_role("button", name="Add to compare").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator(".cmp-side figure").nth(1).wait_for()
    expect(page.locator(".cmp").get_by_role("button", name=f"Star #{newest.pk}")).to_have_count(0)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    card(page, newest).locator("h3 a").click()
    page.locator(f'[data-lightbox-generation="{newest.pk}"]').wait_for()

    lightbox = page.locator("#lightbox")
    for name in ["Use prompt", "Use all", "Animate"]:
        expect(lightbox.get_by_role("link", name=name)).to_have_count(0)
    for name in ["Re-run", "Vary", "☆ Star"]:
        expect(lightbox.get_by_role("button", name=name)).to_have_count(0)
    expect(lightbox.get_by_role("link", name="Download")).to_be_visible()
