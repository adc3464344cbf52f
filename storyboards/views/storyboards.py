"""The storyboard page (shot strip and the chosen shot's panel), its settings, the
reorder endpoint, "Generate all" with its cost first, and the batch progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.access import get_project_for_user, parse_id, parse_ids
from providers.models import ProviderConnection
from storyboards import renders, services
from storyboards.access import get_storyboard_for_user
from storyboards.forms import StoryboardForm
from storyboards.models import Shot, Storyboard

TEMPLATE = "storyboards/detail.html"


def page_context(storyboard: Storyboard, *, selected: Shot | None = None) -> dict:
    """The strip of shots (with takes prefetched), the chosen shot, costs and the batch."""
    shots = list(
        storyboard.shots.select_related("keeper__generation").prefetch_related(
            "takes__generation__outputs", "takes__generation__review"
        )
    )
    if selected is not None:
        selected = next((shot for shot in shots if shot.pk == selected.pk), None)
    project = storyboard.project
    return {
        "project": project,
        "storyboard": storyboard,
        "shots": shots,
        "selected": selected,
        "can_edit": project.can_edit,
        "total_credits": sum(shot.credits for shot in shots),
        "batch": storyboard.batches.first(),
        "animatic": renders.latest(storyboard),
    }


@login_required
@require_http_methods(["GET", "POST"])
def new_storyboard(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    form = StoryboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        storyboard = services.create_storyboard(
            project=project, user=request.user, **form.cleaned_data
        )
        return redirect(storyboard)
    return render(request, "storyboards/form.html", {"project": project, "form": form})


@login_required
@require_GET
def detail(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    wanted = parse_id(request.GET.get("shot"))
    shots = storyboard.shots.all()
    selected = (shots.filter(pk=wanted).first() if wanted else None) or shots.first()
    context = page_context(storyboard, selected=selected)
    if request.htmx and request.GET.get("part") == "strip":  # storyboards.js, after a push
        return render(request, f"{TEMPLATE}#strip", context)
    return render(request, TEMPLATE, context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    form = StoryboardForm(request.POST or None, instance=storyboard)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect(storyboard)
    context = {"project": storyboard.project, "storyboard": storyboard, "form": form}
    return render(request, "storyboards/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    if request.method == "POST":
        storyboard.delete()
        messages.success(request, f"Storyboard “{storyboard.title}” deleted; its generations stay.")
        return redirect(storyboard.project)
    context = {"project": storyboard.project, "storyboard": storyboard}
    return render(request, "storyboards/delete.html", context)


@login_required
@require_POST
def reorder(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """The full new order of shot ids (drag and drop); a stale list is refused with 409."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    ids = parse_ids(request.POST.getlist("shot"))
    try:
        services.reorder_shots(storyboard=storyboard, shot_ids=ids)
    except services.OrderConflict as conflict:
        if request.htmx:
            return HttpResponse(str(conflict), status=409)
        messages.error(request, str(conflict))
        return redirect(storyboard)
    if request.htmx:
        wanted = parse_id(request.POST.get("selected"))
        selected = storyboard.shots.filter(pk=wanted).first() if wanted else None
        return render(request, f"{TEMPLATE}#board", page_context(storyboard, selected=selected))
    return redirect(storyboard)


@login_required
@require_http_methods(["GET", "POST"])
def generate_all(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """GET: what would be generated and its expected cost; POST: queue it as one batch."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    shots = services.shots_to_generate(storyboard)
    connection = ProviderConnection.objects.for_new_work()
    if request.method == "POST" and shots and connection:
        result = services.generate_all(
            storyboard=storyboard,
            user=request.user,
            connection=connection,
            off_peak=request.POST.get("off_peak") == "on",
        )
        for shot, reason in result.refused:
            messages.error(request, f"Shot {shot.number} was not generated: {reason}")
        if result.takes:
            messages.success(request, f"{len(result.takes)} takes queued as one batch.")
        return redirect(storyboard)
    context = {
        "project": storyboard.project,
        "storyboard": storyboard,
        "shots": shots,
        "cost": sum(services.estimate_shot(shot) for shot in shots),
        "off_peak_cost": sum(services.estimate_shot(shot, off_peak=True) for shot in shots),
        "off_peak_shots": [s for s in shots if services.off_peak_allowed(services.shot_spec(s))],
        "no_connection": connection is None,
    }
    return render(request, "storyboards/generate_all.html", context)


@login_required
@require_GET
def progress(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    return render(
        request,
        f"{TEMPLATE}#progress",
        {"batch": storyboard.batches.first(), "storyboard": storyboard},
    )
