"""Subjects: create with uploads, their page, inline quick edit on the library grid."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from library.access import get_library_for_user, get_subject_for_user
from library.forms import SubjectForm
from library.models import MAX_IMAGES_PER_SUBJECT, Subject
from library.services import add_subject_images, create_subject, delete_subject


@login_required
@require_http_methods(["GET", "POST"])
def new_subject(request: HttpRequest, library_id: int) -> HttpResponse:
    library = get_library_for_user(request, library_id, edit=True)
    form = SubjectForm(request.POST or None, library=library)
    if request.method == "POST" and form.is_valid():
        subject = create_subject(library=library, **form.cleaned_data)
        if request.htmx:
            # library.js now uploads the picked files one by one, with progress.
            response = render(request, "library/subject_new.html#fields", {"form": form})
            upload_url = reverse("library:upload", args=[subject.pk])
            created = {"uploadUrl": upload_url, "url": subject.get_absolute_url()}
            response["HX-Trigger-After-Swap"] = json.dumps({"subject-created": created})
            return response
        report = add_subject_images(subject=subject, files=request.FILES.getlist("images"))
        messages.success(request, f"Subject {subject.mention} saved.")
        if report.rejected:
            return render(
                request, "library/subject.html", subject_context(request, subject, report=report)
            )
        return redirect(subject)
    template = "library/subject_new.html#fields" if request.htmx else "library/subject_new.html"
    return render(request, template, {"form": form, "library": library})


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
