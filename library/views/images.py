"""Uploading reference images, and serving them privately to people who may see them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from library.access import get_image_for_user, get_subject_for_user
from library.services import add_subject_images, delete_subject_image
from library.views.subjects import subject_context
from privatemedia.responses import serve_file


@login_required
@require_POST
def upload(request: HttpRequest, subject_id: int) -> HttpResponse:
    """Several files in one multipart POST (no JavaScript), or one per request from
    library.js, which shows each file's progress and answers next to it."""
    subject = get_subject_for_user(request, subject_id, edit=True)
    report = add_subject_images(subject=subject, files=request.FILES.getlist("images"))
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "saved": [{"id": image.pk, "name": image.original_name} for image in report.saved],
                "rejected": [{"name": r.filename, "message": r.message} for r in report.rejected],
            }
        )
    if report.saved:
        count = len(report.saved)
        messages.success(request, f"{count} image{'s' if count != 1 else ''} added.")
    if report.rejected or not report.saved:
        context = subject_context(request, subject, report=report)
        return render(request, "library/subject.html", context)
    return redirect(subject)


@login_required
@require_POST
def delete_image(request: HttpRequest, image_id: int) -> HttpResponse:
    image = get_image_for_user(request, image_id, edit=True)
    delete_subject_image(image=image)
    if request.htmx:
        subject = image.subject
        return render(request, "library/subject.html#images", subject_context(request, subject))
    messages.success(request, "Image removed.")
    return redirect(image.subject)


@login_required
@require_GET
def image(request: HttpRequest, image_id: int) -> HttpResponse:
    found = get_image_for_user(request, image_id)
    return serve_file(request, found.file.name, content_type=found.content_type, etag=found.sha256)


@login_required
@require_GET
def thumbnail(request: HttpRequest, image_id: int) -> HttpResponse:
    found = get_image_for_user(request, image_id)
    return serve_file(
        request,
        found.thumbnail.name,
        content_type=found.thumbnail_content_type,
        etag=f"{found.sha256}-thumb",
    )
