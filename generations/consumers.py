"""The project's websocket: pushes every generation card change to the people on it."""

from __future__ import annotations

import json
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import connection

from generations import realtime, services
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


class CallbackConsumer(AsyncHttpConsumer):
    """Provider callbacks, answered without Django's request cycle.

    A callback needs none of the middleware (no session, no CSRF: it carries a
    signature), so the ASGI router sends /callbacks/ here first. The work is the same
    service the Django view calls, run in one long-lived thread: its database connection
    stays open, which is most of what makes this path several times cheaper.
    """

    MAX_BODY = 1024 * 1024  # a task's JSON is a few KB; anything near this is not one
    # Answered on its own: no channel of the layer to open (and listen on) per request.
    channel_layer_alias = None

    async def dispatch(self, message: dict) -> None:
        # Channels closes "old" database connections before every message, and with
        # CONN_MAX_AGE=0 (PostgreSQL here) every connection is old: each callback would
        # open a new one.
        # The work runs in one long-lived thread that keeps its connection instead and
        # drops it only when broken (`_receive_callback`).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def http_request(self, message: dict) -> None:
        if "body" in message:
            self.body.append(message["body"])
            if sum(len(part) for part in self.body) > self.MAX_BODY:
                await self._answer(413, {"error": "Callback body too large."})
                raise StopConsumer
        if not message.get("more_body"):
            try:
                await self.handle(b"".join(self.body))
            finally:
                await self.disconnect()
            raise StopConsumer

    async def handle(self, body: bytes) -> None:
        if self.scope["method"] != "POST":
            await self._answer(405, {"error": "Callbacks are POSTed."}, allow=True)
            return
        route = self.scope["url_route"]["kwargs"]
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in self.scope["headers"]
        }
        started = time.perf_counter()
        status, answer = await _receive_callback(
            kind=route["kind"], token=route["token"], method="POST", headers=headers, body=body
        )
        timing = f"ingest;dur={(time.perf_counter() - started) * 1000:.2f}"
        await self._answer(status, answer, timing=timing)

    async def _answer(
        self, status: int, answer: dict, *, allow: bool = False, timing: str = ""
    ) -> None:
        headers = [(b"Content-Type", b"application/json")]
        if allow:
            headers.append((b"Allow", b"POST"))
        if timing:
            headers.append((b"Server-Timing", timing.encode()))
        await self.send_response(status, json.dumps(answer).encode(), headers=headers)


def _receive_in_worker_thread(**callback) -> tuple[int, dict]:
    try:
        return services.receive_callback(**callback)
    finally:
        # Kept for the next callback unless an error left it unusable (a database restart).
        if connection.errors_occurred and not connection.is_usable():
            connection.close()


# A worker thread of the callbacks' own, not one per request, and no connection closing
# around each call (database_sync_to_async would close it): the connection is reused.
# Not the shared thread of thread-sensitive calls either, where the in-process dispatcher
# and the websockets do their database work: callbacks would queue behind them.
_receive_callback = sync_to_async(
    _receive_in_worker_thread,
    thread_sensitive=False,
    executor=ThreadPoolExecutor(1, thread_name_prefix="callbacks"),
)
