"""The gallery's queries and edits: filters from the URL, keyset pages, review of one
result and of many at once.

Pages are keyset-paginated on (created_at, id), newest first, so page 200 costs what
page 1 costs; each page is a fixed number of queries (generations with their review,
then the outputs of the cards not cached, see cards.py), whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django import forms
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from generations import cards, realtime
from generations.actions import ActionRefused, delete_generation
from generations.models import Generation, Review, normalize_tags
from projects.access import parse_id, parse_int

PAGE_SIZE = 36
KEEPER = "keeper"
# Results one bulk action (or one selected ZIP) takes at most: a few pages' worth.
MAX_BULK = 500
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
    """Each control posts only its own field (the star, a rating, keep, tags and notes)."""

    starred = forms.TypedChoiceField(
        required=False, choices=[("1", "yes"), ("0", "no")], coerce=lambda v: v == "1"
    )
    # Keep (compare's pick of the best) is the tag KEEPER, so the tag filter finds keepers.
    keep = forms.TypedChoiceField(
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
        if "keep" in changes:
            others = [tag for tag in review.tags if tag != KEEPER]
            review.tags = [KEEPER, *others][:20] if changes["keep"] else others
        if "notes" in changes:
            review.notes = changes["notes"].strip()
        review.updated_by = user
        review.save()
        project_id, pk = generation.project_id, generation.pk
        transaction.on_commit(lambda: realtime.broadcast(project_id, [pk]))
    return review


# --- many at once ----------------------------------------------------------------------------


class BulkForm(forms.Form):
    """A bulk action on the selected results; the ids come separately (parse_ids)."""

    action = forms.ChoiceField(
        choices=[("star", "Star"), ("unstar", "Unstar"), ("tag", "Tag"), ("delete", "Delete")]
    )
    tags = forms.CharField(required=False, max_length=600)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "tag" and not normalize_tags(data.get("tags", "")):
            self.add_error("tags", "Type the tags to add, separated by commas.")
        return data


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # still running: not deleted


def apply_bulk(*, generations: Sequence[Generation], action: str, tags: str, user) -> BulkResult:
    """Star, unstar, tag or delete these generations (all of one project), then push the
    changed cards, and the removal of deleted ones, to every open page of the project."""
    if not generations:
        return BulkResult()
    project_id = generations[0].project_id
    if action == "delete":
        result = BulkResult()
        for generation in generations:
            pk = generation.pk  # delete() sets it to None
            try:
                delete_generation(generation=generation)
            except ActionRefused:
                result.refused.append(pk)
            else:
                result.removed.append(pk)
        transaction.on_commit(lambda: push_removed(project_id, result.removed))
        return result
    ids = [generation.pk for generation in generations]
    with transaction.atomic():
        Review.objects.bulk_create([Review(generation_id=pk) for pk in ids], ignore_conflicts=True)
        reviews = list(Review.objects.select_for_update().filter(generation_id__in=ids))
        added = normalize_tags(tags) if action == "tag" else []
        for review in reviews:
            if action in ("star", "unstar"):
                review.starred = action == "star"
            if added:
                review.tags = normalize_tags(",".join([*review.tags, *added]))
            review.updated_by, review.updated_at = user, timezone.now()
        Review.objects.bulk_update(reviews, ["starred", "tags_text", "updated_by", "updated_at"])
        transaction.on_commit(lambda: realtime.broadcast(project_id, ids))
    return BulkResult(changed=ids)


def push_removed(project_id: int, ids: Sequence[int]) -> None:
    """Tell the project's open pages these cards are gone (htmx's ws extension swaps a
    frame's elements by id; `delete` removes the card). Call after commit."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for pk in ids:
        html = f'<div id="generation-{pk}" hx-swap-oob="delete"></div>'
        send(
            realtime.group_name(project_id),
            {"type": "generation.changed", "generation_id": pk, "html": html},
        )
