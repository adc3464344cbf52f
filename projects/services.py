"""Workflows on projects: archiving, deleting, sharing, the libraries they use."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from library.models import Library
from library.services import create_library, share_with
from projects.models import Project, ProjectMembership
from projects.realtime import project_access_changed


def create_project(*, owner: settings.AUTH_USER_MODEL, name: str) -> Project:
    return Project.objects.create(owner=owner, name=name)


def archive_project(*, project: Project) -> None:
    """Hide a project from the list; nothing in it changes and it can come back."""
    project.archived_at = timezone.now()
    project.save(update_fields=["archived_at"])


def unarchive_project(*, project: Project) -> None:
    project.archived_at = None
    project.save(update_fields=["archived_at", "updated_at"])


def deletion_summary(project: Project) -> list[str]:
    """What deleting this project takes with it, as "3 generations"-style phrases.

    Read from the models: every model that points at Project with a cascading foreign
    key (generations, storyboards once those apps exist) is counted here without
    changes to this function. Libraries are only detached, never deleted.
    """
    phrases = []
    for relation in Project._meta.related_objects:
        if not relation.one_to_many or relation.on_delete is not models.CASCADE:
            continue
        count = relation.related_model._base_manager.filter(
            **{relation.field.name: project}
        ).count()
        if count:
            meta = relation.related_model._meta
            label = meta.verbose_name if count == 1 else meta.verbose_name_plural
            phrases.append(f"{count} {label}")
    return phrases


def delete_project(*, project: Project) -> None:
    """Delete a project and everything in it; the libraries it used stay."""
    project.delete()


def add_member(*, project: Project, username: str, role: str) -> ProjectMembership:
    """Share the project with someone, or change their role if they are already in it."""
    person = share_with(owner=project.owner, username=username)
    membership, _ = ProjectMembership.objects.update_or_create(
        project=project, user=person, defaults={"role": role}
    )
    return membership


def remove_membership(*, membership: ProjectMembership) -> None:
    """Take someone off a project (or let them leave); their open sockets on it close."""
    user_id, project_id = membership.user_id, membership.project_id
    with transaction.atomic():
        membership.delete()
        transaction.on_commit(
            lambda: project_access_changed(user_id=user_id, project_id=project_id)
        )


def attach_library(*, project: Project, library: Library) -> None:
    project.libraries.add(library)


def create_library_for_project(
    *, project: Project, owner: settings.AUTH_USER_MODEL, name: str
) -> Library:
    """A new library, owned by the person making it, already in use by the project it
    was made from (its subjects can be mentioned there at once)."""
    with transaction.atomic():
        library = create_library(owner=owner, name=name)
        attach_library(project=project, library=library)
    return library


def detach_library(*, project: Project, library: Library) -> None:
    """Stop using a library in this project; the library and its subjects stay."""
    project.libraries.remove(library)
