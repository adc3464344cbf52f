"""Editor hand-off: the board as OpenTimelineIO, FCP 7 XML and EDL in a ZIP with the
keepers, and an edited .otio brought back as the board's order and durations."""

from __future__ import annotations

import io
import json
import zipfile

import av
import opentimelineio as otio
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations.models import GenerationOutput, Mode
from projects.models import Activity, ProjectMembership, Verb
from review import timeline
from simulator.media import render_video
from storyboards.models import Shot, Take
from tests.factories import body_of
from tests.generations.gallery_factories import make_generation, make_project
from tests.storyboards.factories import make_storyboard, make_take, order_of


def add_real_clip(shot: Shot, *, seconds: int) -> Take:
    """A kept clip with real MP4 bytes (24 fps), as the studio stores them."""
    project = shot.storyboard.project
    generation = make_generation(project, shot.prompt, state="ready", mode=Mode.TEXT_TO_VIDEO)
    data = render_video(prompt=shot.prompt, seed=7, width=160, height=96, duration=seconds)
    name = default_storage.save(f"outputs/{project.pk}/{generation.pk}/clip.mp4", ContentFile(data))
    GenerationOutput.objects.create(
        generation=generation,
        kind=GenerationOutput.Kind.VIDEO,
        file=name,
        content_type="video/mp4",
        sha256="0" * 64,
        size=len(data),
        width=160,
        height=96,
        duration=float(seconds),
    )
    take = Take.objects.create(shot=shot, generation=generation)
    Shot.objects.filter(pk=shot.pk).update(keeper=take)
    return take


def keep(shot: Shot) -> Take:
    take = make_take(shot)
    Shot.objects.filter(pk=shot.pk).update(keeper=take)
    return take


@pytest.fixture
def board(alice, bob):
    """Alice's board: a kept still, a kept 5 s clip cut to 4 s, a shot with no keeper;
    bob edits the project."""
    project = make_project(alice)
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    storyboard = make_storyboard(project, "Harbour film")
    specs = [
        ("Harbour at dawn", "A @Mia harbour at dawn", 3, "Slow push in"),
        ("Night market", "Lanterns, a crowd", 4, ""),
        ("Gulls", "Gulls over the water", 2, "Needs sound"),
    ]
    shots = [
        Shot.objects.create(
            storyboard=storyboard,
            position=n,
            title=title,
            prompt=prompt,
            duration=duration,
            notes=notes,
            model="viduq2",
        )
        for n, (title, prompt, duration, notes) in enumerate(specs)
    ]
    keep(shots[0])
    add_real_clip(shots[1], seconds=5)
    return storyboard


def exported(storyboard, key: str) -> zipfile.ZipFile:
    archive = timeline.timeline_zip(storyboard, timeline.FORMATS[key])
    return zipfile.ZipFile(io.BytesIO(b"".join(archive)))


def read_timeline(storyboard, key: str) -> otio.schema.Timeline:
    fmt = timeline.FORMATS[key]
    archive = exported(storyboard, key)
    name = next(n for n in archive.namelist() if n.endswith("." + fmt.extension))
    return otio.adapters.read_from_string(archive.read(name).decode(), fmt.adapter)


def shots_of(read: otio.schema.Timeline) -> list[tuple[str, float]]:
    return [(clip.name, clip.duration().to_seconds()) for clip in read.video_tracks()[0]]


EXPECTED = [("01 Harbour at dawn", 3.0), ("02 Night market", 4.0), ("03 Gulls", 2.0)]


# --- export --------------------------------------------------------------------------------


def test_the_otio_export_reads_back_as_the_boards_shots_in_order_and_duration(board):
    assert shots_of(read_timeline(board, "otio")) == EXPECTED


def test_the_final_cut_7_xml_export_reads_back_as_the_same_shots(board):
    assert shots_of(read_timeline(board, "fcp7")) == EXPECTED


def test_the_edl_export_reads_back_as_the_same_shots(board):
    assert shots_of(read_timeline(board, "edl")) == EXPECTED


