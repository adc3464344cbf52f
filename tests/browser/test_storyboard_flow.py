"""A designer lays out a storyboard in Chromium: New storyboard, three shots with
@mentions, Generate, keepers, Animate a still, reorder the strip by drag and drop,
download the keepers and render the animatic."""

from __future__ import annotations

import zipfile

import av
import pytest

from storyboards.models import AnimaticRender, Shot, Storyboard, Take
from tests.conftest import screenshot as save_screenshot
from tests.factories import PASSWORD
from tests.generations import conftest as generation_fixtures
from tests.library.factories import make_library, make_subject, make_subject_image

pytestmark = pytest.mark.browser
fast_pipeline = generation_fixtures.fast_pipeline
pipeline = generation_fixtures.pipeline


@pytest.fixture
def animatic_renderer(fast_pipeline):
    """The studio started by `pipeline` runs the animatic render loop too."""
    fast_pipeline.STUDIO_BACKGROUND_TASKS = [
        *fast_pipeline.STUDIO_BACKGROUND_TASKS,
        "storyboards.renders.run",
    ]


@pytest.fixture
def tab(chromium_browser, animatic_renderer, pipeline, alice):
    library = make_library(owner=alice, name="Main cast")
    pipeline.project.libraries.add(library)
    make_subject_image(subject=make_subject(library=library, name="Mia"), color=(220, 120, 60))
    make_subject_image(
        subject=make_subject(library=library, name="Harbour", kind="scene"), color=(40, 90, 160)
    )
    context = chromium_browser.new_context(
        base_url=pipeline.url, viewport={"width": 1280, "height": 900}
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
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, name)


def add_shot(page, prompt: str) -> None:
    page.get_by_role("link", name="Add shot").click()
    page.get_by_label("Mode", exact=True).select_option(label="Reference to image")
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Save shot").click()
    page.locator("#shot-panel").wait_for()


def generate_and_keep(page, shot: Shot) -> Take:
    page.goto(shot.get_absolute_url())
    page.get_by_role("button", name="Generate", exact=True).click()
    page.locator("#shot-panel article[data-generation]").first.wait_for()
    take = Take.objects.get(shot=shot)
    # Turns ready by itself: pushed over the project's socket.
    page.locator(f'article[data-generation="{take.generation_id}"][data-state="ready"]').wait_for(
        timeout=60_000
    )
    page.get_by_role("button", name=f"Keep take #{take.generation_id}").click()
    page.locator(".take.is-keeper").wait_for()
    return take


def test_storyboard_from_shots_to_keepers_animate_and_reorder(tab, pipeline):
    page = tab
    page.goto(pipeline.project.get_absolute_url())
    page.get_by_role("link", name="New storyboard").click()
    page.get_by_label("Title").fill("Harbour at dawn")
    page.get_by_label("Notes").fill("Opening sequence, warm light.")
    page.get_by_role("button", name="Create storyboard").click()
    page.get_by_role("heading", name="Harbour at dawn").wait_for()

    add_shot(page, "@Mia walks along the @Harbour")
    add_shot(page, "@Mia looks at the boats")
    add_shot(page, "The @Harbour at sunrise, wide")
    storyboard = Storyboard.objects.get()
    first, second, third = storyboard.shots.all()
    assert page.locator(".shot-tile").count() == 3
    screenshot(page, "storyboard-three-shots")

    generate_and_keep(page, first)
    still = generate_and_keep(page, second)
    page.locator(".shot-tile.status-kept").nth(1).wait_for()
    screenshot(page, "storyboard-keepers")

    page.get_by_role("button", name=f"Animate take #{still.generation_id}").click()
    page.locator("#shot-panel article[data-generation]").nth(1).wait_for()
    clip = Take.objects.filter(shot=second).latest("pk")
    assert clip.generation.mode == "image_to_video"
    page.locator(f'article[data-generation="{clip.generation_id}"][data-state="ready"]').wait_for(
        timeout=60_000
    )
    screenshot(page, "storyboard-animated")

    # Drag the third shot in front of the first.
    page.locator(f'li[data-shot="{third.pk}"]').drag_to(
        page.locator(f'li[data-shot="{first.pk}"]'), target_position={"x": 8, "y": 60}
    )
    # The server's answer renumbers the strip.
    page.locator(f'li[data-shot="{third.pk}"] .shot-head', has_text="Shot 1").wait_for()
    assert list(storyboard.shots.values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    assert page.locator(".shot-tile").first.get_attribute("data-shot") == str(third.pk)
    screenshot(page, "storyboard-reordered")

    # Export: the keepers in a ZIP named by shot number, with the manifest.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download keepers").click()
    archive = zipfile.ZipFile(download_info.value.path())
    names = archive.namelist()
    assert "manifest.json" in names
    kept = [name for name in names if name != "manifest.json"]
    assert len(kept) == 2 and kept[0].startswith("02") and kept[1].startswith("03"), kept

    # The animatic: queued, rendered by the render loop with a progress bar, downloaded.
    page.get_by_role("button", name="Animatic", exact=True).click()
    download_link = page.get_by_role("link", name="Download animatic")
    download_link.wait_for(timeout=120_000)
    assert AnimaticRender.objects.get().state == AnimaticRender.State.READY
    screenshot(page, "storyboard-animatic")
    with page.expect_download() as download_info:
        download_link.click()
    with av.open(str(download_info.value.path())) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
    assert abs(duration - sum(shot.duration for shot in storyboard.shots.all())) <= 1 / 24
