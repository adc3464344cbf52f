"""A generation's card: the one HTML fragment every page, form reply and push shows.

One render path: `render_cards` takes generations (with `review` selected and `outputs`
prefetched by `for_cards`, or fetched here in one query) and renders the card partial
for each. Nothing is cached: a card is a few hundred microseconds of template work.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet, prefetch_related_objects
from django.template.loader import render_to_string

from generations.models import Generation, Review

TEMPLATE = "partials/generation_card.html"


def for_cards(generations: QuerySet[Generation]) -> QuerySet[Generation]:
    """These generations with what their cards show: the review and the outputs."""
    return generations.select_related("review").prefetch_related("outputs")


def render_card(generation: Generation) -> str:
    return render_cards([generation])[0]


def render_cards(generations: Iterable[Generation]) -> list[str]:
    """The cards of these generations, in order."""
    generations = list(generations)
    prefetch_related_objects(
        [g for g in generations if "outputs" not in getattr(g, "_prefetched_objects_cache", {})],
        "outputs",
    )
    return [_render(generation) for generation in generations]


def _review(generation: Generation) -> Review | None:
    # getattr, not the template's lookup: a missing review raises, which the template
    # would catch at some cost on every card without one.
    return getattr(generation, "review", None)


def _render(generation: Generation) -> str:
    outputs = generation.outputs.all()
    context = {
        "generation": generation,
        "output": outputs[0] if outputs else None,
        "review": _review(generation),
    }
    return render_to_string(TEMPLATE, context)