def test_clips_reference_the_keepers_beside_the_timeline_by_relative_path(board):
    for key in timeline.FORMATS:
        archive = exported(board, key)
        clips = list(read_timeline(board, key).video_tracks()[0])
        paths = [clip.media_reference.target_url for clip in clips[:2]]

        assert paths == ["media/01_harbour-at-dawn.png", "media/02_night-market.mp4"], key
        assert set(paths) <= set(archive.namelist()), key


def test_the_zips_media_are_the_keepers_bytes_and_open(board):
    archive = exported(board, "edl")
    still, clip = (
        shot.keeper_output
        for shot in board.shots.prefetch_related("takes__generation__outputs")[:2]
    )

    with default_storage.open(still.file.name) as stored:
        assert archive.read("media/01_harbour-at-dawn.png") == stored.read()
    with default_storage.open(clip.file.name) as stored:
        assert archive.read("media/02_night-market.mp4") == stored.read()
    assert Image.open(io.BytesIO(archive.read("media/01_harbour-at-dawn.png"))).size == (320, 180)
    with av.open(io.BytesIO(archive.read("media/02_night-market.mp4"))) as media:
        frames = sum(1 for _ in media.decode(video=0))
    assert frames == 5 * 24


def test_a_shot_without_a_keeper_is_black_with_its_name_so_the_hole_shows(board):
    otio_clip = list(read_timeline(board, "otio").video_tracks()[0])[2]
    edl = exported(board, "edl").read("harbour-film.edl").decode()

    assert otio_clip.name == "03 Gulls"
    assert isinstance(otio_clip.media_reference, otio.schema.GeneratorReference)
    assert "No keeper yet" in [marker.name for marker in otio_clip.markers]
    assert "003  BL " in edl
    assert "* FROM CLIP NAME:  03 Gulls" in edl


def test_prompts_and_notes_are_markers_on_each_clip(board):
    clips = list(read_timeline(board, "otio").video_tracks()[0])

    assert [m.name for m in clips[0].markers] == [
        "Prompt: A @Mia harbour at dawn",
        "Notes: Slow push in",
    ]
    assert [m.name for m in clips[1].markers] == ["Prompt: Lanterns, a crowd"]
    edl = exported(board, "edl").read("harbour-film.edl").decode()
    assert "PROMPT: A @MIA HARBOUR AT DAWN" in edl


def test_edl_reel_names_fit_cmx_3600(board):
    edl = exported(board, "edl").read("harbour-film.edl").decode()
    events = [line.split() for line in edl.splitlines() if line[:3].isdigit()]

    reels = [event[1] for event in events]
    assert reels == ["SHOT0001", "SHOT0002", "BL"]
    assert all(len(reel) <= 8 and reel.isalnum() for reel in reels)


def test_a_clip_is_trimmed_to_its_shot_and_a_still_is_held_for_it(board):
    clips = list(read_timeline(board, "otio").video_tracks()[0])

    assert clips[1].source_range.duration.to_seconds() == 4.0
    assert clips[1].media_reference.available_range.duration.to_seconds() == 5.0
    assert clips[0].media_reference.available_range.duration.to_seconds() == 3.0


def test_a_clip_shorter_than_its_shot_holds_its_last_frame(board):
    Shot.objects.filter(storyboard=board, position=1).update(duration=7)
    clips = list(read_timeline(board, "otio").video_tracks()[0])

    assert [c.name for c in clips] == [
        "01 Harbour at dawn",
        "02 Night market",
        "02 Night market (hold)",
        "03 Gulls",
    ]
    assert clips[1].duration().to_seconds() + clips[2].duration().to_seconds() == 7.0
    assert isinstance(clips[2].effects[0], otio.schema.FreezeFrame)


def test_the_timeline_runs_at_the_clips_rate_and_the_sequence_has_their_size(board):
    xml = exported(board, "fcp7").read("harbour-film.xml").decode()

    assert "<timebase>24</timebase>" in xml
    assert "<width>320</width>" in xml and "<height>180</height>" in xml


def test_the_export_link_downloads_a_sized_zip_and_says_so_in_the_activity(client, alice, board):
    client.force_login(alice)
    url = reverse("review:export_timeline", args=[board.project_id, board.pk, "otio"])

    response = client.get(url)

    data = body_of(response)
    assert response["Content-Type"] == "application/zip"
    assert int(response["Content-Length"]) == len(data)
    assert "harbour-film.otio" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert Activity.objects.filter(project=board.project, verb=Verb.EXPORTED).exists()


