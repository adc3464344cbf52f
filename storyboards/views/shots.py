"""A shot's panel and its actions: add, edit, duplicate, move, delete, Generate,
Continue from previous shot; a take's Keep and Animate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generations.services import GenerationRejected
from projects.access import parse_id
from providers.models import ProviderConnection
from storyboards import services
from storyboards.access import get_shot_for_user, get_storyboard_for_user, get_take_for_user
from storyboards.forms import GenerateForm, ShotForm
from storyboards.models import Shot
from storyboards.views.storyboards import TEMPLATE, page_context


def _panel(request: HttpRequest, shot: Shot, **extra: object) -> HttpResponse:
    """The shot's panel after an action: the fragment for htmx, else back to the page."""
    if request.htmx:
        context = {**page_context(shot.storyboard, selected=shot), **extra}
        return render(request, f"{TEMPLATE}#board", context)
    for message in extra.get("errors", []):
        messages.error(request, message)
    return redirect(shot.get_absolute_url())


@login_required
@require_GET
def shot_page(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id)
    return render(request, TEMPLATE, page_context(shot.storyboard, selected=shot))


@login_required
@require_http_methods(["GET", "POST"])
def add_shot(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    after_id = parse_id(request.GET.get("after"))
    after = storyboard.shots.filter(pk=after_id).first() if after_id else None
    initial = {
        "mode": storyboard.mode,
        "model": storyboard.model,
        "aspect_ratio": storyboard.aspect_ratio,
    }
    form = ShotForm(request.POST or None, initial=initial, project=storyboard.project)
    if request.method == "POST" and form.is_valid():
        shot = services.add_shot(storyboard=storyboard, after=after, **form.shot_fields())
        return redirect(shot.get_absolute_url())
    context = {
        "project": storyboard.project,
        "storyboard": storyboard,
        "form": form,
        "after": after,
    }
    return render(request, "storyboards/shot_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit_shot(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    form = ShotForm(request.POST or None, instance=shot, project=shot.storyboard.project)
    if request.method == "POST" and form.is_valid():
        for name, value in form.shot_fields().items():
            setattr(shot, name, value)
        shot.save()
        return redirect(shot.get_absolute_url())
    context = {
        "project": shot.storyboard.project,
        "storyboard": shot.storyboard,
        "form": form,
        "shot": shot,
    }
    return render(request, "storyboards/shot_form.html", context)


@login_required
@require_POST
def duplicate_shot(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    copy = services.duplicate_shot(shot=shot)
    return redirect(copy.get_absolute_url())


@login_required
@require_POST
def move_shot(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    services.move_shot(shot=shot, offset=-1 if request.POST.get("direction") == "up" else 1)
    return _panel(request, shot)


@login_required
@require_http_methods(["GET", "POST"])
def delete_shot(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    if request.method == "POST":
        services.delete_shot(shot=shot)
        messages.success(
            request, f"Shot {shot.number} deleted; its generations stay in the project."
        )
        return redirect(shot.storyboard)
    context = {"project": shot.storyboard.project, "storyboard": shot.storyboard, "shot": shot}
    return render(request, "storyboards/delete.html", context)


@login_required
@require_POST
def generate(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    form, connection = GenerateForm(request.POST), ProviderConnection.objects.for_new_work()
    if connection is None:
        return _panel(request, shot, errors=["No provider is active; ask the studio's owner."])
    if not form.is_valid():
        return _panel(request, shot, errors=["Choose 1 to 4 variations."])
    try:
        services.generate_takes(
            shot=shot,
            user=request.user,
            connection=connection,
            variations=form.cleaned_data["variations"],
        )
    except GenerationRejected as rejected:
        return _panel(request, shot, errors=[error.message for error in rejected.errors])
    return _panel(request, shot)


@login_required
@require_POST
def continue_shot(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    connection = ProviderConnection.objects.for_new_work()
    try:
        if connection is None:
            raise services.StoryboardError("No provider is active; ask the studio's owner.")
        services.continue_from_previous(shot=shot, user=request.user, connection=connection)
    except (services.StoryboardError, GenerationRejected) as refused:
        return _panel(request, shot, errors=[str(refused)])
    return _panel(request, shot)


@login_required
@require_POST
def keep(request: HttpRequest, project_id: int, take_id: int) -> HttpResponse:
    take = get_take_for_user(request, project_id, take_id, edit=True)
    shot = take.shot
    try:
        services.choose_keeper(shot=shot, take=None if request.POST.get("clear") else take)
    except services.StoryboardError as refused:
        return _panel(request, shot, errors=[str(refused)])
    return _panel(request, shot)


@login_required
@require_POST
def animate(request: HttpRequest, project_id: int, take_id: int) -> HttpResponse:
    take = get_take_for_user(request, project_id, take_id, edit=True)
    connection = ProviderConnection.objects.for_new_work()
    try:
        if connection is None:
            raise services.StoryboardError("No provider is active; ask the studio's owner.")
        services.animate_take(take=take, user=request.user, connection=connection)
    except (services.StoryboardError, GenerationRejected) as refused:
        return _panel(request, take.shot, errors=[str(refused)])
    return _panel(request, take.shot)
