"""The animatic: one MP4 of every shot's keeper for the shot's duration, rendered as a
durable job (queued, rendering with progress, ready or failed with a reason) that a
renderer takes over when the one rendering it died, with a progress bar and a download."""

from __future__ import annotations

import io
import tempfile
import threading
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import av
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from projects.models import ProjectMembership
from storyboards import animatic, renders, services
from storyboards.models import AnimaticRender, Shot
from tests.factories import body_of
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
        name = take.generation.outputs.get().file.name
        default_storage.delete(name)
        assert default_storage.save(name, ContentFile(clip)) == name
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


def render_due(owner: str = "renderer-1") -> AnimaticRender | None:
    """What one turn of the render loop does: claim the oldest due render and render it."""
    job = renders.claim(owner)
    if job is not None:
        renders.render(job, owner)
        job.refresh_from_db()
    return job


def make_ready(storyboard) -> AnimaticRender:
    job = AnimaticRender.objects.create(storyboard=storyboard, state=AnimaticRender.State.READY)
    job.file.save("animatic.mp4", ContentFile(b"mp4"))
    return job


def test_a_render_goes_from_queued_through_rendering_to_ready_writing_progress(
    alice, board, monkeypatch
):
    job = renders.request_render(storyboard=board, user=alice)
    assert (job.state, job.progress) == (AnimaticRender.State.QUEUED, 0)
    seen = []
    real = animatic.write_animatic

    def watched(items, path, *, progress):
        def report(done: float) -> None:
            progress(done)
            row = AnimaticRender.objects.get(pk=job.pk)
            seen.append((row.state, row.progress))

        real(items, path, progress=report)

    monkeypatch.setattr(animatic, "write_animatic", watched)

    finished = render_due()

    assert finished.pk == job.pk
    assert {state for state, _ in seen} == {AnimaticRender.State.RENDERING}
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents) and len(set(percents)) > 2
    assert percents[0] > 0 and percents[-1] < 100
    assert (finished.state, finished.progress, finished.error_message) == ("ready", 100, "")
    assert finished.finished_at is not None and finished.lease_owner == ""
    with default_storage.open(finished.file.name) as stored:
        duration, _frames, sizes = probe(stored.read())
    assert abs(duration - 5) <= 1 / animatic.FPS
    assert sizes == {animatic.SIZE}
    assert render_due() is None  # nothing else to do


def test_a_render_whose_renderer_died_is_rendered_again_from_scratch(alice, board):
    job = renders.request_render(storyboard=board, user=alice)
    claimed = renders.claim("renderer-that-dies")
    assert claimed.pk == job.pk and claimed.state == "rendering"
    # It wrote some progress, then its process was killed: the lease is never renewed.
    AnimaticRender.objects.filter(pk=job.pk).update(progress=40)
    assert renders.claim("renderer-2") is None  # its lease still runs
    AnimaticRender.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    again = renders.claim("renderer-2")

    assert again.pk == job.pk
    assert (again.state, again.progress, again.attempts) == ("rendering", 0, 2)
    assert again.lease_owner == "renderer-2" and again.lease_expires_at > timezone.now()
    renders.render(again, "renderer-2")
    again.refresh_from_db()
    assert again.state == "ready" and again.progress == 100
    # The dead renderer's late writes no longer count.
    assert not renders._finish(job.pk, "renderer-that-dies", state="failed")
    assert AnimaticRender.objects.get(pk=job.pk).state == "ready"


def test_a_render_whose_renderer_keeps_dying_is_given_up_saying_why(alice, board):
    job = renders.request_render(storyboard=board, user=alice)
    for attempt in range(renders.MAX_ATTEMPTS):
        assert renders.claim(f"renderer-{attempt}").pk == job.pk
        AnimaticRender.objects.filter(pk=job.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )

    assert renders.claim("renderer-last") is None

    job.refresh_from_db()
    assert job.state == "failed"
    assert f"stopped {renders.MAX_ATTEMPTS} times" in job.error_message


def test_a_stopping_renderer_hands_its_render_back_for_the_next_one(alice, board):
    renders.request_render(storyboard=board, user=alice)
    job = renders.claim("renderer-1")
    stop = threading.Event()
    stop.set()  # the server is shutting down

    renders.render(job, "renderer-1", stop=stop)

    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.attempts) == ("queued", "", 0)
    assert render_due("renderer-2").state == "ready"


def test_a_failed_render_says_why_on_the_page(client, alice):
    storyboard = make_storyboard(make_project(alice))
    renders.request_render(storyboard=storyboard, user=alice)

    job = render_due()

    assert job.state == "failed" and not job.file
    assert job.error_message == "The storyboard has no shots to put in an animatic."
    client.force_login(alice)
    page = client.get(storyboard.get_absolute_url()).content.decode()
    assert "The animatic could not be rendered. The storyboard has no shots" in page
    assert "Render animatic again" not in page and ">Animatic</button>" in page


