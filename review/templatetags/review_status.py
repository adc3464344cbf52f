"""Review statuses where the storyboard shows its shots, and the bell in the top bar.

The storyboards app sits below review (DESIGN §0) and does not import it: its templates
load this library, which looks the statuses up itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django import template

from projects import activity
from projects.access import parse_id
from projects.templatetags.project_activity import ago
from review import statuses
from review.models import ReviewStatus
from storyboards.models import Shot, Storyboard

register = template.Library()


@dataclass
class BoardReview:
    """What the board shows of review: each shot's state, the progress and the filter."""

    storyboard: Storyboard
    statuses: list[ReviewStatus]
    states: dict[int, statuses.ShotState]
    approved: int
    total: int
    shown: int | None = None  # the status id the board is filtered by
    counts: dict[int, int] = field(default_factory=dict)

    def state(self, shot: Shot) -> statuses.ShotState:
        return self.states.get(shot.pk) or statuses.ShotState(self.statuses[0])


def _filter_from(request) -> int | None:
    """The `status` of the board's address; a shot chosen on a filtered board keeps it
    (htmx asks for the shot from the board's address)."""
    if request is None:
        return None
    wanted = parse_id(request.GET.get("status"))
    htmx = getattr(request, "htmx", None)
    if wanted is None and htmx and htmx.current_url:
        wanted = parse_id((parse_qs(urlsplit(htmx.current_url).query).get("status") or [""])[0])
    return wanted


@register.simple_tag(takes_context=True)
def review_board(context: template.Context, storyboard: Storyboard) -> BoardReview:
    states = statuses.statuses_by_shot(storyboard)
    project_statuses = statuses.statuses_for(storyboard.project)
    counts: dict[int, int] = {}
    for state in states.values():
        counts[state.status.pk] = counts.get(state.status.pk, 0) + 1
    shown = _filter_from(context.get("request"))
    return BoardReview(
        storyboard=storyboard,
        statuses=project_statuses,
        states=states,
        approved=sum(1 for state in states.values() if state.status.is_approved),
        total=len(states),
        shown=shown if any(s.pk == shown for s in project_statuses) else None,
        counts=counts,
    )


@register.filter
def hides(review: BoardReview | None, shot: Shot) -> bool:
    """Whether the board's status filter leaves this shot out."""
    return bool(review and review.shown and review.state(shot).status.pk != review.shown)


@register.inclusion_tag("review/statuses.html#badge")
def review_badge(review: BoardReview, shot: Shot) -> dict:
    return {"shot": shot, "state": review.state(shot)}


@register.inclusion_tag("review/statuses.html#progress")
def review_progress(review: BoardReview) -> dict:
    return {"storyboard": review.storyboard, "approved": review.approved, "total": review.total}


@register.inclusion_tag("review/statuses.html#filter", takes_context=True)
def review_filter(context: template.Context, review: BoardReview) -> dict:
    return {
        "review": review,
        "storyboard": review.storyboard,
        "project": review.storyboard.project,
        "can_edit": context.get("can_edit", False),
    }


@register.inclusion_tag("review/statuses.html#panel", takes_context=True)
def shot_review_panel(context: template.Context, shot: Shot) -> dict:
    review = context.get("board_review")
    state = review.state(shot) if isinstance(review, BoardReview) else statuses.status_of(shot)
    project = context.get("project") or shot.storyboard.project
    return {
        "shot": shot,
        "project": project,
        "state": state,
        "statuses": (
            review.statuses if isinstance(review, BoardReview) else statuses.statuses_for(project)
        ),
        "can_edit": context.get("can_edit", project.can_edit),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("review/notifications.html#bell", takes_context=True)
def notifications_bell(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": None}
    return {"unread_count": activity.unread_count(user)}


register.filter("ago", ago)  # the feed's own filter, for the review pages too


@register.filter
def get_count(counts: dict[int, int], key: int) -> int:
    return counts.get(key, 0)
