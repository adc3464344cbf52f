"""Permission-checked lookups for generations, their outputs and input snapshots.

Every view that takes one of these ids goes through here: a stranger's id answers 404
(never 403), and with edit=True a viewer of the project gets the 403 page.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from generations.models import Generation, GenerationInput, GenerationOutput
from projects.access import get_project_for_user


def get_generation_for_user(
    request: HttpRequest, project_id: int, generation_id: int, *, edit: bool = False
) -> Generation:
    project = get_project_for_user(request, project_id, edit=edit)
    generation = get_object_or_404(
        Generation.objects.filter(project=project).select_related("connection", "created_by"),
        pk=generation_id,
    )
    generation.project = project  # carries the viewer's role
    return generation


def get_output_for_user(request: HttpRequest, project_id: int, output_id: int) -> GenerationOutput:
    project = get_project_for_user(request, project_id)
    # Just the output row: thumbnails, most of these requests, need nothing else.
    return get_object_or_404(GenerationOutput, pk=output_id, generation__project=project)


def get_input_for_user(request: HttpRequest, project_id: int, input_id: int) -> GenerationInput:
    project = get_project_for_user(request, project_id)
    return get_object_or_404(GenerationInput, pk=input_id, generation__project=project)
