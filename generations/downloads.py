"""Copying results into our storage as soon as a task succeeds (DESIGN §3, Downloads).

Result URLs expire within hours, so they are fetched at once: only URLs from the
provider's own task query (never a callback body), streamed to a temporary file,
size-capped and type-checked, described (thumbnail, poster, last frame), then saved
through the storage. A recorded output for an index means "already downloaded", so
repeating this step after a crash does no harm.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from generations import services
from generations.media import describe_image, describe_video
from generations.models import EXTENSIONS, Generation, GenerationOutput, State
from providers import http
from providers.base import Creation, ProviderError

logger = logging.getLogger(__name__)

# What an expired or revoked presigned URL answers.
EXPIRED_STATUSES = frozenset({401, 403, 404, 410})


async def download_outputs(
    generation: Generation, *, client: httpx.AsyncClient
) -> timedelta | None:
    """Fetch every result of a succeeded task; mark the generation ready when all are in."""
    dialect = generation.connection.dialect(client)
    try:
        status = await dialect.fetch(generation.provider_task_id)
        if not status.creations:
            raise ProviderError("The provider reported success but sent no result.", permanent=True)
        for index, creation in enumerate(status.creations):
            if not await sync_to_async(_has_output)(generation.pk, index):
                await _download_one(generation, index, creation, client=client)
    except ProviderError as error:
        return await sync_to_async(_download_failed)(generation.pk, error)
    await sync_to_async(_ready)(generation.pk)
    return None


async def _download_one(
    generation: Generation, index: int, creation: Creation, *, client: httpx.AsyncClient
) -> None:
    with tempfile.TemporaryDirectory(prefix="download-") as folder:
        result = await http.download(
            creation.url,
            Path(folder) / f"result-{index}",
            max_bytes=settings.GENERATIONS_MAX_DOWNLOAD_BYTES,
            allow_private=generation.connection.allow_private_downloads,
            client=client,
        )
        await asyncio.to_thread(_store_output, generation, index, creation, result)


def _store_output(generation: Generation, index: int, creation: Creation, result) -> None:
    path = result.path.rename(result.path.with_suffix(EXTENSIONS[result.content_type]))
    is_video = result.content_type.startswith("video/")
    try:
        described = describe_video(path) if is_video else describe_image(path)
    except Exception as error:
        path.unlink(missing_ok=True)
        raise ProviderError(
            f"The result file could not be read ({error}).", permanent=True
        ) from None
    folder = f"outputs/{generation.project_id}/{generation.pk}"

    def name(p: Path | None) -> str:
        if p is None:
            return ""
        stored = f"{folder}/{p.name}"
        # A repeat after a crash writes the same names again rather than copies beside them.
        if default_storage.exists(stored):
            default_storage.delete(stored)
        with p.open("rb") as handle:
            return default_storage.save(stored, File(handle, name=p.name))

    GenerationOutput.objects.get_or_create(
        generation=generation,
        index=index,
        defaults={
            "kind": GenerationOutput.Kind.VIDEO if is_video else GenerationOutput.Kind.IMAGE,
            "file": name(path),
            "thumbnail": name(described.thumbnail),
            "poster": name(described.poster),
            "last_frame": name(described.last_frame),
            "content_type": result.content_type,
            "sha256": result.sha256,
            "size": result.size,
            "width": described.width,
            "height": described.height,
            "duration": described.duration,
            "provider_creation_id": creation.id,
        },
    )


def _has_output(generation_id: int, index: int) -> bool:
    return GenerationOutput.objects.filter(generation_id=generation_id, index=index).exists()


def _ready(generation_id: int) -> None:
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.state == State.DOWNLOADING:
            services.record_state(generation, State.READY)


def _download_failed(generation_id: int, error: ProviderError) -> timedelta | None:
    """Try again a few times (URLs can fail briefly), then fail with the reason."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        generation.download_attempts += 1
        generation.save(update_fields=["download_attempts", "updated_at"])
        attempts = generation.download_attempts
    logger.warning("Generation %s: download attempt %s failed: %s", generation_id, attempts, error)
    # A refused or expired link is worth another try: each attempt reads the task again,
    # and a provider that re-signs its result URLs hands out a fresh one.
    expired = isinstance(error, http.DownloadError) and error.status in EXPIRED_STATUSES
    if (error.permanent and not expired) or attempts >= settings.GENERATIONS_DOWNLOAD_ATTEMPTS:
        tries = "once" if attempts == 1 else f"{attempts} times"
        services.fail(
            generation_id,
            code="DownloadFailed",
            message=f"The result could not be downloaded (tried {tries}): {error.message}",
        )
        return None
    return timedelta(seconds=min(60, 2**attempts))
