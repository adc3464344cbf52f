"""Telling a person's open sockets that what they may see has changed.

Sockets check who is on them when they connect; every socket of a person also joins the
group `user.<id>`, so that access taken away later reaches the sockets already open:
a member removed from a project, a session logged out. The socket decides what to do
(generations.consumers: look again, and close when the access is gone).
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpRequest


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def project_group(project_id: int) -> str:
    """Every open page of a project (its cards, its board, its review)."""
    return f"project.{project_id}"


def _send(user_id: int, message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(user_group(user_id), message)


def push_html(project_id: int, html: str, *, feed: bool = False) -> None:
    """Send out-of-band HTML (htmx `hx-swap-oob` fragments) to every open page of a
    project (call after commit). The layers above use it for what they show live (a
    review status, a comment), rendered once here, not once per socket. `feed`: a line of
    the activity feed, sent only to the pages that show the feed."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            project_group(project_id), {"type": "project.html", "html": html, "feed": feed}
        )


def push_html_to_user(user_id: int, html: str) -> None:
    """The same, to every open page of one person (a notification)."""
    _send(user_id, {"type": "project.html", "html": html})


def project_access_changed(*, user_id: int, project_id: int) -> None:
    """This person's sockets on this project look their access up again (after commit)."""
    _send(user_id, {"type": "project.access_changed", "project_id": project_id})


def session_ended(sender: type, request: HttpRequest | None, user, **kwargs) -> None:
    """`user_logged_out` receiver: the sockets opened with that session close."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        _send(user.pk, {"type": "session.ended", "session_key": session_key})
