"""The guest page's websocket: a review link's status changes and comments, while it is open."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from review import links
from review.models import ReviewLink

# "Not open" (unknown, expired, revoked or still locked: all the same). A 4xxx code tells
# the htmx ws extension not to reconnect.
CLOSED = 4404
SESSION_KEY = "review_links"  # as review.views.guest keeps it


@database_sync_to_async
def _link_for(token: str, session) -> int | None:
    """The open link's id if this session may watch it (past its passphrase), else None."""
    link = ReviewLink.objects.open().filter(token=token[: links.TOKEN_MAX]).first()
    if link is None:
        return None
    remembered = session.get(SESSION_KEY, {}) if session is not None else {}
    if link.has_passphrase and not remembered.get(str(link.pk), {}).get("unlocked"):
        return None
    return link.pk


@database_sync_to_async
def _still_open(link_id: int) -> bool:
    return ReviewLink.objects.open().filter(pk=link_id).exists()


class GuestConsumer(AsyncJsonWebsocketConsumer):
    """One socket per open guest page, in the group `review_link.<id>`.

    The link is looked up (and the session's passphrase checked) on connect, and again
    before anything is forwarded: an expired link sends nothing more. Revoking sends the
    group `link.closed`, which closes every socket at once.
    """

    async def connect(self) -> None:
        await self.accept()
        token = str(self.scope["url_route"]["kwargs"]["token"])
        self.link_id = await _link_for(token, self.scope.get("session"))
        if self.link_id is None:
            await self.close(code=CLOSED)
            return
        self.group = links.link_group(self.link_id)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.group = None

    async def _close(self) -> None:
        await self._leave()
        await self.close(code=CLOSED)

    async def receive_json(self, content: dict, **kwargs) -> None:
        """On (re)connect the page asks to be brought up to date (static/js/realtime.js)."""
        if not getattr(self, "group", None) or not isinstance(content, dict):
            return
        if content.get("type") == "sync":
            html = await database_sync_to_async(links.sync_html)(self.link_id)
            if html is None:
                await self._close()
                return
            if html:
                await self.send(text_data=html)
            await self.send_json({"type": "synced"})

    async def guest_html(self, event: dict) -> None:
        if not getattr(self, "group", None):
            return
        if not await _still_open(self.link_id):
            await self._close()
            return
        await self.send(text_data=event["html"])

    async def link_closed(self, event: dict) -> None:
        await self._close()
