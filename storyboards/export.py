"""Exports of a storyboard's keepers: a ZIP with a JSON manifest (the contact sheet is
`storyboards.contact_sheet`).

The ZIP (keepers only, one file each) is written by zipstream-ng as it is sent, like
"Download all": uncompressed, since images and MP4s do not compress, so of known length.
"""

from __future__ import annotations

import json

from django.core.files.storage import default_storage
from django.utils.text import slugify
from zipstream import ZipStream

from generations.archive import EXTENSIONS, read_stored
from generations.models import GenerationOutput
from storyboards.models import Shot, Storyboard


def keeper_shots(storyboard: Storyboard) -> list[tuple[Shot, GenerationOutput | None]]:
    """Every shot in order with its keeper's first output (None: no keeper)."""
    shots = storyboard.shots.select_related("keeper__generation").prefetch_related(
        "keeper__generation__outputs"
    )
    return [
        (
            shot,
            shot.keeper.generation.outputs.all()[0]
            if shot.keeper and shot.keeper.generation.outputs.all()
            else None,
        )
        for shot in shots
    ]


def keeper_name(shot: Shot, output: GenerationOutput) -> str:
    """`03_harbour-at-dawn.mp4`: shot number, then its title (or prompt's first words)."""
    words = slugify(shot.title or " ".join(shot.prompt.replace("@", " ").split()[:6]))[:48]
    return f"{shot.number:02d}_{words or 'shot'}{EXTENSIONS.get(output.content_type, '')}"


def manifest(storyboard: Storyboard, items: list[tuple[Shot, GenerationOutput | None]]) -> dict:
    """What the keepers are: each shot in order with the kept take as it was made (its
    mode, model and parameters, which may differ from the shot's: an animated still is
    image to video) and what it cost."""
    shots = [_manifest_shot(shot, output) for shot, output in items]
    return {
        "storyboard": storyboard.title,
        "notes": storyboard.notes,
        "project": storyboard.project.name,
        "duration": sum(shot.duration for shot, _output in items),
        "credits": sum(entry["credits"] or 0 for entry in shots),
        "shots": shots,
    }


def _manifest_shot(shot: Shot, output: GenerationOutput | None) -> dict:
    entry = {
        "number": shot.number,
        "title": shot.title,
        "prompt": shot.prompt,
        "notes": shot.notes,
        "duration": shot.duration,
        # What the shot asks for next time; the keeper's own are below.
        "shot_mode": shot.mode,
        "shot_model": shot.model,
        "file": keeper_name(shot, output) if output else None,
        "generation": None,
        "mode": None,
        "model": None,
        "params": None,
        "credits": None,
        "cost": None,
    }
    if shot.keeper is None:
        return entry
    generation = shot.keeper.generation
    charged = generation.credits
    return {
        **entry,
        "generation": generation.pk,
        "mode": generation.mode,
        "model": generation.model,
        "params": generation.params,
        "credits": shot.keeper.credits,
        "cost": {
            # Credits the provider charged; the estimate where it has not said.
            "credits": charged if charged is not None else generation.credits_estimate,
            "estimated": charged is None,
            # The provider's own figure where it reports one (Vtrix: US dollars).
            "provider": generation.cost or None,
        },
    }


def keepers_zip(storyboard: Storyboard) -> ZipStream:
    """The keepers named by shot number and title, plus manifest.json; sized."""
    items = keeper_shots(storyboard)
    archive = ZipStream(sized=True)
    for shot, output in items:
        if output is None:
            continue
        name = output.file.name
        archive.add(read_stored(name), keeper_name(shot, output), size=default_storage.size(name))
    archive.add(manifest_json(storyboard, items), "manifest.json")
    return archive


def manifest_json(
    storyboard: Storyboard, items: list[tuple[Shot, GenerationOutput | None]] | None = None
) -> bytes:
    items = keeper_shots(storyboard) if items is None else items
    return json.dumps(manifest(storyboard, items), indent=2, ensure_ascii=False).encode()
