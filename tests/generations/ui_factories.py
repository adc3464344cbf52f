"""Factories for the composer, history and action tests: plain functions, no network."""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations.models import Generation, GenerationInput, GenerationOutput, Mode, State
from generations.services import InputImage, request_generation
from providers.base import ImageInput
from providers.models import ProviderConnection
from tests.factories import make_png


def simulator_connection() -> ProviderConnection:
    connection, _ = ProviderConnection.objects.get_or_create(
        name="Vidu simulator", defaults={"kind": "simulator"}
    )
    return connection


def png_input(role: str = GenerationInput.Role.IMAGE, *, color=(200, 80, 40), subject_name=""):
    data = make_png(256, 256, color=color)
    image = ImageInput(data=data, content_type="image/png", width=256, height=256)
    return InputImage(role=role, image=image, subject_name=subject_name)


def make_generation(
    *,
    project,
    user=None,
    mode: str = Mode.TEXT_TO_IMAGE,
    model: str = "viduq2",
    prompt: str = "A lighthouse at dusk",
    params: dict | None = None,
    inputs=(),
    mentions: dict | None = None,
    state: str = State.READY,
    seed: int | None = None,
    created_at: datetime | None = None,
    output: bool = True,
    **fields,
) -> Generation:
    """A generation as request_generation makes it, then moved to `state` (with a file)."""
    [generation] = request_generation(
        project=project,
        user=user or project.owner,
        connection=simulator_connection(),
        mode=Mode(mode),
        model=model,
        prompt=prompt,
        params=params or {},
        inputs=list(inputs),
        mentions=mentions,
    )
    updates = {"state": state, "seed": seed, "next_action_at": None, **fields}
    if created_at:
        updates["created_at"] = created_at
    Generation.objects.filter(pk=generation.pk).update(**updates)
    generation.refresh_from_db()
    generation.history.create(state=state, detail="made by a test")
    if output and state == State.READY:
        make_output(generation)
    return generation


def make_output(generation: Generation, *, color=(30, 120, 200)) -> GenerationOutput:
    folder = f"outputs/{generation.project_id}/{generation.pk}"
    if generation.is_video:
        data, content_type, ext = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "mp4"
    else:
        data, content_type, ext = make_png(320, 240, color=color), "image/png", "png"
    name = default_storage.save(f"{folder}/result.{ext}", ContentFile(data))
    thumb = default_storage.save(f"{folder}/result-thumb.webp", ContentFile(b"RIFF0000WEBPVP8 "))
    poster = ""
    if generation.is_video:
        poster = default_storage.save(f"{folder}/result-poster.jpg", ContentFile(b"\xff\xd8\xff"))
    return GenerationOutput.objects.create(
        generation=generation,
        kind="video" if generation.is_video else "image",
        file=name,
        thumbnail=thumb,
        poster=poster,
        content_type=content_type,
        sha256=f"{generation.pk:064d}",
        size=len(data),
        width=320,
        height=240,
        duration=5.0 if generation.is_video else None,
    )
