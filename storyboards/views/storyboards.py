"""The storyboard page (the board of shots and the chosen shot's panel), its settings,
the reorder endpoint, "Generate missing" with its cost first, and the live poll."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generations.composer import mention_suggestions, subject_index
from library import mentions
from projects.access import get_project_for_user, parse_id, parse_ids
from projects.models import Project
from providers.models import ProviderConnection
from storyboards import renders, services
from storyboards.access import get_storyboard_for_user
from storyboards.forms import StoryboardForm
from storyboards.models import Shot, Storyboard

TEMPLATE = "storyboards/detail.html"


def page_context(storyboard: Storyboard, *, selected: Shot | None = None) -> dict:
    """The board (shots with their takes prefetched), the chosen shot, the running batch."""
    shots = list(
        storyboard.shots.select_related("keeper__generation").prefetch_related(
            "takes__generation__outputs", "takes__generation__review"
        )
    )
    if selected is not None:
        selected = next((shot for shot in shots if shot.pk == selected.pk), None)
    project = storyboard.project
    batch = storyboard.batches.first()
    progress = batch.progress() if batch else (0, 0)
    context = {
        **summary_context(storyboard, shots),
        "project": project,
        "storyboard": storyboard,
        "selected": selected,
        "can_edit": project.can_edit,
        # The banner of the last "Generate missing", while it runs: gone once it is done.
        "batch": batch if progress[0] < progress[1] else None,
        "batch_done": progress[0],
        "batch_total": progress[1],
        "running": any(shot.running_takes for shot in shots),
        "animatic": renders.latest(storyboard),
    }
    return context


def render_page(
    request: HttpRequest, storyboard: Storyboard, *, selected: Shot | None
) -> HttpResponse:
    """The whole page; for editors with the subjects `@` can mention in a shot's prompt."""
    context = page_context(storyboard, selected=selected)
    if context["can_edit"]:
        context.update(mention_context(storyboard.project))
    return render(request, TEMPLATE, context)


def summary_context(storyboard: Storyboard, shots: list[Shot] | None = None) -> dict:
    """The header's figures: shots, their running time, keepers and credits."""
    if shots is None:
        shots = list(storyboard.shots.prefetch_related("takes__generation"))
    return {
        "shots": shots,
        "total_credits": sum(shot.credits for shot in shots),
        "total_duration": sum(shot.duration for shot in shots),
        "kept_count": sum(1 for shot in shots if shot.keeper_id),
    }


def mention_context(project: Project) -> dict:
    """What the prompt's `@` suggestions read (composer.js): the project's subjects and
    the one mention rule."""
    return {
        "mention_subjects": mention_suggestions(subject_index(project)),
        "mention_rules": mentions.js_rules(),
    }


def render_board(
    request: HttpRequest, storyboard: Storyboard, *, selected: Shot | None, **extra: object
) -> HttpResponse:
    """The board fragment (shots, the chosen shot's panel, the batch banner) for htmx,
    with the page header's summary out of band."""
    context = {**page_context(storyboard, selected=selected), "fragment": True, **extra}
    return render(request, f"{TEMPLATE}#board", context)


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
    return render_page(request, storyboard, selected=selected)


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
        return render_board(request, storyboard, selected=selected)
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
def live(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """What moves while takes run, out of band: every shot's picture and status, the
    chosen shot's status, the batch banner, the summary, and this poll itself, which
    stops coming back once nothing runs (storyboards.js asks at once after a push)."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    wanted = parse_id(request.GET.get("shot"))
    selected = storyboard.shots.filter(pk=wanted).first() if wanted else None
    context = {**page_context(storyboard, selected=selected), "oob": True}
    return render(request, f"{TEMPLATE}#live", context)
