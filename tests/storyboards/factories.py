"""Plain factories for storyboard tests: rows and real files, no network."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations.models import Generation, GenerationOutput, Mode, State
from projects.models import Project
from storyboards.models import Shot, Storyboard, Take
from tests.factories import make_png
from tests.generations.gallery_factories import add_output, make_generation


def make_storyboard(project: Project, title: str = "Harbour at dawn") -> Storyboard:
    return Storyboard.objects.create(project=project, created_by=project.owner, title=title)


def make_shots(storyboard: Storyboard, count: int) -> list[Shot]:
    return [
        Shot.objects.create(
            storyboard=storyboard, position=n, prompt=f"Shot {n + 1} prompt", model="viduq2"
        )
        for n in range(count)
    ]


def make_take(
    shot: Shot, *, state: str = State.READY, still: bool = True, credits: int | None = None
) -> Take:
    generation = make_generation(
        shot.storyboard.project,
        shot.prompt,
        state=state,
        mode=Mode.TEXT_TO_IMAGE if still else Mode.TEXT_TO_VIDEO,
        credits_estimate=4,
        credits=credits,
    )
    if state == State.READY:
        add_output(generation) if still else add_clip(generation)
    return Take.objects.create(shot=shot, generation=generation)


def add_clip(generation: Generation) -> GenerationOutput:
    """A "video" output with a poster and a last frame (the bytes are not a real MP4)."""
    folder = f"outputs/{generation.project_id}/{generation.pk}"
    name = default_storage.save(f"{folder}/clip.mp4", ContentFile(b"not really an mp4"))
    thumb = default_storage.save(f"{folder}/thumb.png", ContentFile(make_png(64, 36)))
    last = default_storage.save(
        f"{folder}/clip-last.png", ContentFile(make_png(320, 180, color=(10, 200, 90)))
    )
    return GenerationOutput.objects.create(
        generation=generation,
        kind=GenerationOutput.Kind.VIDEO,
        file=name,
        thumbnail=thumb,
        last_frame=last,
        content_type="video/mp4",
        sha256=f"{generation.pk:064x}",
        size=17,
        width=320,
        height=180,
        duration=4.0,
    )


def order_of(storyboard: Storyboard) -> list[int]:
    return list(storyboard.shots.order_by("position").values_list("pk", flat=True))


def positions_of(storyboard: Storyboard) -> list[int]:
    return list(storyboard.shots.order_by("position").values_list("position", flat=True))
