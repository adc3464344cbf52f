from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.sharing import OWNER, Role, may_edit
from library.mentions import MAX_NAME, NAME_HELP

# Vidu's per-subject cap on reference images.
MAX_IMAGES_PER_SUBJECT = 3


class LibraryQuerySet(models.QuerySet["Library"]):
    def for_user(self, user: settings.AUTH_USER_MODEL) -> LibraryQuerySet:
        """Libraries this user may look at: owned, shared with them, or used by a project
        of theirs (a project's members see the subjects its prompts can mention)."""
        shared = LibraryShare.objects.filter(user=user).values("library")
        via_projects = Library.objects.filter(
            Q(projects__owner=user) | Q(projects__memberships__user=user)
        ).values("pk")
        return self.filter(Q(owner=user) | Q(pk__in=shared) | Q(pk__in=via_projects))

    def attachable_by(self, user: settings.AUTH_USER_MODEL) -> LibraryQuerySet:
        """Libraries this user may attach to a project: owned, or shared with them as
        editor. A viewer may look but not pass the library on, and a library seen only
        through someone else's project is not theirs to pass on either."""
        return self.editable_by(user)

    def editable_by(self, user: settings.AUTH_USER_MODEL) -> LibraryQuerySet:
        editors = LibraryShare.objects.filter(user=user, role=Role.EDITOR).values("library")
        return self.filter(Q(owner=user) | Q(pk__in=editors))

    def with_list_details(self) -> LibraryQuerySet:
        """Subject counts and a cover image id, in the same query as the libraries."""
        subjects = (
            Subject.objects.filter(library=OuterRef("pk"))
            .order_by()
            .values("library")
            .annotate(n=Count("pk"))
            .values("n")
        )
        cover = SubjectImage.objects.filter(subject__library=OuterRef("pk")).order_by(
            "subject__created_at", "subject_id", "created_at", "pk"
        )
        return self.select_related("owner").annotate(
            subject_count=Subquery(subjects), cover_image_id=Subquery(cover.values("pk")[:1])
        )


class Library(models.Model):
    """A named set of subjects, used by any number of projects."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="libraries"
    )
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "libraries"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("library:detail", args=[self.pk])

    def role_for(self, user: settings.AUTH_USER_MODEL) -> str | None:
        """ "owner", "editor" or "viewer"; None for someone with no access at all."""
        if self.owner_id == user.pk:
            return OWNER
        share = self.shares.filter(user=user).first()
        if share:
            return share.role
        return "viewer" if Library.objects.for_user(user).filter(pk=self.pk).exists() else None

    def editable_by(self, user: settings.AUTH_USER_MODEL) -> bool:
        """Whether this person may change the library: its owner or an editor."""
        return may_edit(self.role_for(user))


class LibraryShare(models.Model):
    """Another person of this studio given a library, to look at or to edit."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_shares"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(fields=["library", "user"], name="library_share_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.library}"


class Subject(models.Model):
    class Kind(models.TextChoices):
        CHARACTER = "character", "Character"
        OBJECT = "object", "Object"
        SCENE = "scene", "Scene"
        STYLE = "style", "Style"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="subjects")
    name = models.CharField(max_length=MAX_NAME, help_text=NAME_HELP)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CHARACTER)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "pk"]
        constraints = [
            # @Name must pick one subject, whatever the case the prompt writes it in.
            models.UniqueConstraint(Lower("name"), "library", name="subject_name_unique_ci")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("library:subject", args=[self.pk])

    @property
    def mention(self) -> str:
        return f"@{self.name}"


class SubjectImage(models.Model):
    """A reference image, re-encoded by library.imaging and stored under a random name."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    content_type = models.CharField(max_length=40)
    thumbnail_content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    # As the person's computer called it, cleaned for display only; never used as a path.
    original_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "sha256"], name="subject_image_once")
        ]

    def __str__(self) -> str:
        return f"{self.subject} image {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("library:image", args=[self.pk])

    def get_thumbnail_url(self) -> str:
        return reverse("library:image_thumb", args=[self.pk])
