"""A shot's review status ("Set status"), and the project's statuses edited at once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from projects.access import get_project_for_user, parse_id
from review import statuses
from review.forms import ReviewStatusFormSet, SetStatusForm
from review.models import ReviewStatus
from storyboards.access import get_shot_for_user
from storyboards.models import Storyboard


@login_required
@require_POST
def set_shot_status(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    project = shot.storyboard.project
    statuses.statuses_for(project)
    form = SetStatusForm(request.POST, project=project)
    errors = [] if form.is_valid() else form.errors["status"]
    if not errors:
        statuses.set_status(shot=shot, status=form.cleaned_data["status"], user=request.user)
    if not request.htmx:
        for message in errors:
            messages.error(request, message)
        return redirect(shot.get_absolute_url())
    approved, total = statuses.progress(shot.storyboard)
    context = {
        "shot": shot,
        "project": project,
        "storyboard": shot.storyboard,
        "state": statuses.status_of(shot),
        "statuses": statuses.statuses_for(project),
        "can_edit": True,
        "errors": errors,
        "approved": approved,
        "total": total,
    }
    return render(request, "review/statuses_reply.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit_statuses(request: HttpRequest, project_id: int) -> HttpResponse:
    """Rename, recolour, reorder, add and delete the project's statuses (one form)."""
    project = get_project_for_user(request, project_id, edit=request.method == "POST")
    statuses.statuses_for(project)
    formset = ReviewStatusFormSet(request.POST or None, project=project)
    if request.method == "POST" and formset.is_valid():
        with transaction.atomic():
            formset.save_statuses()
        messages.success(request, "Review statuses saved.")
        return redirect(request.get_full_path())
    wanted = parse_id(request.GET.get("storyboard"))
    in_use = ReviewStatus.objects.filter(project=project).annotate(n=Count("shots"))
    context = {
        "project": project,
        "formset": formset,
        "statuses": statuses.statuses_for(project),
        "can_edit": project.can_edit,
        "in_use": {status.pk: status.n for status in in_use},
        "back": Storyboard.objects.filter(project=project, pk=wanted).first() if wanted else None,
    }
    return render(request, "review/statuses_edit.html", context)
