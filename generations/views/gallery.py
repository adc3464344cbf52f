"""The live gallery: the project's results as a grid, the lightbox, review and compare."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from generations import gallery
from generations.forms import GenerationFilterForm
from generations.gallery import Cursor, ReviewForm
from generations.models import Generation, GenerationOutput, Mode
from projects.access import get_project_for_user, parse_ids

TEMPLATE = "generations/gallery.html"


@login_required
def gallery_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The grid, filtered by the URL; htmx asks for the next page when the end scrolls in."""
    project = get_project_for_user(request, project_id)
    form = GenerationFilterForm(request.GET, project=project)
    filters = form.filters
    generations = Generation.objects.filter(project=project).matching(filters)
    cards, next_cursor = gallery.page(generations, after=Cursor.parse(request.GET.get("after", "")))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "project": project,
        "can_edit": project.can_edit,
        "form": form,
        "generations": cards,
        "next_cursor": next_cursor,
        "filter_query": query.urlencode(),
        "filtered": any(value not in (None, "", False) for value in filters.values()),
    }
    if request.htmx and "after" in request.GET:
        return render(request, f"{TEMPLATE}#page", context)
    newest = Generation.objects.filter(project=project).order_by("-pk").values_list("pk", flat=True)
    context["newest"] = newest.first() or 0
    context["total"] = generations.count() if context["filtered"] else None
    return render(request, TEMPLATE, context)


def _generation(project, generation_id: int) -> Generation:
    queryset = Generation.objects.filter(project=project).select_related(
        "project", "review", "created_by"
    )
    return get_object_or_404(queryset.prefetch_related("outputs", "inputs"), pk=generation_id)


@login_required
def lightbox(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    """One result at full size with every parameter, its review and what to do next."""
    project = get_project_for_user(request, project_id)
    generation = _generation(project, generation_id)
    context = lightbox_context(project, generation)
    if request.htmx:
        return render(request, f"{TEMPLATE}#lightbox", context)
    return render(request, TEMPLATE, {**context, "standalone": "lightbox"})


def lightbox_context(project, generation: Generation) -> dict:
    outputs = list(generation.outputs.all())
    return {
        "project": project,
        "generation": generation,
        "outputs": outputs,
        "review": getattr(generation, "review", None),
        "params": [
            (key.replace("_", " ").capitalize(), value)
            for key, value in generation.params.items()
            if key != "seed"
        ],
        "can_edit": project.can_edit,
        "composer": composer_links(generation, outputs[0] if outputs else None),
    }


def composer_links(generation: Generation, output: GenerationOutput | None) -> dict[str, str]:
    """Links that refill the composer on the project page (it reads its fields from the
    query string): the prompt alone; every parameter; an image to video from this still.

    Input images are not carried by a link; Re-run and Vary (POST actions) reuse them.
    """
    base = reverse("projects:detail", args=[generation.project_id])

    def link(**params) -> str:
        return f"{base}?{urlencode(params)}#composer"

    settings = {key: value for key, value in generation.params.items() if key != "seed"}
    links = {
        "use_prompt": link(prompt=generation.prompt),
        "use_all": link(
            mode=generation.mode, model=generation.model, prompt=generation.prompt, **settings
        ),
    }
    if output and output.kind == GenerationOutput.Kind.IMAGE:
        links["animate"] = link(
            mode=Mode.IMAGE_TO_VIDEO, start_output=output.pk, prompt=generation.prompt
        )
    return links


@login_required
@require_POST
def review(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    """Star, rate, tag or annotate (editors only). Sends only the fields it changes."""
    project = get_project_for_user(request, project_id, edit=True)
    generation = _generation(project, generation_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        generation.review = gallery.save_review(
            generation=generation, user=request.user, changes=form.changes(request.POST)
        )
    if not request.htmx:
        return redirect("generations:lightbox", project.pk, generation.pk)
    context = {**lightbox_context(project, generation), "review_form": form}
    return render(request, f"{TEMPLATE}#review", context)


@login_required
def compare(request: HttpRequest, project_id: int) -> HttpResponse:
    """Two or more results side by side, or two under a slider."""
    project = get_project_for_user(request, project_id)
    ids = parse_ids(request.GET.getlist("ids"))[:6]
    found = (
        Generation.objects.filter(project=project, pk__in=ids)
        .select_related("project")
        .prefetch_related("outputs")
    )
    by_id = {generation.pk: generation for generation in found}
    generations = [by_id[pk] for pk in ids if pk in by_id]
    view = "slider" if request.GET.get("view") == "slider" and len(generations) == 2 else "side"
    context = {"project": project, "generations": generations, "view": view, "ids": ids}
    if request.htmx:
        return render(request, f"{TEMPLATE}#compare", context)
    return render(request, TEMPLATE, {**context, "standalone": "compare"})
