"""What generations add to a project's pages, as template tags.

Projects sit below generations (DESIGN §0): the project page and the project list do
not import them. Their templates load these tags, which bring the generation parts in.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from generations.models import GenerationOutput, State
from generations.views.compose import project_page_context
from projects.models import Project

register = template.Library()


@register.simple_tag(takes_context=True)
def project_generations(context: template.Context) -> SafeString:
    """The composer (for editors) and the live recent cards, for the project page."""
    request, project = context["request"], context["project"]
    values = {**context.flatten(), **project_page_context(request, project)}
    parts = ["generations/compose.html#recent"]
    if values.get("composer_form"):
        parts.insert(0, "generations/compose.html#composer")
    # Safe: the templates escaped what they put in.
    return mark_safe("".join(render_to_string(name, values, request=request) for name in parts))


@register.simple_tag
def with_result_covers(projects: Iterable[Project]) -> list[Project]:
    """The projects, each with `cover_output_id`: its latest ready output (every output
    has a thumbnail: an image's own, or a clip's first frame). One query for them all."""
    projects = list(projects)
    latest = (
        GenerationOutput.objects.filter(
            generation__project=OuterRef("pk"), generation__state=State.READY
        )
        .exclude(thumbnail="")
        .order_by("-generation__created_at", "-generation_id", "index")
    )
    covers = dict(
        Project.objects.filter(pk__in=[project.pk for project in projects])
        .annotate(cover=Subquery(latest.values("pk")[:1]))
        .values_list("pk", "cover")
    )
    for project in projects:
        project.cover_output_id = covers.get(project.pk)
    return projects
