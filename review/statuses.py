"""Where each shot stands in review: the project's statuses, a shot's current one, the
board's progress, and setting a status (by a member, or by a guest on a review link)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from projects import activity, realtime
from projects.models import Project, Verb
from review import links
from review.models import DEFAULT_STATUSES, ReviewLink, ReviewStatus, ShotReview
from storyboards.models import Shot, Storyboard

BADGES_TEMPLATE = "review/statuses.html#pushed"


class StatusRefused(ValueError):
    """The status cannot be set (it belongs to another project)."""


@dataclass(frozen=True)
class ShotState:
    """A shot's status, and who set it when (None for the project's first status,
    which a shot has until someone sets one)."""

    status: ReviewStatus
    review: ShotReview | None = None

    @property
    def who(self) -> str:
        review = self.review
        if review is None:
            return ""
        if review.set_by_id:
            return review.set_by.get_username()
        return f"{review.guest_name} (guest)" if review.guest_name else "someone"


def statuses_for(project: Project) -> list[ReviewStatus]:
    """The project's statuses in order, the defaults made on first use."""
    statuses = list(ReviewStatus.objects.filter(project=project))
    if statuses:
        return statuses
    # Two first visits at once both find none: the unique name makes the second a no-op.
    ReviewStatus.objects.bulk_create(
        [
            ReviewStatus(
                project=project,
                name=name,
                colour=colour,
                position=position,
                is_approved=approved,
                requests_changes=changes,
            )
            for position, (name, colour, approved, changes) in enumerate(DEFAULT_STATUSES)
        ],
        ignore_conflicts=True,
    )
    return list(ReviewStatus.objects.filter(project=project))


def status_of(shot: Shot) -> ShotState:
    review = ShotReview.objects.select_related("status", "set_by").filter(shot=shot).first()
    if review is not None:
        return ShotState(review.status, review)
    return ShotState(statuses_for(shot.storyboard.project)[0])


def statuses_by_shot(storyboard: Storyboard) -> dict[int, ShotState]:
    """Every shot's state on the board, in three queries whatever its size."""
    first = statuses_for(storyboard.project)[0]
    reviews = {
        review.shot_id: review
        for review in ShotReview.objects.filter(shot__storyboard=storyboard).select_related(
            "status", "set_by"
        )
    }
    shot_ids = storyboard.shots.values_list("pk", flat=True)
    return {
        pk: ShotState(reviews[pk].status, reviews[pk]) if pk in reviews else ShotState(first)
        for pk in shot_ids
    }


def progress(storyboard: Storyboard) -> tuple[int, int]:
    """(shots approved, shots) on the board."""
    total = storyboard.shots.count()
    approved = ShotReview.objects.filter(
        shot__storyboard=storyboard, status__is_approved=True
    ).count()
    # A project whose first status counts as approved approves the unset shots too.
    first = statuses_for(storyboard.project)[0]
    if first.is_approved:
        approved = (
            total
            - ShotReview.objects.filter(
                shot__storyboard=storyboard, status__is_approved=False
            ).count()
        )
    return approved, total


def set_status(
    *,
    shot: Shot,
    status: ReviewStatus,
    user: settings.AUTH_USER_MODEL | None = None,
    guest_name: str = "",
    review_link: ReviewLink | None = None,
) -> ShotReview:
    """Put the shot at `status`, as `user` (a member) or `guest_name` (on `review_link`).

    Records the change in the project's activity, notifies whoever made the shot's takes
    and the project's owner (not the one who set it), and after commit shows the new
    badge and the board's progress on every open page of the project."""
    storyboard = shot.storyboard
    project = storyboard.project
    if status.project_id != project.pk:
        raise StatusRefused("That status belongs to another project.")
    if review_link is not None and review_link.storyboard_id != storyboard.pk:
        raise StatusRefused("That review link does not share this shot.")
    with transaction.atomic():
        review, _ = ShotReview.objects.update_or_create(
            shot=shot,
            defaults={
                "status": status,
                "set_by": user,
                "guest_name": "" if user else guest_name[:80],
                "set_at": timezone.now(),
            },
        )
        makers = set(shot.takes.values_list("generation__created_by", flat=True))
        who = user.get_username() if user else f"{guest_name} (guest)"
        activity.record(
            project=project,
            verb=Verb.STATUS,
            summary=f"{who} set {_shot_name(shot)} to {status.name}",
            link=shot.get_absolute_url(),
            actor=user,
            guest_name="" if user else guest_name,
            notify=makers | {project.owner_id},
        )
        shot_id, storyboard_id = shot.pk, storyboard.pk
        transaction.on_commit(
            lambda: push_status(shot_id=shot_id, storyboard_id=storyboard_id), robust=True
        )
        # Review links: the open guest pages that share this shot see it too.
        transaction.on_commit(lambda: links.push_shot(shot_id=shot_id), robust=True)
    return review


def _shot_name(shot: Shot) -> str:
    title = f" · {shot.title}" if shot.title else ""
    return f"{shot.storyboard.title}, shot {shot.number}{title}"


def push_status(*, shot_id: int, storyboard_id: int) -> None:
    """The shot's badges (tile and panel) and the board's progress, out of band."""
    shot = Shot.objects.select_related("storyboard__project").filter(pk=shot_id).first()
    if shot is None or shot.storyboard_id != storyboard_id:
        return
    storyboard = shot.storyboard
    approved, total = progress(storyboard)
    html = render_to_string(
        BADGES_TEMPLATE,
        {
            "shot": shot,
            "state": status_of(shot),
            "statuses": statuses_for(storyboard.project),
            "storyboard": storyboard,
            "approved": approved,
            "total": total,
            "oob": True,
        },
    )
    realtime.push_html(storyboard.project_id, html)
