"""A generation's card: the one HTML fragment every page, form reply and push shows.

Cards are most of what the gallery, the history and the project page render, and a
finished generation's card rarely changes, so its HTML is cached under the version of
what it shows: the generation's state and `updated_at` (every save moves it, and the
save that finishes a generation comes after its outputs are stored) and its review's
`updated_at`. Any change to the card moves one of these, so a stale card is never
served and nothing has to be invalidated. A card still in progress shows a running
time and is always rendered afresh.

Lists of cards (the gallery, the history, the project page's strip) start from a
`listing`: one light row per card with just what its cache key needs, so a page whose
cards are cached builds no model instances at all; only the cards missing from the
cache are fetched whole, in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.cache import caches
from django.db.models import QuerySet, prefetch_related_objects
from django.template.loader import render_to_string

from generations.models import TERMINAL_STATES, Generation, Review

TEMPLATE = "partials/generation_card.html"
LISTED = ("pk", "state", "updated_at", "review__updated_at", "created_at")


def render_card(generation: Generation) -> str:
    return render_cards([generation])[0]


def render_cards(generations: Iterable[Generation]) -> list[str]:
    """The cards of these generations, in order (select `review` with them).

    Cached cards need nothing more; the outputs of the others are fetched in one query,
    unless they were prefetched.
    """
    generations = list(generations)
    cache = caches["cards"]
    versions = [_version(g) if g.is_terminal and g.pk else None for g in generations]
    cached = cache.get_many([version for version in versions if version])
    cards = [cached.get(version) for version in versions]
    unrendered = [g for g, card in zip(generations, cards, strict=True) if card is None]
    prefetch_related_objects(unrendered, "outputs")
    fresh = {}
    for n, generation in enumerate(generations):
        if cards[n] is None:
            cards[n] = _render(generation)
            if versions[n]:
                fresh[versions[n]] = cards[n]
    cache.set_many(fresh)
    return cards


def listing(generations: QuerySet[Generation]) -> QuerySet:
    """These generations as light rows (named tuples of LISTED) for `render_listing`."""
    return generations.values_list(*LISTED, named=True)


def render_listing(rows: Sequence) -> list[str]:
    """The cards of a `listing`'s rows, in order; only uncached ones are fetched whole."""
    cache = caches["cards"]
    versions = [
        _key(row.pk, row.state, row.updated_at, row.review__updated_at)
        if row.state in TERMINAL_STATES
        else None
        for row in rows
    ]
    cached = cache.get_many([version for version in versions if version])
    cards = [cached.get(version) for version in versions]
    missing = [row.pk for row, card in zip(rows, cards, strict=True) if card is None]
    if not missing:
        return cards
    fetched = Generation.objects.select_related("review").in_bulk(missing)
    # One gone since the listing (deleted a moment ago) leaves no card behind.
    rendered = dict(zip(fetched, render_cards(fetched.values()), strict=True))
    return [card or rendered.get(row.pk, "") for row, card in zip(rows, cards, strict=True)]


def _review(generation: Generation) -> Review | None:
    # getattr, not the template's lookup: a missing review raises, which the template
    # would catch at some cost on every card without one.
    return getattr(generation, "review", None)


def _version(generation: Generation) -> str:
    review = _review(generation)
    return _key(
        generation.pk, generation.state, generation.updated_at, review and review.updated_at
    )


def _key(pk: int, state: str, updated_at, reviewed_at) -> str:
    reviewed = reviewed_at.timestamp() if reviewed_at else ""
    return f"{pk}:{state}:{updated_at.timestamp()}:{reviewed}"


def _render(generation: Generation) -> str:
    outputs = generation.outputs.all()
    context = {
        "generation": generation,
        "output": outputs[0] if outputs else None,
        "review": _review(generation),
    }
    return render_to_string(TEMPLATE, context)
