"""A shot's panel and its actions: add, edit (whole, or a field in place on the board),
duplicate, move, delete, Generate, Continue from previous shot; a take's Keep and Animate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generations.services import GenerationRejected
from projects.access import parse_id
from providers.models import ProviderConnection
from storyboards import services
from storyboards.access import get_shot_for_user, get_storyboard_for_user, get_take_for_user
from storyboards.forms import INLINE_FIELDS, GenerateForm, ShotForm, inline_data
from storyboards.models import Shot, Storyboard
from storyboards.views.storyboards import (
    TEMPLATE,
    mention_context,
    render_board,
    render_page,
    summary_context,
)


def _panel(request: HttpRequest, shot: Shot, **extra: object) -> HttpResponse:
    """The shot's panel after an action: the fragment for htmx, else back to the page."""
    if request.htmx:
        return render_board(request, shot.storyboard, selected=shot, **extra)
    for message in extra.get("errors", []):
        messages.error(request, message)
    return redirect(shot.get_absolute_url())


@login_required
@require_GET
def shot_page(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    """The storyboard with this shot chosen; a card clicked on the board asks for the
    board alone (the page itself when htmx restores it from history)."""
    shot = get_shot_for_user(request, project_id, shot_id)
    if request.htmx and not request.htmx.history_restore_request:
        return render_board(request, shot.storyboard, selected=shot)
    return render_page(request, shot.storyboard, selected=shot)


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
    return _shot_form(request, storyboard, form, after=after)


def _shot_form(
    request: HttpRequest, storyboard: Storyboard, form: ShotForm, **extra: object
) -> HttpResponse:
    context = {
        "project": storyboard.project,
        "storyboard": storyboard,
        "form": form,
        **mention_context(storyboard.project),
        **extra,
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
    return _shot_form(request, shot.storyboard, form, shot=shot)


@login_required
@require_http_methods(["GET", "POST"])
def shot_field(request: HttpRequest, project_id: int, shot_id: int, field: str) -> HttpResponse:
    """One field of a shot edited in place on the board (prompt or duration).

    GET: the field as shown. POST: checked by the shot's own form, the other fields as
    they are; an error comes back in the field's editor, beside it. Without htmx, the
    answer is the shot form page (errors) or the shot (saved)."""
    if field not in INLINE_FIELDS:
        raise Http404("No such field.")
    shot = get_shot_for_user(request, project_id, shot_id, edit=request.method == "POST")
    if request.method == "GET":
        return _field(request, shot, field)
    project = shot.storyboard.project
    form = ShotForm(inline_data(shot, field, request.POST), instance=shot, project=project)
    if not form.is_valid():
        if not request.htmx:
            return _shot_form(request, shot.storyboard, form, shot=shot)
        return _field(request, shot, field, form=form)
    Shot.objects.filter(pk=shot.pk).update(**{field: form.cleaned_data[field]})
    shot = get_shot_for_user(request, project_id, shot_id)
    if not request.htmx:
        return redirect(shot.get_absolute_url())
    selected = parse_id(request.POST.get("selected")) == shot.pk
    return _field(request, shot, field, saved=True, is_selected=selected)


@login_required
@require_GET
def edit_shot_field(
    request: HttpRequest, project_id: int, shot_id: int, field: str
) -> HttpResponse:
    """The field's editor, swapped in where the field was shown."""
    if field not in INLINE_FIELDS:
        raise Http404("No such field.")
    shot = get_shot_for_user(request, project_id, shot_id, edit=True)
    if not request.htmx:
        return redirect("storyboards:edit_shot", project_id, shot.pk)
    return _field(request, shot, field, editing=True)


def _field(request: HttpRequest, shot: Shot, field: str, **extra: object) -> HttpResponse:
    storyboard = shot.storyboard
    context = {
        "project": storyboard.project,
        "storyboard": storyboard,
        "shot": shot,
        "field": field,
        "can_edit": storyboard.project.can_edit,
        "editing": "form" in extra or extra.get("editing", False),
        **extra,
    }
    form = extra.get("form")
    if isinstance(form, ShotForm):  # errors of the other fields, said by their name
        context["other_errors"] = [
            f"{form.fields[name].label}: {message}" if name in form.fields else message
            for name, messages in form.errors.items()
            if name != field
            for message in messages
        ]
    if extra.get("saved"):  # the header's totals follow
        context.update(summary_context(storyboard))
    if field == "duration" and shot.is_video:
        context["durations"] = services.shot_spec(shot).durations
    return render(request, f"{TEMPLATE}#shot_field", context)


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
        chosen = None if request.POST.get("clear") else take
        services.choose_keeper(shot=shot, take=chosen, user=request.user)
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
