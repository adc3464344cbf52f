"""The permission-checked project lookup every view taking a project id goes through."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from library.models import Role
from projects.models import Project


def get_project_for_user(request: HttpRequest, project_id: int, *, edit: bool = False) -> Project:
    """The project if this user may see it: a 404 for strangers, never a 403. With
    edit=True, a viewer gets the 403 page."""
    # The project and the viewer's role in one query (every project page starts here).
    # Owner or member is for_user()'s rule: with neither role, the 404 of a missing id.
    project = get_object_or_404(
        Project.objects.select_related("owner").with_member_role(request.user), pk=project_id
    )
    project.role = "owner" if project.owner_id == request.user.pk else project.member_role
    if project.role is None:
        raise Http404("No Project matches the given query.")
    if edit and project.role not in ("owner", Role.EDITOR):
        raise PermissionDenied
    return project


def require_project_owner(request: HttpRequest, project: Project) -> None:
    """Deleting, archiving and sharing a project are for its owner alone."""
    if project.owner_id != request.user.pk:
        raise PermissionDenied
