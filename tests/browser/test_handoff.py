"""Hand-off in Chromium: the Export menu's timeline formats download a ZIP an editor can
open, and an edited timeline and a shot list are previewed before they change the board."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest
from playwright.sync_api import expect

from projects.models import ProjectMembership
from review import timeline
from storyboards.models import Shot
from tests.factories import PASSWORD
from tests.generations.gallery_factories import make_project
from tests.storyboards.factories import make_storyboard, make_take

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-p4")


@pytest.fixture
def board(alice, bob):
    """Alice's board of three shots, the first two kept; bob edits the project."""
    project = make_project(alice, "Harbour")
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    storyboard = make_storyboard(project, "Harbour film")
    for n, title in enumerate(["Harbour at dawn", "Night market", "Gulls"]):
        shot = Shot.objects.create(
            storyboard=storyboard,
            position=n,
            title=title,
            prompt=f"{title}, wide",
            duration=3 + n,
            model="viduq2",
        )
        if n < 2:
            Shot.objects.filter(pk=shot.pk).update(keeper=make_take(shot))
    return storyboard


def logged_in(chromium_browser, live_studio, username: str):
    context = chromium_browser.new_context(
        base_url=live_studio.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    return context, page


def test_an_editor_downloads_the_edl_zip_from_the_export_timeline_menu(
    chromium_browser, live_studio, board
):
    SHOTS.mkdir(exist_ok=True)
    context, page = logged_in(chromium_browser, live_studio, "bob")
    try:
        page.goto(board.get_absolute_url())
        page.locator(".board-toolbar summary", has_text="Export").click()
        expect(page.get_by_role("link", name="Export timeline", exact=True)).to_be_visible()
        for label in ("OpenTimelineIO (.otio)", "Final Cut Pro 7 XML"):
            expect(page.get_by_role("link", name=label, exact=True)).to_be_visible()
        page.screenshot(path=str(SHOTS / "export-menu.png"))

        with page.expect_download() as download:
            page.get_by_role("link", name="EDL", exact=True).click()
        data = Path(download.value.path()).read_bytes()
    finally:
        context.close()

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == [
        "harbour-film.edl",
        "media/01_harbour-at-dawn.png",
        "media/02_night-market.png",
    ]
    edl = otio.adapters.read_from_string(archive.read("harbour-film.edl").decode(), "cmx_3600")
    names = [(c.name, c.duration().to_seconds()) for c in edl.video_tracks()[0]]
    assert names == [("01 Harbour at dawn", 3.0), ("02 Night market", 4.0), ("03 Gulls", 5.0)]


def test_an_editor_previews_an_edited_timeline_and_a_shot_list_before_applying(
    chromium_browser, live_studio, board, tmp_path
):
    SHOTS.mkdir(exist_ok=True)
    entries = timeline.entries_for(board)
    edit = timeline.build_timeline(board, entries)
    clips = [clip.clone() for clip in edit.tracks[0]]
    del edit.tracks[0]
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    edit.tracks.append(track)
    for clip in reversed(clips):
        track.append(clip)
    otio_file = tmp_path / "edit.otio"
    otio_file.write_text(otio.adapters.write_to_string(edit, "otio_json"))
    csv_file = tmp_path / "shots.csv"
    csv_file.write_text(
        "Title,Prompt,Duration\nLighthouse,A lighthouse,6\nPier,@Nobody on a pier,4\n"
    )
    context, page = logged_in(chromium_browser, live_studio, "bob")
    try:
        page.goto(board.get_absolute_url())
        page.locator(".board-toolbar summary", has_text="Export").click()
        page.get_by_role("link", name="Import edited timeline").click()
        # htmx is in, so the two previews sit side by side (without it, each is a page).
        page.wait_for_load_state("load")
        page.get_by_label("Edited timeline", exact=True).set_input_files(str(otio_file))
        page.get_by_role("button", name="Preview changes").click()
        preview = page.locator("#import-timeline .handoff-preview")
        expect(preview).to_contain_text("03 Gulls → position 1")
        expect(preview).to_contain_text("01 Harbour at dawn → position 3")

        page.get_by_label("Shot list (CSV)", exact=True).set_input_files(str(csv_file))
        page.get_by_role("button", name="Preview shots").click()
        expect(page.locator("#import-shot-list")).to_contain_text("Unknown @names: @Nobody")
        page.screenshot(path=str(SHOTS / "import-previews.png"), full_page=True)

        page.get_by_role("button", name="Apply the edit").click()
        expect(page.get_by_text("The edit is applied: 2 shots changed.")).to_be_visible()
        page.screenshot(path=str(SHOTS / "board-after-edit.png"))
    finally:
        context.close()

    assert list(board.shots.order_by("position").values_list("title", flat=True)) == [
        "Gulls",
        "Night market",
        "Harbour at dawn",
    ]
    assert board.shots.count() == 3  # the shot list with an unknown name added nothing
