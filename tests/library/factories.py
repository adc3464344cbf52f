"""Factories for libraries, subjects and projects (plain functions, no magic)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from library.models import Library, LibraryShare, Subject, SubjectImage
from library.services import add_subject_images
from projects.models import Project, ProjectMembership
from tests.factories import make_png


def make_library(*, owner, name: str = "Main cast") -> Library:
    return Library.objects.create(owner=owner, name=name)


def make_subject(*, library: Library, name: str = "Mia", kind: str = "character") -> Subject:
    return Subject.objects.create(library=library, name=name, kind=kind)


def upload(content: bytes, name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def make_subject_image(*, subject: Subject, color=(200, 80, 40)) -> SubjectImage:
    report = add_subject_images(subject=subject, files=[upload(make_png(300, 200, color=color))])
    assert not report.rejected, report.rejected
    return report.saved[0]


def share_library(library: Library, user, role: str = "viewer") -> LibraryShare:
    return LibraryShare.objects.create(library=library, user=user, role=role)


def make_project(*, owner, name: str = "Spring campaign") -> Project:
    return Project.objects.create(owner=owner, name=name)


def add_member(project: Project, user, role: str = "viewer") -> ProjectMembership:
    return ProjectMembership.objects.create(project=project, user=user, role=role)
