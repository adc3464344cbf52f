"""A project's members and the libraries it uses: fragments of the project page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.sharing import ShareForm
from library.models import Library
from library.services import ShareRefused
from projects.access import get_project_for_user, parse_id, require_project_owner
from projects.forms import NewLibraryForm
from projects.services import (
    add_member,
    attach_library,
    create_library_for_project,
    detach_library,
    remove_membership,
)
from projects.views.projects import detail_context


def _fragment(request: HttpRequest, project, name: str, **extra) -> HttpResponse:
    """The fresh fragment for htmx; the whole page again without JavaScript."""
    if not request.htmx and not extra:
        return redirect(project)
    template = f"projects/detail.html#{name}" if request.htmx else "projects/detail.html"
    return render(request, template, detail_context(request, project, **extra))


@login_required
@require_POST
def add_member_view(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    require_project_owner(request, project)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            membership = add_member(project=project, **form.cleaned_data)
        except ShareRefused as refused:
            form.add_error("username", refused.message)
        else:
            if not request.htmx:  # htmx shows the new member in the list itself
                who, role = membership.user.username, membership.get_role_display().lower()
                messages.success(request, f"{who} joined as {role}.")
            return _fragment(request, project, "sharing")
    return _fragment(request, project, "sharing", share_form=form)


@login_required
@require_POST
def remove_member(request: HttpRequest, project_id: int, membership_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id)
    membership = get_object_or_404(project.memberships, pk=membership_id)
    # Members may leave on their own; only the owner removes others.
    if membership.user_id != request.user.pk:
        require_project_owner(request, project)
    remove_membership(membership=membership)
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left “{project.name}”.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("projects:home"))
        return redirect("projects:home")
    return _fragment(request, project, "sharing")


@login_required
@require_POST
def attach(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    library_id = parse_id(request.POST.get("library"))
    if library_id is None:
        raise Http404
    library = get_object_or_404(Library.objects.attachable_by(request.user), pk=library_id)
    attach_library(project=project, library=library)
    return _fragment(request, project, "libraries")


@login_required
@require_POST
def detach(request: HttpRequest, project_id: int, library_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    library = get_object_or_404(project.libraries, pk=library_id)
    detach_library(project=project, library=library)
    return _fragment(request, project, "libraries")


@login_required
@require_http_methods(["GET", "POST"])
def new_library(request: HttpRequest, project_id: int) -> HttpResponse:
    """ "New library" on a project's page: made, attached to the project, and back to it."""
    project = get_project_for_user(request, project_id, edit=True)
    form = NewLibraryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        library = create_library_for_project(project=project, owner=request.user, name=name)
        messages.success(request, f"Library “{library.name}” is ready here. Add its first subject.")
        back = f"{project.get_absolute_url()}#project-libraries"
        return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    action = reverse("projects:new_library", args=[project.pk])
    context = {"form": form, "project": project, "action": action}
    template = "library/new.html#form" if request.htmx else "library/new.html"
    return render(request, template, context)
