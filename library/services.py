"""Workflows on libraries, subjects and their images."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower

from library.imaging import ImageRejected, ProcessedImage, check_upload, process_upload
from library.models import (
    MAX_IMAGES_PER_SUBJECT,
    Library,
    LibraryShare,
    Role,
    Subject,
    SubjectImage,
)

logger = logging.getLogger(__name__)

FULL_SUBJECT = (
    f"A subject holds at most {MAX_IMAGES_PER_SUBJECT} reference images "
    "(Vidu’s limit). Remove one before adding another."
)


class ShareRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Rejection:
    filename: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}: {self.message}"


@dataclass
class UploadReport:
    saved: list[SubjectImage] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def create_library(*, owner: settings.AUTH_USER_MODEL, name: str) -> Library:
    return Library.objects.create(owner=owner, name=name)


def delete_library(*, library: Library) -> None:
    """Delete a library, its subjects and their files. Past generations keep their own
    snapshot copies, so nothing they show changes."""
    paths = _stored_paths(SubjectImage.objects.filter(subject__library=library))
    with transaction.atomic():
        library.delete()
        transaction.on_commit(lambda: _delete_files(paths))


def share_with(*, owner: settings.AUTH_USER_MODEL, username: str) -> settings.AUTH_USER_MODEL:
    """The person called `username` (any case), if sharing with them makes sense."""
    person = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if person is None or not person.is_active:
        raise ShareRefused(f"No one called “{username.strip()}” works in this studio.")
    if person == owner:
        raise ShareRefused("That is the owner, who already has every right.")
    return person


def share_library(*, library: Library, username: str, role: str) -> LibraryShare:
    """Give (or change) someone's access to a library. An editor made a viewer may no
    longer pass it on: the projects that had it only by their right stop using it."""
    person = share_with(owner=library.owner, username=username)
    with transaction.atomic():
        share, _ = LibraryShare.objects.update_or_create(
            library=library, user=person, defaults={"role": role}
        )
        if role != Role.EDITOR:
            _detach_where_unvouched(library=library, person=person)
    return share


def revoke_share(*, share: LibraryShare) -> None:
    """Take a library back from someone, with the access that flowed from their share:
    it leaves each project of theirs where no one else who may edit the project may
    attach it (the library's owner or one of its editors), so neither they nor the
    people on those projects see it or its images any more."""
    with transaction.atomic():
        share.delete()
        _detach_where_unvouched(library=share.library, person=share.user)


def _detach_where_unvouched(*, library: Library, person: settings.AUTH_USER_MODEL) -> None:
    # Projects build on the library: reached through the reverse relation, not imported.
    attachers = {library.owner_id}
    attachers.update(library.shares.filter(role=Role.EDITOR).values_list("user_id", flat=True))
    theirs = library.projects.filter(Q(owner=person) | Q(memberships__user=person)).distinct()
    for project in theirs:
        editors = {project.owner_id}
        editors.update(
            project.memberships.filter(role=Role.EDITOR).values_list("user_id", flat=True)
        )
        if not editors & attachers:
            project.libraries.remove(library)


def create_subject(*, library: Library, name: str, kind: str, description: str = "") -> Subject:
    subject = Subject.objects.create(library=library, name=name, kind=kind, description=description)
    Library.objects.filter(pk=library.pk).update(updated_at=subject.created_at)
    return subject


def create_subject_with_images(
    *, library: Library, name: str, kind: str, description: str = "", files: list
) -> tuple[Subject | None, UploadReport]:
    """A new subject and its first images, from one request.

    Every file is checked and re-encoded before anything is saved, so a designer who
    leaves mid-upload never finds a subject without its pictures. Files beyond the
    subject's cap, repeats and refused files are reported; when files were given and
    none was usable, nothing is created (None): the form keeps what was typed.
    """
    report = UploadReport()
    accepted: list[tuple[ProcessedImage, str]] = []
    for upload in files:
        filename = display_filename(getattr(upload, "name", "") or "image")
        try:
            if len(accepted) >= MAX_IMAGES_PER_SUBJECT:
                raise ImageRejected(FULL_SUBJECT)
            processed = checked_image(upload)
            if processed.sha256 in {done.sha256 for done, _name in accepted}:
                raise ImageRejected("Already in this subject.")
        except ImageRejected as rejected:
            report.rejected.append(Rejection(filename, rejected.message))
            continue
        accepted.append((processed, filename))
    if files and not accepted:
        return None, report
    stored: list[SubjectImage] = []
    try:
        with transaction.atomic():
            subject = create_subject(library=library, name=name, kind=kind, description=description)
            for processed, filename in accepted:
                stored.append(_store_image(subject=subject, processed=processed, filename=filename))
    except Exception:
        _delete_files(_stored_paths(stored))  # the rows went with the rollback
        raise
    report.saved = stored
    return subject, report


def subject_name_taken(*, library: Library, name: str, exclude_pk: int | None = None) -> bool:
    others = Subject.objects.filter(library=library).annotate(lname=Lower("name"))
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    return others.filter(lname=name.lower()).exists()


def delete_subject(*, subject: Subject) -> None:
    """Delete a subject and its images. Renames and deletions never reach past
    generations: they snapshot their input images into files of their own."""
    paths = _stored_paths(subject.images.all())
    with transaction.atomic():
        subject.delete()
        transaction.on_commit(lambda: _delete_files(paths))


def delete_subject_image(*, image: SubjectImage) -> None:
    paths = _stored_paths([image])
    with transaction.atomic():
        image.delete()
        transaction.on_commit(lambda: _delete_files(paths))


@functools.cache
def _image_turns() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(settings.STUDIO_IMAGE_WORKERS)


@functools.cache
def _image_threads() -> ThreadPoolExecutor:
    # Decoding runs in these few threads, not in whichever request thread came: the C
    # allocator keeps freed pixels in the arena of the thread that used them, and eight
    # request threads kept ~160 MB each after a burst of uploads (800 MB, never given back).
    return ThreadPoolExecutor(settings.STUDIO_IMAGE_WORKERS, thread_name_prefix="images")


def checked_image(file, *, before_decoding: Callable[[], None] | None = None) -> ProcessedImage:
    """`process_upload` with its memory bounded per process.

    A decoded 40 MP image is 160 MB: eight at once took a server to 3.9 GiB. The header
    checks run at once; decoding waits for one of STUDIO_IMAGE_WORKERS turns, and
    `before_decoding` (a cap that others may have filled meanwhile) runs when it comes.
    """
    check_upload(file)
    with _image_turns():
        if before_decoding is not None:
            before_decoding()
        return _image_threads().submit(process_upload, file).result()


def add_subject_images(*, subject: Subject, files: list) -> UploadReport:
    """Check, re-encode and store each uploaded file; one bad file never costs the others.

    The report lists what was saved and, for each refused file, a message saying what is
    wrong and what is allowed. A subject that is full refuses before any decoding.
    """
    report = UploadReport()
    for upload in files:
        filename = display_filename(getattr(upload, "name", "") or "image")
        try:
            processed = checked_image(upload, before_decoding=lambda: _check_room(subject))
            report.saved.append(
                _store_image(subject=subject, processed=processed, filename=filename)
            )
        except ImageRejected as rejected:
            report.rejected.append(Rejection(filename, rejected.message))
    return report


def _check_room(subject: Subject) -> None:
    if SubjectImage.objects.filter(subject=subject).count() >= MAX_IMAGES_PER_SUBJECT:
        raise ImageRejected(FULL_SUBJECT)


def _store_image(*, subject: Subject, processed: ProcessedImage, filename: str) -> SubjectImage:
    folder = f"libraries/{subject.library_id}"
    token = secrets.token_urlsafe(18)
    with transaction.atomic():
        # Several uploads of one subject arrive at once (one request per file): the lock
        # (IMMEDIATE transactions on SQLite) makes the cap and duplicate checks hold.
        locked = Subject.objects.select_for_update().get(pk=subject.pk)
        existing = list(locked.images.values_list("sha256", flat=True))
        if processed.sha256 in existing:
            raise ImageRejected("Already in this subject.")
        if len(existing) >= MAX_IMAGES_PER_SUBJECT:
            raise ImageRejected(FULL_SUBJECT)
        path = default_storage.save(
            f"{folder}/{token}.{processed.extension}", ContentFile(processed.content)
        )
        thumb_path = default_storage.save(
            f"{folder}/thumbs/{token}.{processed.thumbnail_extension}",
            ContentFile(processed.thumbnail),
        )
        try:
            image = SubjectImage.objects.create(
                subject=locked,
                file=path,
                thumbnail=thumb_path,
                content_type=processed.content_type,
                thumbnail_content_type=processed.thumbnail_content_type,
                width=processed.width,
                height=processed.height,
                size=len(processed.content),
                sha256=processed.sha256,
                original_name=filename,
            )
        except Exception:
            _delete_files([path, thumb_path])
            raise
        Subject.objects.filter(pk=subject.pk).update(updated_at=image.created_at)
    return image


def display_filename(name: str) -> str:
    """The last part of a client-given file name, safe to show (never used as a path)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 100:
        stem, ext = os.path.splitext(name)
        name = stem[: 100 - len(ext[:10])] + ext[:10]
    return name or "image"


def _stored_paths(images) -> list[str]:
    paths = []
    for image in images:
        paths.extend([image.file.name, image.thumbnail.name])
    return paths


def _delete_files(paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("Could not delete stored image %s", path)
