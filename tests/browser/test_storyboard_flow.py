"""A designer lays out a storyboard in Chromium: New storyboard, three shots with
@mentions, Generate, keepers, Animate a still, reorder the strip by drag and drop,
download the keepers and render the animatic."""

from __future__ import annotations

import io
import re
import zipfile

import av
import pytest
from PIL import Image
from playwright.sync_api import expect

from generations.models import Generation
from storyboards.models import AnimaticRender, Shot, Storyboard, Take
from tests.conftest import ARTIFACTS
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


def add_shot(page, prompt: str, *, suggested: str = "") -> None:
    """Add a shot through its form; `suggested` is typed first and finished by choosing
    the @ suggestion, as a designer would."""
    page.get_by_role("link", name="Add shot").click()
    page.wait_for_load_state("load")  # the @ suggestions' script is in
    page.get_by_label("Mode", exact=True).select_option(label="Reference to image")
    field = page.get_by_label("Prompt")
    if suggested:
        field.press_sequentially(suggested)
        expect(page.get_by_role("option", name="@Mia")).to_be_visible()
        save_screenshot(page, "storyboard-shot-form-autocomplete")
        field.press("Enter")
        field.press_sequentially(prompt)
    else:
        field.fill(prompt)
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

    add_shot(page, "walks along the @Harbour", suggested="@Mi")
    add_shot(page, "@Mia looks at the boats")
    add_shot(page, "The @Harbour at sunrise, wide")
    storyboard = Storyboard.objects.get()
    first, second, third = storyboard.shots.all()
    assert page.locator(".shot-card[data-shot]").count() == 3
    screenshot(page, "storyboard-three-shots")

    generate_and_keep(page, first)
    still = generate_and_keep(page, second)
    page.locator(".shot-visual.status-kept").nth(1).wait_for()
    screenshot(page, "storyboard-keepers")

    page.get_by_role("button", name=f"Animate take #{still.generation_id}").click()
    page.locator("#shot-panel article[data-generation]").nth(1).wait_for()
    clip = Take.objects.filter(shot=second).latest("pk")
    assert clip.generation.mode == "image_to_video"
    page.locator(f'article[data-generation="{clip.generation_id}"][data-state="ready"]').wait_for(
        timeout=60_000
    )
    screenshot(page, "storyboard-animated")

    # Drag the third shot (by its picture) in front of the first.
    page.locator(f'li[data-shot="{third.pk}"] .shot-visual').drag_to(
        page.locator(f'li[data-shot="{first.pk}"]'), target_position={"x": 8, "y": 60}
    )
    # The server's answer renumbers the board.
    page.locator(f'li[data-shot="{third.pk}"] .shot-title', has_text="Shot 1").wait_for()
    assert list(storyboard.shots.values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    assert page.locator(".shot-card[data-shot]").first.get_attribute("data-shot") == str(third.pk)
    screenshot(page, "storyboard-reordered")

    # Export: the keepers in a ZIP named by shot number, with the manifest.
    page.locator("summary", has_text="Export").click()
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


# --- the board: live status, keepers, fields edited in place, the toolbar on a phone -----------


def make_board(project, prompts: list[str], *, mode: str = "text_to_image") -> Storyboard:
    storyboard = Storyboard.objects.create(
        project=project,
        created_by=project.owner,
        title="Night market",
        notes="Handheld, neon and steam; end on the lantern.",
        aspect_ratio="16:9",
    )
    for position, prompt in enumerate(prompts):
        Shot.objects.create(
            storyboard=storyboard, position=position, prompt=prompt, mode=mode, model="viduq2"
        )
    return storyboard


def pdf_page(pdf: bytes) -> tuple[tuple[float, float], Image.Image]:
    """The first page's size in points and its picture: the contact sheet's pages are
    images, one a page, so the page is its embedded JPEG."""
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    start = pdf.index(b"stream", pdf.index(b"/DCTDecode")) + len(b"stream")
    start += 2 if pdf[start : start + 2] == b"\r\n" else 1
    data = pdf[start : pdf.index(b"endstream", start)]
    return (float(box.group(1)), float(box.group(2))), Image.open(io.BytesIO(data))


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_batch_turns_from_generating_to_done_by_itself_and_the_board_shows_keepers(tab, pipeline):
    page = tab
    page.set_viewport_size({"width": 1440, "height": 900})
    storyboard = make_board(
        pipeline.project,
        [
            "A night market under strings of lanterns, wide",
            "Steam rising from a noodle stall, close",
            "A lantern swaying in the wind, slow",
        ],
    )
    page.goto(storyboard.get_absolute_url())
    page.get_by_role("link", name="Generate missing").click()
    page.get_by_role("button", name="Generate 3 takes").click()

    # Back on the board: the banner counts the batch, the cards say they are generating.
    banner = page.locator("#batch-progress .batch-progress")
    expect(banner).to_contain_text("of 3")
    save_screenshot(page, "storyboard-batch-running-1440")
    # ... and by themselves, with no reload, they turn done and the banner leaves.
    expect(page.locator(".shot-visual.status-ready")).to_have_count(3, timeout=60_000)
    expect(banner).to_have_count(0, timeout=30_000)
    expect(page.locator(".shot-visual .shot-status", has_text="Generating")).to_have_count(0)
    expect(page.locator("#shot-panel-status")).to_have_text("Ready")
    expect(page.locator(".shot-visual img")).to_have_count(3)
    assert not Generation.objects.exclude(state="ready").exists()

    # Keep the takes of two shots: their cards show the keeper's picture.
    for shot in storyboard.shots.all()[1:]:
        take = shot.takes.get()
        page.locator(f'li[data-shot="{shot.pk}"] .shot-title a').click()
        expect(page.locator("#shot-heading")).to_contain_text(f"Shot {shot.number}")
        page.get_by_role("button", name=f"Keep take #{take.generation_id}").click()
        expect(page.locator(f"#shot-{shot.pk}-visual")).to_contain_text("Keeper")
    expect(page.locator(".shot-visual.status-kept img")).to_have_count(2)
    expect(page.locator("#storyboard-summary")).to_contain_text("2 kept")
    screenshot(page, "storyboard-board-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_overflow(page)
    screenshot(page, "storyboard-board-keepers-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    # The contact sheet from the Export menu: an A4 PDF whose page shows the keepers.
    page.locator("summary", has_text="Export").click()
    link = page.get_by_role("link", name="Contact sheet, A4")
    pdf = page.request.get(link.get_attribute("href")).body()
    assert pdf.startswith(b"%PDF") and re.search(rb"/Count 1\b", pdf)
    (width, height), page_image = pdf_page(pdf)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    page_image.save(ARTIFACTS / "storyboard-contact-sheet-pdf-page-1.png")
    assert page_image.size == (1240, 1754)  # 150 dpi


def test_a_prompt_edited_in_place_with_the_at_suggestions_is_saved(tab, pipeline):
    page = tab
    page.set_viewport_size({"width": 1440, "height": 900})
    storyboard = make_board(
        pipeline.project,
        ["The harbour at dawn", "Boats in the fog"],
        mode="reference_to_image",
    )
    first = storyboard.shots.first()
    page.goto(storyboard.get_absolute_url())

    page.get_by_role("link", name="Edit the prompt of shot 1").click()
    prompt = page.get_by_label("Prompt of shot 1")
    expect(prompt).to_be_focused()
    prompt.press("Control+a")
    prompt.press_sequentially("Close on @Mi")
    suggestion = page.get_by_role("option", name="@Mia")
    expect(suggestion).to_be_visible()
    screenshot(page, "storyboard-inline-autocomplete")
    prompt.press("Enter")  # chooses the subject
    expect(prompt).to_have_value("Close on @Mia ")
    prompt.press_sequentially("by the water")
    prompt.press("Enter")  # saves

    shown = page.locator(f"#shot-{first.pk}-prompt")
    expect(shown.locator(".mention")).to_have_text("@Mia")
    expect(shown).to_contain_text("Close on @Mia by the water")
    expect(page.locator("#shot-panel-prompt")).to_contain_text("Close on @Mia by the water")
    first.refresh_from_db()
    assert first.prompt == "Close on @Mia by the water"

    # A duration out of range is answered by the field; Escape leaves a field as it was.
    page.get_by_role("link", name="Edit the duration of shot 2").click()
    duration = page.get_by_label("Duration of shot 2")
    duration.fill("0")
    duration.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("greater than or equal to 1")
    expect(page.get_by_label("Duration of shot 2")).to_be_focused()
    page.get_by_label("Duration of shot 2").fill("6")
    page.get_by_label("Duration of shot 2").press("Enter")
    expect(page.get_by_role("link", name="Edit the duration of shot 2")).to_contain_text("6 s")
    expect(page.locator("#storyboard-summary")).to_contain_text("10 s")
    page.get_by_role("link", name="Edit the prompt of shot 2").click()
    page.get_by_label("Prompt of shot 2").fill("Something else")
    page.get_by_label("Prompt of shot 2").press("Escape")
    expect(page.get_by_role("link", name="Edit the prompt of shot 2")).to_contain_text(
        "Boats in the fog"
    )
    assert list(storyboard.shots.values_list("duration", "prompt")) == [
        (4, "Close on @Mia by the water"),
        (6, "Boats in the fog"),
    ]
    page.emulate_media(color_scheme="dark")
    page.reload()
    expect(page.locator('[data-live-status="connected"]')).to_be_visible()
    screenshot(page, "storyboard-board-dark-1440")


def test_on_a_phone_the_toolbar_fits_and_the_board_starts_on_the_first_screen(tab, pipeline):
    page = tab
    storyboard = make_board(
        pipeline.project,
        ["A night market, wide", "Steam from a stall", "A lantern in the wind", "Closing shot"],
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(storyboard.get_absolute_url())

    expect(page.get_by_role("link", name="Add shot")).to_be_visible()
    expect(page.get_by_role("link", name="Generate missing")).to_be_visible()
    expect(page.get_by_role("button", name="Animatic", exact=True)).to_be_visible()
    assert no_horizontal_overflow(page)
    toolbar = page.locator(".board-toolbar").bounding_box()
    first_card = page.locator(".shot-card[data-shot]").first.bounding_box()
    assert toolbar["y"] + toolbar["height"] < 844 / 2  # the header leaves room for the board
    assert first_card["y"] < 844
    screenshot(page, "storyboard-board-390")

    # The Export menu opens within the screen, and so does the shot's own menu.
    page.locator("summary", has_text="Export").click()
    menu = page.locator(".board-toolbar .menu-panel").first
    expect(menu.get_by_role("link", name="Contact sheet, Letter")).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "storyboard-export-menu-390.png"))
    page.keyboard.press("Escape")

    # Choosing a shot brings its panel into view below the cards.
    page.locator(".shot-card[data-shot]").nth(3).locator(".shot-title a").click()
    expect(page.locator("#shot-heading")).to_contain_text("Shot 4")
    expect(page.locator("#shot-panel")).to_be_in_viewport()
    assert no_horizontal_overflow(page)
