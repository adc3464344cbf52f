"""Permission-checked lookups: one per model, used by every view that takes an id."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from library.models import Library, Subject, SubjectImage


def get_library_for_user(request: HttpRequest, library_id: int, *, edit: bool = False) -> Library:
    """The library if this user may see it (404 otherwise); with edit=True, a 403 for
    someone who may only look."""
    library = get_object_or_404(
        Library.objects.for_user(request.user).select_related("owner"), pk=library_id
    )
    if edit and not Library.objects.editable_by(request.user).filter(pk=library.pk).exists():
        raise PermissionDenied
    return library


def get_subject_for_user(request: HttpRequest, subject_id: int, *, edit: bool = False) -> Subject:
    visible = Library.objects.for_user(request.user)
    subject = get_object_or_404(
        Subject.objects.filter(library__in=visible).select_related("library__owner"),
        pk=subject_id,
    )
    if (
        edit
        and not Library.objects.editable_by(request.user).filter(pk=subject.library_id).exists()
    ):
        raise PermissionDenied
    return subject


def get_image_for_user(request: HttpRequest, image_id: int, *, edit: bool = False) -> SubjectImage:
    visible = Library.objects.for_user(request.user)
    image = get_object_or_404(
        SubjectImage.objects.filter(subject__library__in=visible).select_related("subject"),
        pk=image_id,
    )
    if (
        edit
        and not Library.objects.editable_by(request.user)
        .filter(pk=image.subject.library_id)
        .exists()
    ):
        raise PermissionDenied
    return image


def require_library_owner(request: HttpRequest, library: Library) -> None:
    """Sharing and deleting a library are for its owner alone."""
    if library.owner_id != request.user.pk:
        raise PermissionDenied
