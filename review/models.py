"""Review and hand-off: where a shot stands in review, comments pinned to takes, and links
that let a client without an account look, comment and approve.

This app sits on top of storyboards (DESIGN §0): it reads shots and takes, and nothing
below it knows of reviews.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone

from generations.models import Generation
from projects.models import Project
from storyboards.models import Shot, Storyboard

# The statuses a project starts with: (name, colour, counts as approved, asks for changes).
DEFAULT_STATUSES = [
    ("Draft", "#8a8f98", False, False),
    ("In review", "#3b82f6", False, False),
    ("Changes requested", "#f59e0b", False, True),
    ("Approved", "#22c55e", True, False),
]


class ReviewStatus(models.Model):
    """One step of a project's review, named and coloured by the project (the defaults
    above until someone edits them). `is_approved` marks the status that counts towards
    "N of M approved"; `requests_changes` the one a reviewer's "Request changes" sets."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="review_statuses")
    name = models.CharField(max_length=40)
    colour = models.CharField(max_length=7, default="#8a8f98")  # #rrggbb
    position = models.PositiveSmallIntegerField(default=0)
    is_approved = models.BooleanField(default=False)
    requests_changes = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "review statuses"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="review_status_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class ShotReview(models.Model):
    """Where a shot stands in review now, and who put it there when (the history is in
    the project's activity). A shot without one is at the project's first status."""

    shot = models.OneToOneField(Shot, on_delete=models.CASCADE, related_name="review")
    status = models.ForeignKey(ReviewStatus, on_delete=models.PROTECT, related_name="shots")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    guest_name = models.CharField(max_length=80, blank=True)  # set from a review link
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.shot}: {self.status}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ReviewLinkQuerySet(models.QuerySet["ReviewLink"]):
    def open(self) -> ReviewLinkQuerySet:
        """Links a guest may use now: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ReviewLink(models.Model):
    """A storyboard (or some of its shots' keepers) shared with someone who has no
    account, until it expires or is revoked. The token is the only key; an optional
    passphrase is stored hashed like a password."""

    storyboard = models.ForeignKey(
        Storyboard, on_delete=models.CASCADE, related_name="review_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    label = models.CharField(max_length=120, blank=True)  # who it is for, say
    # Whether it shares the whole storyboard (shots added later too) or only `shots`: a
    # flag, not "no shots chosen", so deleting the chosen shots never widens a link.
    whole_board = models.BooleanField(default=True)
    shots = models.ManyToManyField(Shot, blank=True, related_name="review_links")
    expires_at = models.DateTimeField()
    passphrase_hash = models.CharField(max_length=128, blank=True)
    allow_download = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label or f"Review link for {self.storyboard}"

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def has_passphrase(self) -> bool:
        return bool(self.passphrase_hash)

    def set_passphrase(self, passphrase: str) -> None:
        self.passphrase_hash = make_password(passphrase) if passphrase else ""

    def check_passphrase(self, passphrase: str) -> bool:
        return not self.passphrase_hash or check_password(passphrase, self.passphrase_hash)


class Comment(models.Model):
    """A comment on a shot or on one generation (a take), optionally pinned to a point of
    the picture (x, y as fractions of its width and height) and, on a clip, to a time
    range in seconds. Replies point at their thread's first comment."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    shot = models.ForeignKey(
        Shot, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # A guest's comment: the name they typed and the link they came by.
    guest_name = models.CharField(max_length=80, blank=True)
    review_link = models.ForeignKey(
        ReviewLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    body = models.TextField(max_length=4000)
    pin_x = models.FloatField(null=True, blank=True)
    pin_y = models.FloatField(null=True, blank=True)
    time_start = models.FloatField(null=True, blank=True)
    time_end = models.FloatField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shot__isnull=False) | Q(generation__isnull=False),
                name="comment_has_a_subject",
            ),
            models.CheckConstraint(
                condition=(Q(pin_x__isnull=True) & Q(pin_y__isnull=True))
                | (Q(pin_x__gte=0, pin_x__lte=1) & Q(pin_y__gte=0, pin_y__lte=1)),
                name="comment_pin_inside_picture",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.who}: {self.body[:40]}"

    @property
    def who(self) -> str:
        if self.author_id:
            return self.author.get_username()
        return f"{self.guest_name} (guest)" if self.guest_name else "someone"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def is_pinned(self) -> bool:
        return self.pin_x is not None
