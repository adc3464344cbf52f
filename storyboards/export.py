"""Exports of a storyboard's keepers: a ZIP with a JSON manifest, and a contact sheet.

The ZIP (keepers only, one file each) is written by zipstream-ng as it is sent, like
"Download all": uncompressed, since images and MP4s do not compress, so of known length.
"""

from __future__ import annotations

import io
import json

from django.core.files.storage import default_storage
from django.utils.text import slugify
from PIL import Image, ImageDraw
from zipstream import ZipStream

from generations.archive import EXTENSIONS, read_stored
from generations.models import GenerationOutput
from storyboards.models import Shot, Storyboard

CELL = (320, 180)
CAPTION = 28
COLUMNS = 4


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
    return {
        "storyboard": storyboard.title,
        "notes": storyboard.notes,
        "project": storyboard.project.name,
        "shots": [
            {
                "number": shot.number,
                "title": shot.title,
                "prompt": shot.prompt,
                "mode": shot.mode,
                "model": shot.model,
                "duration": shot.duration,
                "file": keeper_name(shot, output) if output else None,
                "generation": shot.keeper.generation_id if shot.keeper else None,
                "credits": shot.keeper.credits if shot.keeper else None,
            }
            for shot, output in items
        ],
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
    archive.add(json.dumps(manifest(storyboard, items), indent=2).encode(), "manifest.json")
    return archive


def contact_sheet(storyboard: Storyboard, *, file_format: str = "PNG") -> bytes:
    """One cell per shot: the keeper's thumbnail (or a blank), the shot's number, its
    prompt and duration. PNG to look at, PDF (one page) to print or send."""
    items = keeper_shots(storyboard)
    rows = max(1, -(-len(items) // COLUMNS))
    width, height = CELL[0] * COLUMNS, (CELL[1] + CAPTION) * rows
    sheet = Image.new("RGB", (width, height), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    for index, (shot, output) in enumerate(items):
        x, y = (index % COLUMNS) * CELL[0], (index // COLUMNS) * (CELL[1] + CAPTION)
        picture = ""
        if output is not None:
            still = output.kind == GenerationOutput.Kind.IMAGE
            picture = output.thumbnail.name or (output.file.name if still else "")
        if picture:
            with default_storage.open(picture, "rb") as handle:
                image = Image.open(io.BytesIO(handle.read())).convert("RGB")
            image.thumbnail((CELL[0] - 8, CELL[1] - 8))
            sheet.paste(
                image, (x + (CELL[0] - image.width) // 2, y + (CELL[1] - image.height) // 2)
            )
        else:
            draw.rectangle((x + 4, y + 4, x + CELL[0] - 4, y + CELL[1] - 4), outline=(90, 90, 100))
        caption = f"{shot.number}. {(shot.title or shot.prompt)[:38]} · {shot.duration:g} s"
        draw.text((x + 8, y + CELL[1] + 6), caption, fill=(230, 230, 235))
    buffer = io.BytesIO()
    sheet.save(buffer, file_format, **({"resolution": 150.0} if file_format == "PDF" else {}))
    return buffer.getvalue()
