"""Exports: the keepers as a ZIP with a manifest, the contact sheet and the animatic."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from privatemedia.responses import serve_file, serve_zip
from storyboards import contact_sheet as sheets
from storyboards import export, renders
from storyboards.access import get_storyboard_for_user
from storyboards.contact_sheet import PAPERS
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
    """The contact sheet: a PDF on A4 (or `?paper=letter`) to print, a PNG to look at."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    name = slugify(storyboard.title) or "storyboard"
    if extension == "pdf":
        paper = PAPERS.get(request.GET.get("paper", ""), PAPERS["a4"])
        response = HttpResponse(sheets.as_pdf(storyboard, paper=paper), "application/pdf")
        filename = f"{name}-contact-sheet-{paper.key}.pdf"
    else:
        response = HttpResponse(sheets.as_png(storyboard), content_type="image/png")
        filename = f"{name}-contact-sheet.png"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_GET
def manifest(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """The keepers' manifest alone (the ZIP carries it too)."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id)
    response = HttpResponse(export.manifest_json(storyboard), content_type="application/json")
    name = f"{slugify(storyboard.title) or 'storyboard'}-manifest.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


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
