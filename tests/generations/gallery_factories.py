"""Plain factories for the gallery, realtime and ZIP tests: rows and real files, no network."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from generations import services
from generations.models import Generation, GenerationOutput, Mode, State
from projects.models import Project, ProjectMembership
from providers.models import ProviderConnection
from tests.factories import make_png


def make_project(owner, name: str = "Harbour", *, viewer=None) -> Project:
    project = Project.objects.create(owner=owner, name=name)
    if viewer is not None:
        ProjectMembership.objects.create(project=project, user=viewer, role="viewer")
    return project


def simulator_connection() -> ProviderConnection:
    connection, _ = ProviderConnection.objects.get_or_create(
        name="Simulator", defaults={"kind": "simulator"}
    )
    return connection


def make_generation(
    project: Project,
    prompt: str = "A lighthouse at dusk",
    *,
    state: str = State.QUEUED,
    mode: str = Mode.TEXT_TO_IMAGE,
    with_file: bool = False,
    **fields,
) -> Generation:
    generation = Generation.objects.create(
        project=project,
        created_by=project.owner,
        connection=simulator_connection(),
        mode=mode,
        model="viduq2",
        prompt=prompt,
        state=state,
        **fields,
    )
    if with_file:
        add_output(generation)
    return generation


def add_output(generation: Generation, *, color=(40, 90, 200), index: int = 0) -> GenerationOutput:
    data = make_png(320, 180, color=color)
    folder = f"outputs/{generation.project_id}/{generation.pk}"
    name = default_storage.save(f"{folder}/result-{index}.png", ContentFile(data))
    thumb = default_storage.save(
        f"{folder}/thumb-{index}.png", ContentFile(make_png(64, 36, color=color))
    )
    return GenerationOutput.objects.create(
        generation=generation,
        index=index,
        kind=GenerationOutput.Kind.IMAGE,
        file=name,
        thumbnail=thumb,
        content_type="image/png",
        sha256=f"{generation.pk:064x}",
        size=len(data),
        width=320,
        height=180,
    )


def move(generation_id: int, state: str, **fields) -> None:
    """Move a generation as the dispatcher would: locked, recorded, pushed after commit."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        services.record_state(generation, State(state), detail="test", **fields)


def add_rendered_output(
    generation: Generation,
    *,
    width: int = 640,
    height: int = 360,
    video: bool = False,
    duration: float = 2.0,
    fps: int = 12,
) -> GenerationOutput:
    """A result as the simulator draws it (a landscape from the seed, with the prompt),
    and its thumbnail; with `video`, a short MP4 and its poster."""
    import io

    from PIL import Image

    from simulator.media import render_image, render_video_with_cover

    seed = generation.seed or generation.pk
    folder = f"outputs/{generation.project_id}/{generation.pk}"
    if video:
        data, cover = render_video_with_cover(
            prompt=generation.prompt,
            seed=seed,
            width=width,
            height=height,
            duration=duration,
            fps=fps,
        )
        picture, name, content_type = cover, "result-0.mp4", "video/mp4"
    else:
        data = render_image(prompt=generation.prompt, seed=seed, width=width, height=height)
        picture, name, content_type = data, "result-0.png", "image/png"
    thumb = Image.open(io.BytesIO(picture)).convert("RGB")
    thumb.thumbnail((640, 640))
    buffer = io.BytesIO()
    thumb.save(buffer, "WEBP", quality=80)
    fields = {
        "file": default_storage.save(f"{folder}/{name}", ContentFile(data)),
        "thumbnail": default_storage.save(f"{folder}/thumb-0.webp", ContentFile(buffer.getvalue())),
    }
    if video:
        fields["poster"] = default_storage.save(f"{folder}/poster-0.jpg", ContentFile(cover))
        fields["duration"] = duration
    return GenerationOutput.objects.create(
        generation=generation,
        index=0,
        kind=GenerationOutput.Kind.VIDEO if video else GenerationOutput.Kind.IMAGE,
        content_type=content_type,
        sha256=f"{generation.pk:064x}",
        size=len(data),
        width=width,
        height=height,
        **fields,
    )