def test_a_render_that_breaks_midway_fails_with_the_error(alice, board, monkeypatch):
    renders.request_render(storyboard=board, user=alice)

    def broken(name, content, max_length=None):
        raise OSError("No space left on device")

    monkeypatch.setattr(default_storage, "save", broken)

    job = render_due()

    assert job.state == "failed" and "No space left on device" in job.error_message
    assert job.lease_owner == "" and job.finished_at is not None


def test_post_then_progress_then_download(client, alice, board):
    client.force_login(alice)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}
    page = client.get(reverse("storyboards:detail", kwargs=kwargs)).content.decode()
    assert reverse("storyboards:animatic", kwargs=kwargs) in page

    response = client.post(reverse("storyboards:animatic", kwargs=kwargs), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert render_due().state == "ready"

    partial = client.get(reverse("storyboards:animatic_progress", kwargs=kwargs))
    assert "Download animatic" in partial.content.decode()
    download = client.get(reverse("storyboards:download_animatic", kwargs=kwargs))
    assert download.status_code == 200
    assert download["Content-Type"] == "video/mp4"
    body = body_of(download)
    assert int(download["Content-Length"]) == len(body)
    duration, _frames, sizes = probe(body)
    assert abs(duration - 5) <= 1 / animatic.FPS
    assert sizes == {animatic.SIZE}


def test_rendering_again_replaces_the_previous_animatic(client, alice, board):
    renders.request_render(storyboard=board, user=alice)
    first = render_due()
    renders.request_render(storyboard=board, user=alice)
    second = render_due()

    assert second.pk != first.pk and second.state == "ready"
    assert list(AnimaticRender.objects.filter(storyboard=board)) == [second]
    assert not default_storage.exists(first.file.name)


def test_a_running_render_shows_a_polling_progress_bar(client, alice, board):
    client.force_login(alice)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}

    client.post(reverse("storyboards:animatic", kwargs=kwargs))
    queued = client.get(reverse("storyboards:animatic_progress", kwargs=kwargs)).content.decode()
    job = renders.claim("renderer-1")
    AnimaticRender.objects.filter(pk=job.pk).update(progress=37)
    partial = client.get(reverse("storyboards:animatic_progress", kwargs=kwargs)).content.decode()

    assert "Waiting to render the animatic" in queued and 'hx-trigger="every 1s"' in queued
    assert 'hx-trigger="every 1s"' in partial and "Rendering the animatic" in partial
    assert '<progress max="100" value="37">' in partial
    client.post(reverse("storyboards:animatic", kwargs=kwargs))  # one render at a time
    assert AnimaticRender.objects.count() == 1
    assert renders.request_render(storyboard=board, user=alice).pk == job.pk
    assert client.get(reverse("storyboards:download_animatic", kwargs=kwargs)).status_code == 404


def test_before_any_render_there_is_nothing_to_download(client, alice, board):
    client.force_login(alice)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}
    assert client.get(reverse("storyboards:download_animatic", kwargs=kwargs)).status_code == 404


@pytest.mark.parametrize("name", ["animatic", "animatic_progress", "download_animatic"])
def test_a_stranger_gets_404(client, charlie, board, name):
    make_ready(board)
    client.force_login(charlie)
    url = reverse(f"storyboards:{name}", args=[board.project_id, board.pk])
    method = client.post if name == "animatic" else client.get
    assert method(url).status_code == 404
    assert AnimaticRender.objects.count() == 1


def test_a_viewer_cannot_start_the_render_but_may_download_a_finished_one(client, bob, board):
    ProjectMembership.objects.create(project=board.project, user=bob, role="viewer")
    client.force_login(bob)
    kwargs = {"project_id": board.project_id, "storyboard_id": board.pk}

    response = client.post(reverse("storyboards:animatic", kwargs=kwargs))

    assert response.status_code == 403
    assert not AnimaticRender.objects.exists()
    make_ready(board)
    page = client.get(reverse("storyboards:detail", kwargs=kwargs)).content.decode()
    assert reverse("storyboards:animatic", kwargs=kwargs) not in page
    assert reverse("storyboards:download_animatic", kwargs=kwargs) in page
    download = client.get(reverse("storyboards:download_animatic", kwargs=kwargs))
    assert download.status_code == 200 and body_of(download) == b"mp4"


def test_the_animatic_needs_no_local_paths(client, alice, memory_storage):
    """With media kept only in a storage (no disk paths), a clip keeper, a still keeper
    and a shot without one render, save and download through the storage alone."""
    storyboard = make_storyboard(make_project(alice))
    shots = make_shots(storyboard, 3)
    keep(shots[0], still=False, clip=real_clip(1.0))
    keep(shots[1], still=True)
    renders.request_render(storyboard=storyboard, user=alice)

    job = render_due()

    assert job.state == "ready", job.error_message
    assert memory_storage.exists(job.file.name)
    client.force_login(alice)
    download = client.get(
        reverse("storyboards:download_animatic", args=[storyboard.project_id, storyboard.pk])
    )
    duration, _frames, sizes = probe(body_of(download))
    assert abs(duration - sum(shot.duration for shot in shots)) <= 1 / animatic.FPS
    assert sizes == {animatic.SIZE}
