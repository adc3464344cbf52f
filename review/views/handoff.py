"""Hand-off: the board as a timeline for an editor, an edited timeline brought back, and
the shot list as CSV out and in. Imports show what they will do before doing it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from privatemedia.responses import serve_zip
from review import shotlist, timeline
from review.forms import PreviewTokenForm, ShotListImportForm, TimelineImportForm
from storyboards.access import get_storyboard_for_user
from storyboards.models import Storyboard
from storyboards.services import OrderConflict

TEMPLATE = "review/handoff.html"


@login_required
@require_GET
def page(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """The timeline formats, the shot list, and (for editors) the two imports."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    return _render(request, storyboard)


@login_required
@require_GET
def export_timeline(
    request: HttpRequest, project_id: int, storyboard_id: int, fmt: str
) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    found = timeline.FORMATS.get(fmt)
    if found is None:
        raise Http404("No such timeline format.")
    archive = timeline.timeline_zip(storyboard, found)
    timeline.record_export(storyboard=storyboard, user=request.user, fmt=found)
    name = f"{timeline.file_stem(storyboard)}-timeline-{found.key}.zip"
    return serve_zip(archive, filename=name)


@login_required
@require_POST
def import_timeline(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """An uploaded .otio checked against the board: the preview of what would change."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    form = TimelineImportForm(request.POST, request.FILES)
    context: dict = {"timeline_form": form}
    if form.is_valid():
        try:
            edited = timeline.read_edited(_read(form.cleaned_data["timeline"]))
            context["plan"] = timeline.plan_import(storyboard, edited)
        except timeline.TimelineRejected as error:
            form.add_error("timeline", str(error))
    return _render(request, storyboard, partial="#timeline_import", **context)


@login_required
@require_POST
def apply_timeline(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    form = PreviewTokenForm(request.POST)
    try:
        if not form.is_valid():
            raise timeline.TimelineRejected("Nothing to apply: import the file again.")
        changed = timeline.apply_plan(
            storyboard=storyboard, token=form.cleaned_data["token"], user=request.user
        )
    except (timeline.TimelineRejected, OrderConflict) as error:
        messages.error(request, str(error))
        return _back(request, reverse("review:handoff", args=[project_id, storyboard.pk]))
    messages.success(
        request, f"The edit is applied: {changed} shot{'s' if changed != 1 else ''} changed."
    )
    return _back(request, storyboard.get_absolute_url())


@login_required
@require_GET
def export_shot_list(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    response = HttpResponse(shotlist.export_csv(storyboard), content_type="text/csv; charset=utf-8")
    name = f"{timeline.file_stem(storyboard)}-shot-list.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def import_shot_list(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """An uploaded CSV checked row by row: the preview, nothing written yet."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    form = ShotListImportForm(request.POST, request.FILES)
    context: dict = {"shotlist_form": form}
    if form.is_valid():
        try:
            context["preview"] = shotlist.read_csv(
                _read(form.cleaned_data["shot_list"]), storyboard
            )
        except shotlist.ShotListRejected as error:
            form.add_error("shot_list", str(error))
    return _render(request, storyboard, partial="#shotlist_import", **context)


@login_required
@require_POST
def apply_shot_list(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    form = PreviewTokenForm(request.POST)
    try:
        if not form.is_valid():
            raise shotlist.ShotListRejected("Nothing to import: upload the file again.")
        count = shotlist.import_rows(
            storyboard=storyboard, token=form.cleaned_data["token"], user=request.user
        )
    except shotlist.ShotListRejected as error:
        messages.error(request, str(error))
        return _back(request, reverse("review:handoff", args=[project_id, storyboard.pk]))
    messages.success(
        request, f"{count} shot{'s' if count != 1 else ''} added at the end of the board."
    )
    return _back(request, storyboard.get_absolute_url())


def _read(upload) -> bytes:
    # One byte past each limit is enough to say the file is too large.
    limit = max(timeline.MAX_IMPORT_BYTES, shotlist.MAX_BYTES) + 1
    return upload.read(limit)


def _back(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _render(
    request: HttpRequest, storyboard: Storyboard, *, partial: str = "", **context: object
) -> HttpResponse:
    project = storyboard.project
    context = {
        "storyboard": storyboard,
        "project": project,
        "can_edit": project.can_edit,
        "formats": timeline.FORMATS.values(),
        "timeline_form": TimelineImportForm(),
        "shotlist_form": ShotListImportForm(),
        **context,
    }
    if "plan" in context:
        context["plan_token"] = context["plan"].token(storyboard)
    if "preview" in context and context["preview"].ok:
        context["preview_token"] = context["preview"].token(storyboard)
    template = TEMPLATE + partial if request.htmx and partial else TEMPLATE
    return render(request, template, context)
