"""The project list and a project's own page: create, rename, archive, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.sharing import ShareForm
from library.models import Library, Subject
from projects.access import get_project_for_user, require_project_owner
from projects.forms import ProjectForm
from projects.models import Project
from projects.services import (
    archive_project,
    create_project,
    delete_project,
    deletion_summary,
    unarchive_project,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    mine = Project.objects.for_user(request.user)
    showing_archived = request.GET.get("show") == "archived"
    projects = (mine.archived() if showing_archived else mine.active()).with_list_details()
    context = {
        "projects": list(projects),
        "showing_archived": showing_archived,
        "archived_count": mine.archived().count(),
    }
    return render(request, "projects/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_project(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = create_project(owner=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Project “{project.name}” created.")
        if request.htmx:
            return HttpResponseClientRedirect(project.get_absolute_url())
        return redirect(project)
    template = "projects/new.html#form" if request.htmx else "projects/new.html"
    return render(request, template, {"form": form})


@login_required
def detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id)
    context = detail_context(request, project)
    return render(request, "projects/detail.html", context)


def detail_context(request: HttpRequest, project: Project, **extra) -> dict:
    """What the project page and its libraries/sharing fragments render from."""
    subjects = Subject.objects.prefetch_related("images")
    libraries = project.libraries.select_related("owner").prefetch_related(
        Prefetch("subjects", queryset=subjects)
    )
    attached = [library.pk for library in libraries]
    can_edit = project.can_edit
    # "New subject" beside each library this person may add to (editors of the project).
    editable = Library.objects.editable_by(request.user).filter(pk__in=attached)
    return {
        "project": project,
        "libraries": libraries,
        "can_edit": can_edit,
        "is_owner": project.is_owner,
        "attachable": Library.objects.attachable_by(request.user).exclude(pk__in=attached)
        if can_edit
        else [],
        "editable_library_ids": set(editable.values_list("pk", flat=True)) if can_edit else set(),
        "memberships": project.memberships.select_related("user"),
        "share_form": ShareForm(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Project renamed.")
        if request.htmx:
            return HttpResponseClientRedirect(project.get_absolute_url())
        return redirect(project)
    template = "projects/rename.html#form" if request.htmx else "projects/rename.html"
    return render(request, template, {"form": form, "project": project})


@login_required
@require_POST
def archive(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    require_project_owner(request, project)
    archive_project(project=project)
    messages.success(request, f"“{project.name}” archived. Find it under Archived.")
    return redirect("projects:home")


@login_required
@require_POST
def unarchive(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    require_project_owner(request, project)
    unarchive_project(project=project)
    messages.success(request, f"“{project.name}” is back with your active projects.")
    return redirect(project)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    require_project_owner(request, project)
    if request.method == "POST":
        delete_project(project=project)
        messages.success(request, f"Project “{project.name}” deleted.")
        return redirect("projects:home")
    context = {"project": project, "summary": deletion_summary(project)}
    return render(request, "projects/delete.html", context)
