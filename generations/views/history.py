"""A project's generations: the filterable history, one generation's page, its card."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from generations.access import get_generation_for_user
from generations.actions import can_cancel, can_check_again, recorded_seed
from generations.cards import estimate, for_cards, render_card
from generations.forms import GenerationFilterForm
from generations.models import Generation, State
from library.models import Subject
from projects.access import get_project_for_user

PAGE_SIZE = 24


@login_required
@require_GET
def history(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id)
    form = GenerationFilterForm(request.GET, project=project)
    generations = for_cards(Generation.objects.filter(project=project).matching(form.filters))
    page = Paginator(generations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "filter_form": form,
        "page": page,
        "filtering": any(v for k, v in request.GET.items() if k != "page"),
        # Ordered by the name alone: DISTINCT also covers the ordering's columns, so the
        # model's (name, id) would list a name found in two libraries twice.
        "subject_names": Subject.objects.filter(library__projects=project)
        .order_by(Lower("name"))
        .values_list("name", flat=True)
        .distinct(),
    }
    if request.htmx and request.htmx.target == "history-results":
        return render(request, "generations/history.html#results", context)
    return render(request, "generations/history.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    generation = get_generation_for_user(request, project_id, generation_id)
    outputs = list(generation.outputs.all())
    context = {
        "generation": generation,
        "project": generation.project,
        "can_edit": generation.project.can_edit,
        "can_cancel": can_cancel(generation),
        "can_check_again": can_check_again(generation),
        "can_retry": generation.state in (State.FAILED, State.CANCELLED),
        "seed": recorded_seed(generation),
        "params": [
            (k.replace("_", " ").capitalize(), v) for k, v in sorted(generation.params.items())
        ],
        "inputs": list(generation.inputs.all()),
        "timeline": _timeline(generation),
        "outputs": outputs,
        "stills": [o for o in outputs if o.kind == "image"],
        "derived": list(generation.derived.all()[:12]),
        "provider_log": list(generation.provider_log.all()),
        "eta": None if generation.is_terminal else estimate(generation),
    }
    return render(request, "generations/detail.html", context)


def _timeline(generation: Generation) -> list[tuple]:
    """Each state change with the seconds since the first one."""
    changes = list(generation.history.all())
    return [(c, (c.at - changes[0].at).total_seconds()) for c in changes]


@login_required
@require_GET
def card(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    """One card as the gallery and the project page show it (for polling and re-syncs)."""
    generation = get_generation_for_user(request, project_id, generation_id)
    return HttpResponse(render_card(generation))
