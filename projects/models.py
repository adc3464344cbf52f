from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse

from accounts.sharing import OWNER, Role, may_edit
from library.models import Subject, SubjectImage


class ProjectQuerySet(models.QuerySet["Project"]):
    def for_user(self, user: settings.AUTH_USER_MODEL) -> ProjectQuerySet:
        """Projects this user may open: their own and those they are a member of."""
        member_of = ProjectMembership.objects.filter(user=user).values("project")
        return self.filter(Q(owner=user) | Q(pk__in=member_of))

    def active(self) -> ProjectQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> ProjectQuerySet:
        return self.filter(archived_at__isnull=False)

    def with_member_role(self, user: settings.AUTH_USER_MODEL) -> ProjectQuerySet:
        """Each project with `member_role`: this user's role as a member, or None."""
        membership = ProjectMembership.objects.filter(project=OuterRef("pk"), user=user)
        return self.annotate(member_role=Subquery(membership.values("role")[:1]))

    def with_list_details(self) -> ProjectQuerySet:
        """Counts and a cover for the project list, in the same query as the projects."""
        libraries = Project.libraries.through.objects.filter(project=OuterRef("pk"))
        subjects = (
            Subject.objects.filter(library__projects=OuterRef("pk"))
            .order_by()
            .values("library__projects")
            .annotate(n=Count("pk"))
            .values("n")
        )
        cover = SubjectImage.objects.filter(subject__library__projects=OuterRef("pk")).order_by(
            "subject__library__name", "subject__created_at", "subject_id", "created_at", "pk"
        )
        return self.select_related("owner").annotate(
            library_count=Subquery(
                libraries.order_by().values("project").annotate(n=Count("pk")).values("n")
            ),
            subject_count=Subquery(subjects),
            cover_image_id=Subquery(cover.values("pk")[:1]),
        )


class Project(models.Model):
    """A workspace: its storyboards, its generations, the libraries it uses."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=120)
    libraries = models.ManyToManyField("library.Library", related_name="projects", blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    # `role` is this viewer's role, set by projects.access.get_project_for_user.

    @property
    def can_edit(self) -> bool:
        """Whether the person looking may change the project: its owner or an editor."""
        return may_edit(getattr(self, "role", None))

    @property
    def is_owner(self) -> bool:
        return getattr(self, "role", None) == OWNER

    @property
    def cover_url(self) -> str:
        """The picture on the project's tile (needs with_list_details(), and the
        generations' `with_result_covers` tag for `cover_output_id`).

        The latest ready output's thumbnail (a still, or a clip's first frame); else the
        first subject image of its libraries, or "" for the letter placeholder.
        """
        cover_output_id = getattr(self, "cover_output_id", None)
        if cover_output_id:
            return reverse("generations:output_file", args=[self.pk, cover_output_id, "thumbnail"])
        cover_image_id = getattr(self, "cover_image_id", None)
        return reverse("library:image_thumb", args=[cover_image_id]) if cover_image_id else ""


class ProjectMembership(models.Model):
    """Another person of this studio working on a project: an editor may generate and
    edit; a viewer may look and download."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = "member"
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.project}"


class Verb(models.TextChoices):
    """What happened in a project, as its activity feed says it."""

    GENERATED = "generated", "generated"
    KEPT = "kept", "kept a take"
    STATUS = "status", "set a review status"
    COMMENTED = "commented", "commented"
    RESOLVED = "resolved", "resolved a comment"
    REOPENED = "reopened", "reopened a comment"
    SHARED = "shared", "shared for review"
    REVOKED = "revoked", "revoked a review link"
    GUEST_OPENED = "guest_opened", "opened a review link"
    GUEST_DOWNLOADED = "guest_downloaded", "downloaded from a review link"
    IMPORTED = "imported", "imported shots"
    EXPORTED = "exported", "exported a timeline"


class Activity(models.Model):
    """One line of a project's activity feed. Written by the layer where it happens, so
    it names its object in words and by link (this app sits below those that have them)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activity")
    verb = models.CharField(max_length=24, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # A guest on a review link has no account: the name they typed.
    guest_name = models.CharField(max_length=80, blank=True)
    summary = models.CharField(max_length=300)  # plain text, escaped where shown
    link = models.CharField(max_length=300, blank=True)  # a path inside this studio
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activity"

    def __str__(self) -> str:
        return f"{self.who} {self.get_verb_display()}: {self.summary}"

    @property
    def who(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        return f"{self.guest_name} (guest)" if self.guest_name else "someone"


class Notification(models.Model):
    """An activity that concerns one person (an @mention, a status change on their
    work), until they have read it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="notifications")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"for {self.recipient}: {self.activity}"
