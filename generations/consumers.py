"""The project's websocket: pushes every generation card change to the people on it."""

from __future__ import annotations

from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from generations import realtime
from projects.access import parse_ids, parse_int
from projects.models import Project
from projects.realtime import user_group

# Close code for "not yours" (anonymous, stranger, or no such project: all look the same).
# A 4xxx code tells the htmx ws extension not to reconnect; a refused handshake would not.
REFUSED = 4403
# Cards a page says it shows, and so what one socket keeps: a page with more is unusual.
MAX_IDS = 1000


@database_sync_to_async
def _may_view(user, project_id: int) -> bool:
    return Project.objects.for_user(user).filter(pk=project_id).exists()


def _ids(values: object) -> list[int]:
    if not isinstance(values, list):
        return []
    return parse_ids(values[:MAX_IDS])


class ProjectConsumer(AsyncJsonWebsocketConsumer):
    """One socket per open project page, in the group `project.<id>`.

    Membership (owner or member) is checked before joining the group, and again when
    the person's group `user.<id>` says it changed: a removed member's socket closes, as
    do the sockets of a session that logged out. The page says which cards it shows
    (`sync` on (re)connect, `watch` when it loads more); pushes for cards it does not
    show are dropped here rather than sent and ignored there.
    """

    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        self.watched: set[int] | None = None  # None: no sync yet, forward every update
        # New cards pushed lately: the page may not show them yet when it sends `watch`.
        self.pushed_new: deque[int] = deque(maxlen=realtime.SYNC_NEW_LIMIT)
        self.live = False
        self.feed = False  # whether the page shows the project's activity feed
        user = self.scope.get("user")
        await self.accept()
        if not (user and user.is_authenticated and await _may_view(user, self.project_id)):
            await self.close(code=REFUSED)
            return
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.groups_joined = [realtime.group_name(self.project_id), user_group(user.pk)]
        self.group = self.groups_joined[0]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self._leave_groups()

    async def _leave_groups(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def _refuse(self) -> None:
        """Access has gone: nothing more reaches this socket, and it closes."""
        await self._leave_groups()
        del self.group
        await self.close(code=REFUSED)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if not hasattr(self, "group") or not isinstance(content, dict):
            return
        ids = _ids(content.get("ids"))
        if content.get("type") == "sync":
            self.watched = set(ids)
            self.live = bool(content.get("live"))
            self.feed = bool(content.get("feed"))
            newest = content.get("newest")
            html, new_ids = await database_sync_to_async(realtime.sync_html)(
                self.project_id,
                ids,
                newest=parse_int(newest) or 0,
                live=self.live,
            )
            self.watched.update(new_ids)
            if html:
                await self.send(text_data=html)
            # Always answered, so the page knows when it is current ("Live").
            await self.send_json({"type": "synced"})
        elif content.get("type") == "watch" and self.watched is not None:
            # The page sends every card it shows: that list replaces ours (adding to it
            # let one socket grow the server's memory without bound).
            self.watched = set(ids) | set(self.pushed_new)

    async def project_access_changed(self, event: dict) -> None:
        this_project = event["project_id"] == self.project_id and hasattr(self, "group")
        if this_project and not await _may_view(self.scope["user"], self.project_id):
            await self._refuse()

    async def session_ended(self, event: dict) -> None:
        if self.session_key and event["session_key"] == self.session_key:
            await self._refuse()

    async def project_html(self, event: dict) -> None:
        """Fragments the layers above push as they are (projects.realtime.push_html);
        feed lines only to pages that said they show the feed."""
        if hasattr(self, "group") and (self.feed or not event.get("feed")):
            await self.send(text_data=event["html"])

    async def generation_changed(self, event: dict) -> None:
        if not hasattr(self, "group"):  # refused, and closing
            return
        pk, html = event["generation_id"], event.get("html")
        if html is None:  # a sender that did not render the card: render it here
            cards = await database_sync_to_async(realtime.render_cards)(self.project_id, [pk])
            html = cards.get(pk)
        if html is None:
            return
        if self.watched is None or pk in self.watched:
            await self.send(text_data=html)
        elif event.get("new") and self.live:
            if len(self.watched) < 2 * MAX_IDS:
                self.watched.add(pk)
                self.pushed_new.append(pk)
            await self.send(text_data=realtime.as_new(html))