def test_an_unknown_format_is_404(client, alice, board):
    client.force_login(alice)
    url = reverse("review:export_timeline", args=[board.project_id, board.pk, "fcpx"])

    assert client.get(url).status_code == 404


def test_the_export_menu_offers_the_timeline_formats(client, alice, board):
    client.force_login(alice)

    page = client.get(board.get_absolute_url()).content.decode()

    for label in (
        ">Export timeline<",
        ">OpenTimelineIO (.otio)<",
        ">Final Cut Pro 7 XML<",
        ">EDL<",
    ):
        assert label in page
    assert ">Import shot list<" in page and ">Import edited timeline<" in page


# --- re-import -----------------------------------------------------------------------------


def edited(board, *, order: list[int], seconds: list[float], strip_ids: bool = False) -> bytes:
    """The board's own .otio as an editor would send it back: clips reordered, retimed."""
    read = read_timeline(board, "otio")
    clips = [clip.clone() for clip in read.tracks[0]]
    del read.tracks[0]
    track = otio.schema.Track(name="Edit", kind=otio.schema.TrackKind.Video)
    read.tracks.append(track)
    for index, duration in zip(order, seconds, strict=True):
        clip = clips[index]
        rate = clip.source_range.start_time.rate
        clip.source_range = otio.opentime.TimeRange(
            clip.source_range.start_time, otio.opentime.RationalTime(duration * rate, rate)
        )
        if strip_ids:
            clip.metadata.pop("studio", None)
        track.append(clip)
    if strip_ids:
        read.metadata.pop("studio", None)
    return otio.adapters.write_to_string(read, "otio_json").encode()


def upload(data: bytes, name: str = "edit.otio") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/json")


def import_url(board) -> str:
    return reverse("review:import_timeline", args=[board.project_id, board.pk])


def apply_url(board) -> str:
    return reverse("review:apply_timeline", args=[board.project_id, board.pk])


def token_in(page: str) -> str:
    start = page.index('name="token" value="') + len('name="token" value="')
    return page[start : page.index('"', start)]


def test_an_edited_otio_reorders_and_retimes_the_board_after_a_preview(client, bob, board):
    client.force_login(bob)
    before = order_of(board)
    data = edited(board, order=[2, 0, 1], seconds=[5, 3, 6])

    preview = client.post(import_url(board), {"timeline": upload(data)}).content.decode()

    assert "What the edit changes" in preview
    assert "03 Gulls → position 1" in preview
    assert "03 Gulls: 2 s → 5 s" in preview and "02 Night market: 4 s → 6 s" in preview
    assert order_of(board) == before  # nothing written by the preview
    response = client.post(apply_url(board), {"token": token_in(preview)})
    assert response.status_code == 302
    assert order_of(board) == [before[2], before[0], before[1]]
    assert list(board.shots.order_by("position").values_list("duration", flat=True)) == [5, 3, 6]
    assert Activity.objects.filter(project=board.project, verb=Verb.IMPORTED, actor=bob).exists()


def test_clips_are_matched_by_name_when_the_editor_lost_the_studios_metadata(client, bob, board):
    client.force_login(bob)
    data = edited(board, order=[1, 0, 2], seconds=[4, 3, 2], strip_ids=True)

    preview = client.post(import_url(board), {"timeline": upload(data)}).content.decode()
    client.post(apply_url(board), {"token": token_in(preview)})

    assert list(board.shots.order_by("position").values_list("title", flat=True)) == [
        "Night market",
        "Harbour at dawn",
        "Gulls",
    ]


