"""The gallery's queries: filters from the URL, keyset pages, and what a ZIP contains.

Pages are keyset-paginated on (created_at, id), newest first, so page 200 costs what
page 1 costs; each page is a fixed number of queries (generations with their review,
then the outputs of the cards not cached, see cards.py), whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django import forms
from django.db import transaction
from django.db.models import Q, QuerySet

from generations import cards, realtime
from generations.models import Generation, Review, normalize_tags
from projects.access import parse_id, parse_int

PAGE_SIZE = 36
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A cursor past the last datetime Python can hold is not one of ours.
MAX_MICROS = (datetime.max.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last card's (created_at, id), as `<microseconds>-<id>`."""

    created_at: datetime
    pk: int

    def __str__(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}-{self.pk}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        micros, _, pk = (text or "").partition("-")
        micros, pk = parse_int(micros, maximum=MAX_MICROS), parse_id(pk)
        if micros is None or pk is None:
            return None
        return cls(EPOCH + timedelta(microseconds=micros), pk)


def page(
    generations: QuerySet[Generation], *, after: Cursor | None, size: int = PAGE_SIZE
) -> tuple[list, Cursor | None]:
    """One page of generations after `after`, with what their cards show, and the
    cursor of the next page (None: the end)."""
    if after:
        generations = generations.filter(
            Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, pk__lt=after.pk)
        )
    rows = list(cards.for_cards(generations)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (Cursor(rows[-1].created_at, rows[-1].pk) if more else None)


# --- review --------------------------------------------------------------------------------


class ReviewForm(forms.Form):
    """Each control posts only its own field (the star, a rating, tags and notes)."""

    starred = forms.TypedChoiceField(
        required=False, choices=[("1", "yes"), ("0", "no")], coerce=lambda v: v == "1"
    )
    rating = forms.TypedChoiceField(
        required=False,
        choices=[("", "none"), *[(str(n), str(n)) for n in range(1, 6)]],
        coerce=int,
        empty_value=None,
    )
    tags = forms.CharField(required=False, max_length=600)
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)

    def changes(self, posted) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in posted}


def save_review(*, generation: Generation, user, changes: dict) -> Review:
    """Apply a reviewer's changes, then push the card so every open gallery shows them."""
    with transaction.atomic():
        review, _ = Review.objects.select_for_update().get_or_create(generation=generation)
        if "starred" in changes:
            review.starred = changes["starred"]
        if "rating" in changes:
            # Choosing the rating a result already has clears it, as on most star widgets.
            review.rating = None if changes["rating"] == review.rating else changes["rating"]
        if "tags" in changes:
            review.tags = normalize_tags(changes["tags"])
        if "notes" in changes:
            review.notes = changes["notes"].strip()
        review.updated_by = user
        review.save()
        project_id, pk = generation.project_id, generation.pk
        transaction.on_commit(lambda: realtime.broadcast(project_id, [pk]))
    return review
