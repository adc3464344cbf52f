"""Waking dispatchers at once when there is work (a callback, a new generation).

Within one process an asyncio event does it, set thread-safely from whichever thread
the work came from (a view's worker thread, a test). Across processes a message to the
"dispatchers" group on a shared channel layer (Redis when scaled out) reaches every
dispatcher, wherever it runs; the in-memory layer reaches no other process, so it is
not used for this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

GROUP = "dispatchers"
REJOIN_SECONDS = 3600

# The events of the dispatchers running in this process, with their loops.
_local: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


def _wake_local() -> None:
    for loop, event in list(_local):
        with contextlib.suppress(RuntimeError):  # that loop has just closed
            loop.call_soon_threadsafe(event.set)


def _shared_layer():
    """The channel layer when it reaches other processes, else None."""
    layer = get_channel_layer()
    return None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer


async def wake_dispatchers() -> None:
    _wake_local()
    layer = _shared_layer()
    if layer is None:
        return
    try:
        await layer.group_send(GROUP, {"type": "dispatcher.wake"})
    except Exception:  # a lost wake-up only delays work until the next tick
        logger.warning("Could not wake the dispatchers", exc_info=True)


def wake_dispatchers_sync() -> None:
    _wake_local()
    if _shared_layer() is not None:
        async_to_sync(wake_dispatchers)()


async def listen(event: asyncio.Event) -> None:
    """Set `event` whenever a wake-up arrives; runs until cancelled."""
    entry = (asyncio.get_running_loop(), event)
    _local.add(entry)
    try:
        layer = _shared_layer()
        if layer is None:
            await asyncio.Event().wait()  # local wake-ups only: wait to be cancelled
        else:
            await _listen_to_group(layer, event)
    finally:
        _local.discard(entry)


async def _listen_to_group(layer, event: asyncio.Event) -> None:
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    try:
        while True:
            try:
                await asyncio.wait_for(layer.receive(channel), timeout=REJOIN_SECONDS)
            except TimeoutError:
                # Group membership expires (a day on channels-redis): renew it.
                await layer.group_add(GROUP, channel)
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Lost the wake-up channel; listening again in 1 s", exc_info=True)
                await asyncio.sleep(1)
                await layer.group_add(GROUP, channel)
                continue
            event.set()
    finally:
        try:
            await layer.group_discard(GROUP, channel)
        except Exception:
            logger.debug("Could not leave the wake-up group", exc_info=True)
