"""Files under meaningful names, and "Download all" as a ZIP streamed as it is written.

zipstream-ng writes the archive (ZIP_STORED: images and MP4s do not compress) as it is
sent, reading each file from storage only when the archive reaches it, so memory stays
at one chunk whatever the size. Every size is known beforehand, so zipstream-ng knows
the archive's length too: the response sends Content-Length and the browser's own
download bar shows real progress. No temporary file, no background job to poll.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import slugify
from zipstream import ZipStream

from generations.models import EXTENSIONS, Generation, GenerationOutput

CHUNK = 1024 * 1024
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Entry:
    arcname: str
    storage_name: str
    size: int


def download_name(output: GenerationOutput) -> str:
    """`<project>_<first prompt words>_seed<seed>_g<id>[_<n>].<ext>`, e.g.
    `harbour_a-lighthouse-at-dusk_seed42_g318.png`: findable in a downloads folder."""
    generation = output.generation
    words = slugify(" ".join(re.sub(r"[@#]", " ", generation.prompt).split()[:6]))[:48]
    parts = [slugify(generation.project.name)[:40] or "project", words or generation.mode]
    seed = generation.seed or generation.params.get("seed")
    if seed:
        parts.append(f"seed{seed}")
    parts.append(f"g{generation.pk}")
    if output.index:
        parts.append(str(output.index + 1))
    return "_".join(parts) + EXTENSIONS.get(output.content_type, "")


def archive_name(project_name: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{slugify(project_name)[:40] or 'project'}-{stamp}.zip"


def collect(generations: Iterable[Generation]) -> tuple[list[Entry], bytes]:
    """The files to put in the archive and the manifest describing every generation.

    `generations` should come with outputs, inputs and review prefetched. Files missing
    from storage are left out and marked in the manifest rather than failing midway.
    """
    entries: list[Entry] = []
    described = []
    for generation in generations:
        outputs = []
        for output in generation.outputs.all():
            output.generation = generation  # download_name reads it; already loaded
            arcname = download_name(output)
            present = bool(output.file) and default_storage.exists(output.file.name)
            if present:
                size = default_storage.size(output.file.name)
                entries.append(Entry(arcname, output.file.name, size))
            outputs.append(
                {
                    "file": arcname if present else None,
                    "missing": not present,
                    "kind": output.kind,
                    "content_type": output.content_type,
                    "width": output.width,
                    "height": output.height,
                    "duration": output.duration,
                    "size": output.size,
                    "sha256": output.sha256,
                }
            )
        described.append(_describe(generation, outputs))
    manifest = {
        "exported_at": timezone.now().isoformat(),
        "count": len(described),
        "generations": described,
    }
    return entries, json.dumps(manifest, indent=2, ensure_ascii=False).encode()


def _describe(generation: Generation, outputs: list[dict]) -> dict:
    # A missing reverse one-to-one raises a subclass of AttributeError: getattr's default.
    review = getattr(generation, "review", None)
    return {
        "id": generation.pk,
        "project": generation.project.name,
        "created_at": generation.created_at.isoformat(),
        "finished_at": generation.finished_at.isoformat() if generation.finished_at else None,
        "state": generation.state,
        "mode": generation.mode,
        "model": generation.model,
        "prompt": generation.prompt,
        "params": generation.params,
        "seed": generation.seed,
        "mentions": generation.mentions,
        "source_id": generation.source_id,
        "credits": generation.credits,
        "cost": generation.cost,
        "error": {"code": generation.err_code, "message": generation.error_message}
        if generation.err_code
        else None,
        "inputs": [
            {
                "role": item.role,
                "subject": item.subject_name,
                "sha256": item.sha256,
                "width": item.width,
                "height": item.height,
            }
            for item in generation.inputs.all()
        ],
        "outputs": outputs,
        "review": {
            "starred": review.starred,
            "rating": review.rating,
            "tags": review.tags,
            "notes": review.notes,
        }
        if review
        else None,
    }


def build(entries: list[Entry], manifest: bytes) -> ZipStream:
    """The archive, manifest.json first; `len()` of it is its exact size in bytes."""
    archive = ZipStream(sized=True)
    archive.add(manifest, MANIFEST)
    for entry in entries:
        archive.add(read_stored(entry.storage_name), entry.arcname, size=entry.size)
    return archive


def read_stored(name: str) -> Iterator[bytes]:
    """A stored file in chunks, opened only once the archive reaches it."""
    with default_storage.open(name, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk
