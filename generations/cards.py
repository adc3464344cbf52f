"""A generation's card: the one HTML fragment every page, form reply and push shows.

One render path: `render_cards` takes generations (with `review` selected and `outputs`
prefetched by `for_cards`, or fetched here in one query) and renders the card partial
for each. A ready card is kept in the "cards" cache under a key made of everything it
shows that can still change (the generation's and its review's `updated_at`, its comment
counts), so a change makes a new key and nothing has to be forgotten. Cards still at
work are always rendered: they show the time left. Measured by benchmarks/load.py: card
rendering was about a third of the server's CPU under a team's browsing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.core.cache import caches
from django.db.models import Count, OuterRef, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import get_script_prefix

from generations.models import Generation, Review, State

TEMPLATE = "partials/generation_card.html"


def for_cards(generations: QuerySet[Generation]) -> QuerySet[Generation]:
    """These generations with what their cards show: the review, the outputs and the
    comment counts."""
    return (
        generations.select_related("review")
        .prefetch_related("outputs")
        .annotate(**comment_counts())
    )


def comment_counts() -> dict:
    """The card's comment badge: comments, and threads not resolved, as subqueries.

    Comments belong to the review app, above this one (DESIGN §0): reached through the
    relation it declares on Generation rather than by importing it."""
    comment = Generation._meta.get_field("comments").related_model
    rows = comment.objects.filter(generation=OuterRef("pk")).order_by().values("generation")
    total = rows.annotate(n=Count("pk")).values("n")
    unresolved = rows.filter(parent__isnull=True, resolved_at__isnull=True)
    return {
        "comment_total": Coalesce(Subquery(total), 0),
        "comment_open": Coalesce(Subquery(unresolved.annotate(n=Count("pk")).values("n")), 0),
    }


def render_card(generation: Generation) -> str:
    return render_cards([generation])[0]


def render_cards(generations: Iterable[Generation]) -> list[str]:
    """The cards of these generations, in order."""
    generations = list(generations)
    keys = {g.pk: cache_key(g) for g in generations if g.state == State.READY}
    kept = caches["cards"].get_many(keys.values()) if keys else {}
    to_render = [g for g in generations if keys.get(g.pk) not in kept]
    prefetch_related_objects(
        [g for g in to_render if "outputs" not in getattr(g, "_prefetched_objects_cache", {})],
        "outputs",
    )
    # A running card shows a time estimate, which depends on the connection: one query
    # for them all, none when every card is finished.
    running = [g for g in to_render if not g.is_terminal]
    prefetch_related_objects(running, "connection")
    rendered = {g.pk: _render(g) for g in to_render}
    caches["cards"].set_many({keys[pk]: html for pk, html in rendered.items() if pk in keys})
    return [rendered[g.pk] if g.pk in rendered else kept[keys[g.pk]] for g in generations]


def cache_key(generation: Generation) -> str:
    """A ready card's key: it changes whenever something the card shows does."""
    review = _review(generation)
    return ":".join(
        str(part)
        for part in (
            "card",
            # Its links carry the path the studio is served under (SCRIPT_NAME).
            get_script_prefix(),
            generation.pk,
            generation.updated_at.timestamp(),
            review.updated_at.timestamp() if review else "-",
            getattr(generation, "comment_total", "-"),
            getattr(generation, "comment_open", "-"),
        )
    )


def _review(generation: Generation) -> Review | None:
    # getattr, not the template's lookup: a missing review raises, which the template
    # would catch at some cost on every card without one.
    return getattr(generation, "review", None)


def estimate(generation: Generation) -> dict:
    """The card's time estimate: the model's expected seconds and, for the first paint,
    the words for what is left (realtime.js keeps them current, client-side)."""
    expected = generation.expected_seconds()
    elapsed = generation.elapsed().total_seconds()
    return {"expected": round(expected, 1), "text": eta_text(expected, elapsed)}


def eta_text(expected: float, elapsed: float) -> str:
    """What is left, in words: "~20 s left", "almost done" or "taking longer than usual"
    (realtime.js says the same as time passes)."""
    left = expected - elapsed
    if left >= 1:
        if left < 60:
            return f"~{math.ceil(left)} s left"
        return f"~{math.ceil(left / 60)} min left"
    if elapsed < expected * 2 + 10:
        return "almost done"
    return "taking longer than usual"


def _render(generation: Generation) -> str:
    outputs = generation.outputs.all()
    context = {
        "generation": generation,
        "output": outputs[0] if outputs else None,
        "review": _review(generation),
        "eta": None if generation.is_terminal else estimate(generation),
    }
    return render_to_string(TEMPLATE, context)
