"""A project's activity feed and the in-app notifications it raises.

The layers above call `record` where something happens (a generation requested, a
keeper chosen, a review status set, a comment posted); they name the object in words
and by link, since this layer cannot know their models.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from projects import realtime
from projects.models import Activity, Notification, Project, ProjectMembership

LINE_TEMPLATE = "projects/activity_line.html"
BADGE_TEMPLATE = "projects/notification_badge.html"


def record(
    *,
    project: Project,
    verb: str,
    summary: str,
    link: str = "",
    actor: settings.AUTH_USER_MODEL | None = None,
    guest_name: str = "",
    notify: Iterable = (),
) -> Activity:
    """Write one line of the project's feed and a notification for each of `notify`
    (users) who may still open the project, except the actor. After commit the line
    appears on the project's open feed pages and each recipient's bell counts it."""
    activity = Activity.objects.create(
        project=project,
        verb=verb,
        actor=actor,
        guest_name=guest_name[:80],
        summary=summary[:300],
        link=link[:300],
    )
    recipients = _members(project, {getattr(user, "pk", user) for user in notify if user})
    if actor is not None:
        recipients.discard(actor.pk)
    Notification.objects.bulk_create(
        Notification(recipient_id=pk, activity=activity) for pk in sorted(recipients)
    )
    # Pushes are at-most-once: one that fails is logged and never fails what was committed.
    transaction.on_commit(lambda: _push(activity.pk, sorted(recipients)), robust=True)
    return activity


def _members(project: Project, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` who may open the project: a notification must not lead a
    removed member to a page that answers 404."""
    if not user_ids:
        return set()
    members = ProjectMembership.objects.filter(project=project, user_id__in=user_ids)
    allowed = set(members.values_list("user_id", flat=True))
    return allowed | ({project.owner_id} & user_ids)


def _push(activity_id: int, recipients: list[int]) -> None:
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    if activity is None:
        return
    line = render_to_string(LINE_TEMPLATE, {"activity": activity})
    realtime.push_html(
        activity.project_id,
        f'<div hx-swap-oob="afterbegin:#activity-list">{line}</div>',
        feed=True,
    )
    for user_id in recipients:
        push_badge(user_id)


def push_badge(user_id: int) -> None:
    """Send a person's open pages their bell with the unread count as it is now."""
    html = render_to_string(BADGE_TEMPLATE, {"unread_count": unread_count(user_id), "oob": True})
    realtime.push_html_to_user(user_id, html)


def feed(project: Project) -> QuerySet[Activity]:
    """The project's activity, newest first."""
    return project.activity.select_related("actor")


def unread_for(user: settings.AUTH_USER_MODEL) -> QuerySet[Notification]:
    """This person's unread notifications, newest first, in projects they may still open."""
    return Notification.objects.filter(
        _still_visible(user), recipient=user, read_at__isnull=True
    ).select_related("activity__actor", "activity__project")


def notifications_for(user: settings.AUTH_USER_MODEL) -> QuerySet[Notification]:
    """Every notification of this person (read or not) they may still follow."""
    return Notification.objects.filter(_still_visible(user), recipient=user).select_related(
        "activity__actor", "activity__project"
    )


def _still_visible(user: settings.AUTH_USER_MODEL) -> Q:
    member_of = ProjectMembership.objects.filter(user=user).values("project")
    return Q(activity__project__owner=user) | Q(activity__project__in=member_of)


def unread_count(user: settings.AUTH_USER_MODEL | int) -> int:
    user_id = getattr(user, "pk", user)
    member_of = ProjectMembership.objects.filter(user_id=user_id).values("project")
    return Notification.objects.filter(
        Q(activity__project__owner_id=user_id) | Q(activity__project__in=member_of),
        recipient_id=user_id,
        read_at__isnull=True,
    ).count()


def mark_read(*, user: settings.AUTH_USER_MODEL, ids: Iterable[int] | None = None) -> int:
    """Mark this person's notifications read (those of `ids` only, or all of them) and
    update their bell on every open page. Others' ids are ignored, not refused."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    count = unread.update(read_at=timezone.now())
    if count:
        user_id = user.pk
        transaction.on_commit(lambda: push_badge(user_id), robust=True)
    return count
