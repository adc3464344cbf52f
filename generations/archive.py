"""Files under meaningful names, and "Download all" as a ZIP streamed as it is written.

The archive is written by `zipfile` (ZIP_STORED: images and MP4s do not compress) into
a sink that hands each chunk to the response, so memory stays at one chunk whatever the
size. Because nothing is compressed and every size is known beforehand, the archive's
exact length is known too: the response sends Content-Length and the browser's own
download bar shows real progress. No temporary file, no background job to poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import zipfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import slugify

from generations.models import EXTENSIONS, Generation, GenerationOutput

CHUNK = 1024 * 1024
MANIFEST = "manifest.json"
# Sizes past these need ZIP64 records, whose length we do not predict: no Content-Length.
_ZIP32_LIMIT = zipfile.ZIP64_LIMIT
# Local header (30) + data descriptor (16) + central directory entry (46), per file.
_PER_ENTRY = 30 + 16 + 46
_END_RECORD = 22


@dataclass(frozen=True)
class Entry:
    arcname: str
    storage_name: str
    size: int
    created_at: object = None


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
                entries.append(Entry(arcname, output.file.name, size, generation.created_at))
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


def archive_size(entries: list[Entry], manifest: bytes) -> int | None:
    """The exact byte length `stream` will produce, or None where ZIP64 would be needed."""
    names = [entry.arcname for entry in entries] + [MANIFEST]
    total = _END_RECORD + len(manifest) + sum(entry.size for entry in entries)
    total += sum(_PER_ENTRY + 2 * len(name.encode()) for name in names)
    if total >= _ZIP32_LIMIT or len(names) >= 0xFFFF:
        return None
    return total


class _Sink:
    """A write-only file for zipfile: what it writes waits here to be handed on."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream(entries: list[Entry], manifest: bytes) -> Iterator[bytes]:
    """The archive, chunk by chunk: manifest.json first, then every file as it is read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_info(MANIFEST, None), manifest)
        yield sink.take()
        for entry in entries:
            info = _info(entry.arcname, entry.created_at)
            info.file_size = entry.size
            with (
                default_storage.open(entry.storage_name, "rb") as source,
                archive.open(info, "w") as target,
            ):
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _info(name: str, when) -> zipfile.ZipInfo:
    moment = timezone.localtime(when) if when else timezone.localtime()
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


async def astream(entries: list[Entry], manifest: bytes) -> AsyncIterator[bytes]:
    """`stream` for an ASGI response: file reads and zip writes stay off the event loop."""
    chunks = stream(entries, manifest)
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            if chunk:
                yield chunk
    finally:
        # Cancelled mid-chunk (the browser went away), the generator may still be running
        # in its thread; it is collected when that chunk is done.
        with contextlib.suppress(ValueError):
            chunks.close()
