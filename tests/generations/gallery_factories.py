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
