"""ASGI lifespan: starts the background loops named in STUDIO_BACKGROUND_TASKS with the
server and cancels them when it stops, so `make run` is one process that does it all."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class LifespanApp:
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        tasks: list[asyncio.Task[None]] = []
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if not settings.STUDIO_BACKGROUND_TASKS and _embedded():
                    logger.warning(
                        "STUDIO_BACKGROUND_TASKS is empty: no dispatcher runs in this "
                        "process, so generations wait until `manage.py dispatcher` runs"
                    )
                for dotted in settings.STUDIO_BACKGROUND_TASKS:
                    tasks.append(asyncio.create_task(_keep_running(dotted), name=dotted))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await send({"type": "lifespan.shutdown.complete"})
                return


def _embedded() -> bool:
    """SQLite: the one-process shape, where nothing else is likely to dispatch."""
    return connection.vendor == "sqlite"


async def _keep_running(dotted: str) -> None:
    """Run one loop; if it crashes, log it and start it again after a pause."""
    run = import_string(dotted)
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Background task %s crashed; restarting in 5 s", dotted)
            await asyncio.sleep(5)
