"""The live gallery: the project's results as a grid, the lightbox, review (of one result
or many at once) and compare."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from generations import gallery
from generations.cards import for_cards
from generations.forms import GenerationFilterForm
from generations.gallery import MAX_BULK, BulkForm, Cursor, ReviewForm
from generations.models import Generation, GenerationOutput, Mode
from library.mentions import MENTION
from projects.access import get_project_for_user, parse_id, parse_ids

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
    for name in ("after", "open"):  # the next page's cursor; the lightbox (gallery.js)
        query.pop(name, None)
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
        # Image to video takes no subjects and refuses a prompt that mentions one: the
        # names stay as plain words. Reference to video keeps them, from the subjects.
        plain = MENTION.sub(r"\1", generation.prompt)
        links["animate"] = link(mode=Mode.IMAGE_TO_VIDEO, start_output=output.pk, prompt=plain)
        if plain != generation.prompt:
            links["animate_subjects"] = link(mode=Mode.REFERENCE_TO_VIDEO, prompt=generation.prompt)
    return links


@login_required
@require_POST
def review(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    """Star, rate, tag, keep or annotate (editors only). Sends only the fields it changes."""
    project = get_project_for_user(request, project_id, edit=True)
    generation = _generation(project, generation_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        generation.review = gallery.save_review(
            generation=generation, user=request.user, changes=form.changes(request.POST)
        )
    if not request.htmx:
        return redirect("generations:lightbox", project.pk, generation.pk)
    if request.POST.get("shown_in") == "compare":
        context = {"project": project, "g": generation, "can_edit": True}
        return render(request, f"{TEMPLATE}#compare_review", context)
    context = {**lightbox_context(project, generation), "review_form": form}
    return render(request, f"{TEMPLATE}#review", context)


@login_required
@require_POST
def bulk(request: HttpRequest, project_id: int) -> HttpResponse:
    """Star, unstar, tag or delete the selected results (editors only). Ids of other
    projects, and ids that are not ids, find nothing here and are left out."""
    project = get_project_for_user(request, project_id, edit=True)
    form = BulkForm(request.POST)
    ids = parse_ids(request.POST.getlist("ids"))[:MAX_BULK]
    chosen = list(Generation.objects.filter(project=project, pk__in=ids))
    result = gallery.BulkResult()
    if form.is_valid():
        result = gallery.apply_bulk(generations=chosen, user=request.user, **form.cleaned_data)
    message = bulk_message(form, result)
    if not request.htmx:
        messages.info(request, message)
        return redirect("generations:gallery", project.pk)
    changed = for_cards(Generation.objects.filter(pk__in=result.changed))
    context = {"cards": changed, "result": result, "message": message, "form": form}
    return render(request, f"{TEMPLATE}#bulk_reply", context)


def bulk_message(form: BulkForm, result: gallery.BulkResult) -> str:
    if not form.is_valid():
        return " ".join(error for errors in form.errors.values() for error in errors)
    count = len(result.changed) or len(result.removed)
    done = {"star": "starred", "unstar": "unstarred", "tag": "tagged", "delete": "deleted"}
    text = f"{count} result{'s' if count != 1 else ''} {done[form.cleaned_data['action']]}."
    if result.refused:
        text += f" {len(result.refused)} still running: cancel them first."
    return text


@login_required
def compare(request: HttpRequest, project_id: int) -> HttpResponse:
    """Up to six results side by side, or any two of them under a slider (a wipe); videos
    play with one shared playhead."""
    project = get_project_for_user(request, project_id)
    ids = list(dict.fromkeys(parse_ids(request.GET.getlist("ids"))))[:6]
    found = (
        Generation.objects.filter(project=project, pk__in=ids)
        .select_related("project", "review")
        .prefetch_related("outputs")
    )
    by_id = {generation.pk: generation for generation in found}
    generations = [by_id[pk] for pk in ids if pk in by_id]
    slider = request.GET.get("view") == "slider" and len(generations) >= 2
    context = {
        "project": project,
        "generations": generations,
        "view": "slider" if slider else "side",
        "ids": [g.pk for g in generations],
        "can_edit": project.can_edit,
        "has_video": any(g.is_video for g in generations),
    }
    if slider:
        context["left"], context["right"] = slider_pair(generations, request.GET)
    if request.htmx:
        return render(request, f"{TEMPLATE}#compare", context)
    return render(request, TEMPLATE, {**context, "standalone": "compare"})


def slider_pair(generations: list[Generation], query) -> tuple[Generation, Generation]:
    """The two under the slider: `left` and `right` when they are among the compared
    (and differ), else the first two."""
    by_id = {generation.pk: generation for generation in generations}
    left = by_id.get(parse_id(query.get("left"))) or generations[0]
    right = by_id.get(parse_id(query.get("right")))
    if right is None or right == left:
        right = next(g for g in generations if g != left)
    return left, right
