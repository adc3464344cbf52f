"""The permission-checked project lookup every view taking a project id goes through."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from library.models import Role
from projects.models import Project


def get_project_for_user(request: HttpRequest, project_id: int, *, edit: bool = False) -> Project:
    """The project if this user may see it: a 404 for strangers, never a 403. With
    edit=True, a viewer gets the 403 page."""
    project = get_object_or_404(
        Project.objects.for_user(request.user).select_related("owner"), pk=project_id
    )
    project.role = project.role_for(request.user)
    if edit and project.role not in ("owner", Role.EDITOR):
        raise PermissionDenied
    return project


def require_project_owner(request: HttpRequest, project: Project) -> None:
    """Deleting, archiving and sharing a project are for its owner alone."""
    if project.owner_id != request.user.pk:
        raise PermissionDenied
