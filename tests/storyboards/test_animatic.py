"""The animatic: one MP4 of every shot's keeper for the shot's duration, rendered in
the background with a progress bar and a download link."""

from __future__ import annotations

import io
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from projects.models import ProjectMembership
from storyboards import animatic, services
from storyboards.models import Shot
from tests.generations.gallery_factories import make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take


def real_clip(seconds: float, size: tuple[int, int] = (320, 180), fps: int = 24) -> bytes:
    """A small real H.264 MP4 that fades from red to blue."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            count = round(seconds * fps)
            for index in range(count):
                shade = round(255 * index / max(1, count - 1))
                image = Image.new("RGB", size, (255 - shade, 40, shade))
                frame = av.VideoFrame.from_image(image).reformat(format="yuv420p")
                frame.pts, frame.time_base = index, Fraction(1, fps)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


def keep(shot: Shot, *, still: bool, clip: bytes | None = None) -> None:
    take = make_take(shot, still=still)
    if clip is not None:
        output = take.generation.outputs.get()
        Path(default_storage.path(output.file.name)).write_bytes(clip)
    services.choose_keeper(shot=shot, take=take)


def probe(data: bytes) -> tuple[float, int, set[tuple[int, int]]]:
    """(duration in seconds, decoded frames, frame sizes)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        sizes = {(frame.width, frame.height) for frame in container.decode(video=0)}
        frames = stream.frames
    return duration, frames, sizes


@pytest.fixture
def board(alice):
    """A clip shorter than its shot, a clip longer than its shot, a still, and nothing."""
    storyboard = make_storyboard(make_project(alice))
    shots = make_shots(storyboard, 4)
    for shot, duration in zip(shots, (2, 1, 1, 1), strict=True):
        shot.duration = duration
        shot.save(update_fields=["duration"])
    keep(shots[0], still=False, clip=real_clip(1.0))
    keep(shots[1], still=False, clip=real_clip(1.5, size=(240, 240), fps=30))
    keep(shots[2], still=True)
    return storyboard


def test_the_animatic_lasts_the_sum_of_the_shot_durations(board):
    seen = []
    data = animatic.render_animatic(board, progress=seen.append)

    duration, frames, sizes = probe(data)
    expected = sum(shot.duration for shot in board.shots.all())
    assert abs(duration - expected) <= 1 / animatic.FPS
    assert frames == expected * animatic.FPS
    assert sizes == {animatic.SIZE}
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_a_clip_that_cannot_be_decoded_falls_back_to_a_still(alice):
    storyboard = make_storyboard(make_project(alice))
    (shot,) = make_shots(storyboard, 1)
    keep(shot, still=False)  # add_clip's bytes are not an MP4

    duration, frames, sizes = probe(animatic.render_animatic(storyboard))

    assert frames == shot.duration * animatic.FPS
    assert sizes == {animatic.SIZE}


def wait_until_done(storyboard, deadline: float = 60) -> dict:
    until = time.monotonic() + deadline
    while (found := animatic.status(storyboard))["state"] == "running":
        assert time.monotonic() < until, "the animatic did not finish in time"
        time.sleep(0.1)
    return found


def test_post_then_progress_then_download(client, alice, board):
    client.force_login(alice)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}
    page = client.get(reverse("storyboards:detail", kwargs=kwargs)).content.decode()
    assert reverse("storyboards:animatic", kwargs=kwargs) in page

    response = client.post(reverse("storyboards:animatic", kwargs=kwargs), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert wait_until_done(board)["state"] == "done"

    partial = client.get(reverse("storyboards:animatic_progress", kwargs=kwargs))
    assert "Download animatic" in partial.content.decode()
    download = client.get(reverse("storyboards:download_animatic", kwargs=kwargs))
    assert download.status_code == 200
    assert download["Content-Type"] == "video/mp4"
    duration, _frames, sizes = probe(b"".join(download.streaming_content))
    assert abs(duration - 5) <= 1 / animatic.FPS
    assert sizes == {animatic.SIZE}


def test_a_running_render_shows_a_polling_progress_bar(client, alice, board, monkeypatch):
    monkeypatch.setattr(animatic.threading.Thread, "start", lambda self: None)
    client.force_login(alice)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}

    client.post(reverse("storyboards:animatic", kwargs=kwargs))
    partial = client.get(reverse("storyboards:animatic_progress", kwargs=kwargs)).content.decode()

    assert 'hx-trigger="every 1s"' in partial and "<progress" in partial
    assert not animatic.start(board)  # one render at a time
    assert client.get(reverse("storyboards:download_animatic", kwargs=kwargs)).status_code == 404


def test_before_any_render_there_is_nothing_to_download(client, alice, board):
    client.force_login(alice)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}
    assert client.get(reverse("storyboards:download_animatic", kwargs=kwargs)).status_code == 404


@pytest.mark.parametrize("name", ["animatic", "animatic_progress", "download_animatic"])
def test_a_stranger_gets_404(client, charlie, board, name):
    animatic._write_status(animatic.folder(board) / "status.json", "done", 1.0)
    animatic.video_path(board).write_bytes(b"mp4")
    client.force_login(charlie)
    url = reverse(f"storyboards:{name}", args=[board.project_id, board.pk])
    method = client.post if name == "animatic" else client.get
    assert method(url).status_code == 404


def test_a_viewer_cannot_start_the_render_but_may_download_a_finished_one(
    client, bob, board, monkeypatch
):
    monkeypatch.setattr(animatic.threading.Thread, "start", lambda self: None)
    ProjectMembership.objects.create(project=board.project, user=bob, role="viewer")
    client.force_login(bob)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}

    response = client.post(reverse("storyboards:animatic", kwargs=kwargs))

    assert response.status_code == 403
    assert animatic.status(board)["state"] != "running"
    animatic._write_status(animatic.folder(board) / "status.json", "done", 1.0)
    animatic.video_path(board).write_bytes(b"mp4")
    page = client.get(reverse("storyboards:detail", kwargs=kwargs)).content.decode()
    assert reverse("storyboards:animatic", kwargs=kwargs) not in page
    assert reverse("storyboards:download_animatic", kwargs=kwargs) in page
