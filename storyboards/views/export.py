"""Exports: the keepers as a ZIP with a manifest, a contact sheet PNG and the animatic."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from privatemedia.responses import serve_zip
from storyboards import animatic as animatics
from storyboards import export
from storyboards.access import get_storyboard_for_user
from storyboards.models import Storyboard


@login_required
@require_GET
def download_zip(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    name = f"{slugify(storyboard.title) or 'storyboard'}-keepers.zip"
    return serve_zip(export.keepers_zip(storyboard), filename=name)


@login_required
@require_GET
def contact_sheet(
    request: HttpRequest, project_id: int, storyboard_id: int, extension: str = "png"
) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    file_format, content_type = SHEET_FORMATS[extension]
    sheet = export.contact_sheet(storyboard, file_format=file_format)
    response = HttpResponse(sheet, content_type=content_type)
    name = f"{slugify(storyboard.title) or 'storyboard'}-contact-sheet.{extension}"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


SHEET_FORMATS = {"png": ("PNG", "image/png"), "pdf": ("PDF", "application/pdf")}


@login_required
@require_POST
def animatic(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """Start rendering the animatic in the background (unless one is running)."""
    # Rendering writes a file and takes a core for a while: an editor's work, not a viewer's.
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    animatics.start(storyboard)
    if request.htmx:
        return animatic_partial(request, storyboard)
    return redirect(storyboard)


@login_required
@require_GET
def animatic_progress(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    return animatic_partial(request, storyboard)


def animatic_partial(request: HttpRequest, storyboard: Storyboard) -> HttpResponse:
    context = {
        "storyboard": storyboard,
        "project": storyboard.project,
        "animatic": animatics.status(storyboard),
        "can_edit": storyboard.project.role in ("owner", "editor"),
    }
    return render(request, "storyboards/detail.html#animatic", context)


@login_required
@require_GET
def download_animatic(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    if animatics.status(storyboard)["state"] != "done":
        raise Http404("No animatic has been rendered yet.")
    name = f"{slugify(storyboard.title) or 'storyboard'}-animatic.mp4"
    handle = animatics.video_path(storyboard).open("rb")
    return FileResponse(handle, as_attachment=True, filename=name, content_type="video/mp4")
