"""Compare: any two of the chosen results under a slider, videos on one shared playhead,
and the best one starred and kept without leaving compare."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from generations.models import Mode, Review, State
from tests.browser.test_gallery_flow import RECORD_VIOLATIONS, card, log_in, open_gallery
from tests.conftest import screenshot
from tests.generations.gallery_factories import add_rendered_output, make_generation, make_project

pytestmark = pytest.mark.browser

FPS = 12  # the clips below; a frame is 1/12 s


@pytest.fixture
def clips(live_studio, alice):
    """Two finished clips and a still, newest first."""
    project = make_project(alice, "Harbour")
    made = []
    for n, prompt in enumerate(["Waves on the pier at dusk", "Waves on the pier at night"]):
        clip = make_generation(
            project, prompt, state=State.READY, mode=Mode.TEXT_TO_VIDEO, seed=40 + n
        )
        add_rendered_output(clip, width=320, height=180, video=True, duration=3.0, fps=FPS)
        made.append(clip)
    still = make_generation(project, "The pier, a still", state=State.READY, seed=7)
    add_rendered_output(still, width=640, height=360)
    made.append(still)
    return project, made[::-1]


def playhead(page) -> list[dict]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.cmp video[data-compare-video]')).map(
            (v) => ({
                id: v.dataset.compareVideo, time: v.currentTime, paused: v.paused, muted: v.muted
            })
        )"""
    )


def test_two_videos_under_the_slider_share_one_playhead(page, clips):
    project, (still, night, dusk) = clips
    page.set_viewport_size({"width": 1440, "height": 900})
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, "alice")
    open_gallery(page, project)

    page.get_by_role("button", name="Select").click()
    for generation in (still, night, dusk):
        card(page, generation).click()
    page.get_by_role("button", name="Add to compare").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator(".cmp-side figure")).to_have_count(3)
    page.get_by_role("link", name="Slider").click()
    expect(page.get_by_label("Right")).to_have_value(str(night.pk))
    page.get_by_label("Left").select_option(str(night.pk))  # the two sides swap
    expect(page.get_by_label("Right")).to_have_value(str(still.pk))
    page.get_by_label("Right").select_option(str(dusk.pk))
    expect(page.get_by_label("Right")).to_have_value(str(dusk.pk))
    slider = page.locator("[data-compare-slider]")
    expect(slider.locator("video")).to_have_count(2)
    expect(slider.locator("img")).to_have_count(0)
    page.locator("[data-compare-range]").fill("35")

    page.evaluate("() => document.querySelector('.cmp video[data-compare-video]').play()")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    assert [video["paused"] for video in playhead(page)] == [False, False]
    expect(page.locator("[data-compare-time]")).not_to_have_text("0:00.00")
    screenshot(page, "gallery-compare-videos-1440")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    left, right = playhead(page)
    assert left["paused"] and right["paused"]
    assert abs(left["time"] - right["time"]) < 1 / FPS

    page.get_by_role("button", name="Next frame").click()
    page.get_by_role("button", name="Next frame").click()
    stepped = playhead(page)
    assert stepped[0]["time"] > left["time"]
    assert abs(stepped[0]["time"] - stepped[1]["time"]) < 1 / FPS
    page.get_by_role("button", name=f"Mute #{dusk.pk}").click()
    muted = {video["id"]: video["muted"] for video in playhead(page)}
    assert muted == {str(night.pk): True, str(dusk.pk): False}

    page.get_by_role("button", name=f"Star #{night.pk}").click()
    expect(page.get_by_role("button", name=f"Star #{night.pk}")).to_have_text("★ Starred")
    page.get_by_role("button", name=f"Keep #{dusk.pk}").click()
    expect(page.get_by_role("button", name=f"Keep #{dusk.pk}")).to_have_text("✓ Kept")
    assert Review.objects.get(generation=night).starred
    assert "keeper" in Review.objects.get(generation=dusk).tags
    assert page.evaluate("window.cspViolations") == []


def test_compare_side_by_side_plays_videos_together_and_fits_a_phone(page, clips):
    project, (still, night, dusk) = clips
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "alice")
    page.goto(f"/projects/{project.pk}/gallery/compare/?ids={night.pk}&ids={dusk.pk}")

    expect(page.locator(".cmp-side video")).to_have_count(2)
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    assert [video["paused"] for video in playhead(page)] == [False, False]
    screenshot(page, "gallery-compare-videos-390")
