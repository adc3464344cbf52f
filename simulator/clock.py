"""The simulator's clock: moves tasks along, renders their media, delivers callbacks.

Started by the ASGI lifespan (`STUDIO_BACKGROUND_TASKS`) or by `manage.py
vidu_simulator`. A tick is cheap: one indexed query for keys with due tasks and one for
due callbacks. Database work runs in a worker thread (`sync_to_async`); renders run in
their own threads (`asyncio.to_thread`) and callbacks in their own asyncio tasks, so
neither a long render nor a slow callback receiver delays the next tick. Every
`SIMULATOR_PRUNE_SECONDS` it also deletes the files whose 24 h life is over.

One key or task that fails is logged and skipped: it never stops the tick for others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from simulator import callbacks, lifecycle, render

logger = logging.getLogger(__name__)

# Renders at once per process: each holds one task's images and frames in memory.
MAX_RENDERS = 2


class Clock:
    """One running clock: its in-flight renders and deliveries."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.renders: set[int] = set()
        self.render_slots = asyncio.Semaphore(MAX_RENDERS)
        self.background: set[asyncio.Task[None]] = set()
        self.next_prune = 0.0

    async def tick(self) -> None:
        for task_pk in await sync_to_async(_advance_due)():
            if task_pk not in self.renders:
                self.renders.add(task_pk)
                self._spawn(self._render(task_pk))
        for delivery in await sync_to_async(callbacks.claim_due)():
            self._spawn(self._deliver(delivery))
        if time.monotonic() >= self.next_prune:
            self.next_prune = time.monotonic() + prune_seconds()
            try:
                await sync_to_async(lifecycle.prune_expired)()
            except Exception:
                logger.exception("Simulator file pruning failed")

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _render(self, task_pk: int) -> None:
        try:
            async with self.render_slots:
                task = await sync_to_async(lifecycle.claim_render)(task_pk)
                if task is None:
                    return
                try:
                    creations = await asyncio.to_thread(render.render_task, task)
                except Exception as exc:
                    logger.exception("Simulator render of task %s failed", task.task_id)
                    await sync_to_async(lifecycle.fail_render)(task_pk, f"render failed: {exc}")
                    return
                key_id = await sync_to_async(lifecycle.mark_rendered)(task_pk, creations)
                if key_id:
                    # Flip it to success now rather than on the next tick.
                    await sync_to_async(lifecycle.advance_key)(key_id)
        except Exception:
            logger.exception("Simulator render of task %s failed", task_pk)
        finally:
            self.renders.discard(task_pk)

    async def _deliver(self, delivery: callbacks.Delivery) -> None:
        try:
            error = await callbacks.deliver(self.client, delivery)
            await sync_to_async(callbacks.record_result)(delivery, error)
        except Exception:
            logger.exception("Simulator callback %s failed", delivery.callback_id)

    async def shutdown(self) -> None:
        for task in list(self.background):
            task.cancel()
        for task in list(self.background):
            with suppress(asyncio.CancelledError):
                await task


def _advance_due() -> list[int]:
    close_old_connections()
    now = timezone.now()
    needs_render: list[int] = []
    for key_id in lifecycle.due_keys(now):
        try:
            needs_render += lifecycle.advance_key(key_id, now=now)
        except Exception:
            logger.exception("Simulator clock could not advance the tasks of key %s", key_id[:8])
    return needs_render


def tick_seconds() -> float:
    return float(getattr(settings, "SIMULATOR_TICK_SECONDS", 0.2))


def prune_seconds() -> float:
    return float(getattr(settings, "SIMULATOR_PRUNE_SECONDS", 60.0))


async def run() -> None:
    """Tick forever (until cancelled by the lifespan); nothing when the simulator is off."""
    if not getattr(settings, "SIMULATOR_ENABLED", False):
        logger.info("The Vidu simulator is off (STUDIO_SIMULATOR): its clock does not run")
        return
    async with httpx.AsyncClient() as client:
        clock = Clock(client)
        try:
            while True:
                try:
                    await clock.tick()
                except Exception:
                    logger.exception("Simulator clock tick failed")
                await asyncio.sleep(tick_seconds())
        finally:
            await clock.shutdown()