def test_unknown_clips_are_ignored_with_a_note_and_left_out_shots_go_last(client, bob, board):
    client.force_login(bob)
    read = otio.adapters.read_from_string(edited(board, order=[1, 0], seconds=[4, 3]).decode())
    read.video_tracks()[0].append(otio.schema.Clip(name="Stock sunset"))
    data = otio.adapters.write_to_string(read, "otio_json").encode()

    preview = client.post(import_url(board), {"timeline": upload(data)}).content.decode()

    assert "Clips that are not shots of this board are ignored" in preview
    assert "Stock sunset" in preview
    assert "Not in the edit, so kept and placed at the end" in preview and "03 Gulls" in preview


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"TITLE: not json\n001  AX V C", "it is not JSON"),
        (json.dumps({"hello": "world"}).encode(), "not a timeline OpenTimelineIO can read"),
        (
            otio.adapters.write_to_string(otio.schema.Clip(name="x"), "otio_json").encode(),
            "holds no timeline",
        ),
    ],
)
def test_a_file_that_is_not_an_edited_timeline_is_refused_clearly(
    client, bob, board, data, message
):
    client.force_login(bob)
    before = order_of(board)

    page = client.post(import_url(board), {"timeline": upload(data)}).content.decode()

    assert message in page
    assert order_of(board) == before


def hostile_timeline() -> bytes:
    """What a careless or hostile editor might send: metadata of the wrong shape, a clip
    with no range, a rate of 0."""
    timeline = otio.schema.Timeline(name="Edit", metadata={"studio": "not a dictionary"})
    track = otio.schema.Track()
    timeline.tracks.append(track)
    track.append(otio.schema.Clip(name="01 Harbour at dawn", metadata={"studio": 3}))
    zero = otio.opentime.RationalTime(0, 0)
    track.append(
        otio.schema.Clip(name="02 Night market", source_range=otio.opentime.TimeRange(zero, zero))
    )
    return otio.adapters.write_to_string(timeline, "otio_json").encode()


@pytest.mark.parametrize(
    "data", [hostile_timeline(), b"[" * 200_000], ids=["odd-clips", "deep-json"]
)
def test_a_malformed_timeline_is_refused_in_words_not_with_an_error_page(client, bob, board, data):
    client.force_login(bob)
    before = order_of(board)

    answer = client.post(import_url(board), {"timeline": upload(data)})

    assert answer.status_code == 200
    assert "No clip of this timeline matches" in answer.content.decode() or (
        "not JSON" in answer.content.decode()
    )
    assert order_of(board) == before


def test_a_timeline_of_another_board_is_refused(client, alice, bob, board):
    other = make_storyboard(board.project, "Other film")
    Shot.objects.create(storyboard=other, position=0, title="Harbour at dawn", model="viduq2")
    client.force_login(bob)

    page = client.post(
        import_url(other), {"timeline": upload(edited(board, order=[0, 1, 2], seconds=[3, 4, 2]))}
    )

    assert "exported from another storyboard" in page.content.decode()


def test_a_preview_for_one_board_cannot_be_applied_to_another(client, bob, board):
    other = make_storyboard(board.project, "Other film")
    client.force_login(bob)
    preview = client.post(
        import_url(board), {"timeline": upload(edited(board, order=[2, 1, 0], seconds=[2, 4, 3]))}
    )

    response = client.post(
        apply_url(other), {"token": token_in(preview.content.decode())}, follow=True
    )

    assert "expired or was not made for this storyboard" in response.content.decode()


def test_a_viewer_cannot_import_a_timeline(client, board, django_user_model):
    viewer = django_user_model.objects.create_user("vera", password="x")
    ProjectMembership.objects.create(project=board.project, user=viewer, role="viewer")
    client.force_login(viewer)
    data = edited(board, order=[2, 1, 0], seconds=[2, 4, 3])

    assert client.post(import_url(board), {"timeline": upload(data)}).status_code == 403
    assert client.post(apply_url(board), {"token": "x"}).status_code == 403
    assert (
        client.get(reverse("review:handoff", args=[board.project_id, board.pk])).status_code == 200
    )


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("handoff", "get", ()),
        ("export_timeline", "get", ("edl",)),
        ("import_timeline", "post", ()),
        ("apply_timeline", "post", ()),
    ],
)
def test_charlie_gets_404_for_the_hand_off_of_alices_board(
    client, charlie, board, name, method, extra
):
    client.force_login(charlie)
    url = reverse(f"review:{name}", args=[board.project_id, board.pk, *extra])

    assert getattr(client, method)(url).status_code == 404
