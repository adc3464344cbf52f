"""The ASGI lifespan starts the background loops it is given, and says when there are none
in the one-process shape (where nothing else would move generations along)."""

from __future__ import annotations

import asyncio
import logging

from studio.lifespan import LifespanApp


async def idle() -> None:
    """A background loop that waits to be cancelled."""
    await asyncio.Event().wait()


async def start_and_stop() -> list[str]:
    """Run the lifespan through startup and shutdown; what it answered."""
    inbox: asyncio.Queue = asyncio.Queue()
    answers: list[str] = []
    inbox.put_nowait({"type": "lifespan.startup"})

    async def send(message) -> None:
        answers.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            await asyncio.sleep(0.01)  # the loops get to run before the shutdown
            inbox.put_nowait({"type": "lifespan.shutdown"})

    await LifespanApp()({"type": "lifespan"}, inbox.get, send)
    return answers


async def test_no_loops_on_sqlite_starts_and_warns_that_generations_will_wait(settings, caplog):
    settings.STUDIO_BACKGROUND_TASKS = []
    with caplog.at_level(logging.WARNING, logger="studio.lifespan"):
        answers = await start_and_stop()

    assert answers == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert "generations wait until `manage.py dispatcher` runs" in caplog.text


async def test_loops_given_start_without_a_warning(settings, caplog):
    settings.STUDIO_BACKGROUND_TASKS = ["tests.test_lifespan.idle"]
    with caplog.at_level(logging.WARNING, logger="studio.lifespan"):
        answers = await start_and_stop()

    assert answers == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert caplog.text == ""
