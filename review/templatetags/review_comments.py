"""Comments where the storyboard and a generation's page show them, and their counts on
shot tiles and take cards.

The storyboards and generations apps sit below review (DESIGN §0) and do not import it:
their templates load this library, which looks the comments up itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from generations.models import Generation
from review import comments
from storyboards.models import Shot

register = template.Library()

# Safe: the comments template escapes everything it puts in.


@register.simple_tag(takes_context=True)
def shot_comments(context: template.Context, shot: Shot) -> SafeString:
    """`{% shot_comments selected %}`: the shot's and its takes' threads, pins, composer."""
    return _panel(context, shot, connect=False)


@register.simple_tag(takes_context=True)
def generation_comments(context: template.Context, generation: Generation) -> SafeString:
    """`{% generation_comments generation %}`: a take's threads on its own page, which
    listens to the project's socket for them."""
    return _panel(context, generation, connect=True)


def _panel(context: template.Context, subject: Shot | Generation, *, connect: bool) -> SafeString:
    request = context["request"]
    panel = comments.panel_context(project=context["project"], user=request.user, subject=subject)
    panel["connect"] = connect
    return mark_safe(render_to_string(f"{comments.TEMPLATE}#panel", panel, request=request))


@register.simple_tag
def count_comments(shots: Iterable[Shot]) -> str:
    """`{% count_comments shots %}`: each shot's comment counts, and each of their takes'
    for its card, in two queries for the whole board (nothing is shown)."""
    shots = list(shots)
    takes = [take for shot in shots for take in shot.takes.all()]
    by_shot = comments.counts_by_shot(shot.pk for shot in shots)
    by_generation = comments.counts_by_generation(take.generation_id for take in takes)
    for shot in shots:
        shot.comment_counts = by_shot.get(shot.pk, comments.Counts())
    for take in takes:
        counts = by_generation.get(take.generation_id, comments.Counts())
        take.generation.comment_total, take.generation.comment_open = counts.total, counts.open
    return ""


@register.simple_tag
def shot_comment_count(shot: Shot) -> SafeString:
    """`{% shot_comment_count shot %}`: the tile's "3 comments · 1 open" (after
    count_comments; the push replaces it by id)."""
    counts = getattr(shot, "comment_counts", None) or comments.Counts()
    html = render_to_string(
        f"{comments.TEMPLATE}#count", {"count_id": f"shot-{shot.pk}-comments", "counts": counts}
    )
    return mark_safe(html)


@register.filter
def comment_mentions(body: str, usernames: Iterable[str]) -> SafeString:
    """`{{ comment.body|comment_mentions:usernames }}`: escaped, members' @names marked."""
    return comments.with_mentions(body, usernames)
