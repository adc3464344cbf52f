"""Exports: the keepers as a ZIP with a manifest, a contact sheet PNG and the animatic."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from privatemedia.responses import serve_file, serve_zip
from storyboards import export, renders
from storyboards.access import get_storyboard_for_user
from storyboards.models import AnimaticRender, Storyboard


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
    """Queue a render of the animatic (unless one is queued or running)."""
    # Rendering writes a file and takes a core for a while: an editor's work, not a viewer's.
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    renders.request_render(storyboard=storyboard, user=request.user)
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
        "animatic": renders.latest(storyboard),
        "can_edit": storyboard.project.can_edit,
    }
    return render(request, "storyboards/detail.html#animatic", context)


@login_required
@require_GET
def download_animatic(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    found = renders.latest(storyboard)
    if found is None or found.state != AnimaticRender.State.READY:
        raise Http404("No animatic has been rendered yet.")
    response = serve_file(
        request,
        found.file.name,
        content_type="video/mp4",
        etag=f"animatic-{found.pk}",
        download_as=f"{slugify(storyboard.title) or 'storyboard'}-animatic.mp4",
    )
    # One URL for every render: ask each time (a 304 while the render is the same one).
    response["Cache-Control"] = "private, no-cache"
    return response
