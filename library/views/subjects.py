"""Subjects: create with uploads, their page, inline quick edit on the library grid."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from library.access import get_library_for_user, get_subject_for_user
from library.forms import SubjectForm
from library.models import MAX_IMAGES_PER_SUBJECT, Subject
from library.services import UploadReport, create_subject_with_images, delete_subject


@login_required
@require_http_methods(["GET", "POST"])
def new_subject(request: HttpRequest, library_id: int) -> HttpResponse:
    """Name, kind, description and the first images, saved together in one request."""
    library = get_library_for_user(request, library_id, edit=True)
    form = SubjectForm(request.POST or None, library=library)
    back = next_url(request)
    report = None
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("images")
        subject, report = create_subject_with_images(
            library=library, files=files, **form.cleaned_data
        )
        if subject is not None:
            return _subject_created(request, subject, report, back=back)
        form.add_error(None, "None of the images could be used, so nothing was saved yet.")
    context = {"form": form, "library": library, "report": report, "next": back}
    if not request.htmx:
        return render(request, "library/subject_new.html", context)
    response = render(request, "library/subject_new.html#fields", context)
    if report:  # library.js marks the refused files in the drop zone's list
        refused = [{"name": r.filename, "message": r.message} for r in report.rejected]
        response["HX-Trigger-After-Swap"] = json.dumps({"uploads-refused": refused})
    return response


def _subject_created(
    request: HttpRequest, subject: Subject, report: UploadReport, *, back: str | None
) -> HttpResponse:
    messages.success(request, f"Subject {subject.mention} saved.")
    if not report.rejected:
        if request.htmx:
            return HttpResponseClientRedirect(back or subject.get_absolute_url())
        return redirect(back or subject.get_absolute_url())
    if not request.htmx:
        return render(
            request, "library/subject.html", subject_context(request, subject, report=report)
        )
    # Saved with some files refused: the page says which, and offers the way on.
    context = {"form": SubjectForm(library=subject.library), "library": subject.library}
    response = render(request, "library/subject_new.html#fields", context)
    saved = {
        "url": subject.get_absolute_url(),
        "next": back or "",
        "rejected": [{"name": r.filename, "message": r.message} for r in report.rejected],
    }
    response["HX-Trigger-After-Swap"] = json.dumps({"subject-saved": saved})
    return response


def next_url(request: HttpRequest) -> str | None:
    """Where to go once done (say, back to the project the library was made from): a
    path on this site only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else None


def subject_context(request: HttpRequest, subject: Subject, **extra) -> dict:
    images = list(subject.images.all())
    return {
        "subject": subject,
        "library": subject.library,
        "images": images,
        "can_edit": subject.library.editable_by(request.user),
        "room_left": max(0, MAX_IMAGES_PER_SUBJECT - len(images)),
        **extra,
    }


@login_required
def detail(request: HttpRequest, subject_id: int) -> HttpResponse:
    subject = get_subject_for_user(request, subject_id)
    context = subject_context(request, subject)
    if request.htmx and request.htmx.target == "subject-images":
        return render(request, "library/subject.html#images", context)
    return render(request, "library/subject.html", context)


@login_required
def card(request: HttpRequest, subject_id: int) -> HttpResponse:
    """One card of the library grid: what Escape/Cancel in quick edit goes back to."""
    subject = get_subject_for_user(request, subject_id)
    can_edit = subject.library.editable_by(request.user)
    context = {"subject": subject, "can_edit": can_edit, "refocus": True}
    return render(request, "library/detail.html#subject_card", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, subject_id: int) -> HttpResponse:
    """Quick edit of name, kind and description: inline on the grid with htmx, a page without."""
    subject = get_subject_for_user(request, subject_id, edit=True)
    form = SubjectForm(request.POST or None, instance=subject, library=subject.library)
    if request.method == "POST" and form.is_valid():
        subject = form.save()
        if request.htmx:
            context = {"subject": subject, "can_edit": True, "refocus": True}
            return render(request, "library/detail.html#subject_card", context)
        messages.success(request, f"Subject {subject.mention} saved.")
        return redirect(subject)
    if request.htmx:
        return render(
            request, "library/detail.html#subject_edit", {"form": form, "subject": subject}
        )
    return render(request, "library/subject_edit.html", {"form": form, "subject": subject})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, subject_id: int) -> HttpResponse:
    subject = get_subject_for_user(request, subject_id, edit=True)
    if request.method == "POST":
        delete_subject(subject=subject)
        messages.success(request, f"Subject {subject.mention} deleted.")
        return redirect(subject.library)
    context = {
        "subject": subject,
        "image_count": subject.images.count(),
    }
    return render(request, "library/subject_delete.html", context)
