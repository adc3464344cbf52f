"""Permission-checked lookups for storyboards, shots and takes.

Each goes through the project's lookup: a stranger's id answers 404 (never 403) and,
with edit=True, a viewer of the project gets the 403 page.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from projects.access import get_project_for_user
from storyboards.models import Shot, Storyboard, Take


def get_storyboard_for_user(
    request: HttpRequest, project_id: int, storyboard_id: int, *, edit: bool = False
) -> Storyboard:
    project = get_project_for_user(request, project_id, edit=edit)
    storyboard = get_object_or_404(Storyboard, project=project, pk=storyboard_id)
    storyboard.project = project  # carries the viewer's role
    return storyboard


def get_shot_for_user(
    request: HttpRequest, project_id: int, shot_id: int, *, edit: bool = False
) -> Shot:
    project = get_project_for_user(request, project_id, edit=edit)
    shot = get_object_or_404(
        Shot.objects.select_related("storyboard"), storyboard__project=project, pk=shot_id
    )
    shot.storyboard.project = project
    return shot


def get_take_for_user(
    request: HttpRequest, project_id: int, take_id: int, *, edit: bool = False
) -> Take:
    project = get_project_for_user(request, project_id, edit=edit)
    take = get_object_or_404(
        Take.objects.select_related("shot__storyboard", "generation"),
        shot__storyboard__project=project,
        pk=take_id,
    )
    take.shot.storyboard.project = project
    return take
