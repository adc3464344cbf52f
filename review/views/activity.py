"""The project's activity feed and a person's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from projects import activity
from projects.access import get_project_for_user, parse_ids, parse_int

PER_PAGE = 50


def _page(request: HttpRequest, rows) -> object:
    return Paginator(rows, PER_PAGE).get_page(parse_int(request.GET.get("page")) or 1)


@login_required
@require_GET
def feed(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id)
    context = {"project": project, "page_obj": _page(request, activity.feed(project))}
    return render(request, "review/activity.html", context)


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    rows = activity.notifications_for(request.user)
    context = {
        "page_obj": _page(request, rows),
        "unread_total": activity.unread_count(request.user),
    }
    return render(request, "review/notifications.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark all read, or the notifications named by `notification` ids (one's own)."""
    ids = parse_ids(request.POST.getlist("notification")) or None
    count = activity.mark_read(user=request.user, ids=ids)
    if request.htmx:
        context = {"unread_count": activity.unread_count(request.user), "oob": False}
        return render(request, "projects/notification_badge.html", context)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("review:notifications")
