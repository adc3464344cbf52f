"""The permission-checked project lookup every view taking a project id goes through,
and the strict reading of ids (and other counts) that arrive in query strings and forms."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts.sharing import OWNER
from projects.models import Project

# Primary keys are 64-bit signed integers (BigAutoField; SQLite's INTEGER alike).
MAX_ID = 2**63 - 1


def parse_int(value: object, *, maximum: int = MAX_ID) -> int | None:
    """A whole number 0..maximum written in ASCII digits (or a JSON int), else None.

    Stricter than str.isdigit(), which also takes "²" that int() then refuses, and
    bounded: a number past the database's integers fails the query itself. Both were 500s.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= maximum else None
    text = value.strip() if isinstance(value, str) else ""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def parse_id(value: object) -> int | None:
    """A row id from a request (1..MAX_ID), or None: an id that cannot exist finds nothing."""
    number = parse_int(value)
    return number if number else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The well-formed ids among `values`, in order; the others are left out."""
    return [pk for pk in map(parse_id, values) if pk is not None]


def get_project_for_user(request: HttpRequest, project_id: int, *, edit: bool = False) -> Project:
    """The project if this user may see it: a 404 for strangers, never a 403. With
    edit=True, a viewer gets the 403 page."""
    # The project and the viewer's role in one query (every project page starts here).
    # Owner or member is for_user()'s rule: with neither role, the 404 of a missing id.
    project = get_object_or_404(
        Project.objects.select_related("owner").with_member_role(request.user), pk=project_id
    )
    project.role = OWNER if project.owner_id == request.user.pk else project.member_role
    if project.role is None:
        raise Http404("No Project matches the given query.")
    if edit and not project.can_edit:
        raise PermissionDenied
    return project


def require_project_owner(request: HttpRequest, project: Project) -> None:
    """Deleting, archiving and sharing a project are for its owner alone."""
    if project.owner_id != request.user.pk:
        raise PermissionDenied
