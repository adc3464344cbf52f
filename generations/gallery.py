"""The gallery's queries: filters from the URL, keyset pages, and what a ZIP contains.

Pages are keyset-paginated on (created_at, id), newest first, so page 200 costs what
page 1 costs; each page is a fixed number of queries (generations with their review,
then the outputs of the cards not cached, see cards.py), whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from generations import cards, realtime
from generations.models import Generation, Mode, Review, State, normalize_tags
from projects.access import parse_id, parse_int
from projects.models import Project

PAGE_SIZE = 36
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A cursor past the last datetime Python can hold is not one of ours.
MAX_MICROS = (datetime.max.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


class GalleryFilterForm(forms.Form):
    """Every filter is a GET parameter, so a filtered gallery is a link one can share."""

    q = forms.CharField(required=False, label="Search prompts", max_length=200)
    mode = forms.ChoiceField(
        required=False,
        choices=[("", "Any mode"), *Mode.choices],
        widget=forms.Select({"aria-label": "Filter by mode"}),
    )
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Any state"), *State.choices],
        widget=forms.Select({"aria-label": "Filter by state"}),
    )
    subject = forms.CharField(required=False, label="Subject", max_length=64)
    starred = forms.BooleanField(required=False, label="Starred")
    rating = forms.TypedChoiceField(
        required=False,
        label="Rating",
        coerce=int,
        empty_value=None,
        choices=[("", "Any rating"), *[(n, f"{n}★ and up") for n in range(1, 6)]],
        widget=forms.Select({"aria-label": "Filter by rating"}),
    )
    tag = forms.CharField(required=False, label="Tag", max_length=40)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    storyboard = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select({"aria-label": "Filter by storyboard"}),
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Takes of the project's storyboards (the reverse name comes from storyboards.Take).
        titles = project.storyboards.order_by("title").values_list("pk", "title")
        self.fields["storyboard"].choices = [("", "Any storyboard"), *titles]


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


def filtered(project: Project, data: dict) -> QuerySet[Generation]:
    """The project's generations matching the (cleaned) filters, newest first."""
    generations = Generation.objects.filter(project=project)
    if data.get("q"):
        for word in data["q"].split()[:8]:
            generations = generations.filter(prompt__icontains=word)
    if data.get("mode"):
        generations = generations.filter(mode=data["mode"])
    if data.get("state"):
        generations = generations.filter(state=data["state"])
    if data.get("subject"):
        generations = generations.filter(mentions__has_key=data["subject"].lstrip("@"))
    if data.get("storyboard"):
        generations = generations.filter(storyboard_take__shot__storyboard_id=data["storyboard"])
    if data.get("starred"):
        generations = generations.filter(review__starred=True)
    if data.get("rating"):
        generations = generations.filter(review__rating__gte=data["rating"])
    if data.get("tag"):
        tag = "-".join(data["tag"].lower().split())
        generations = generations.filter(review__tags_text__contains=f",{tag},")
    zone = timezone.get_current_timezone()
    if data.get("since"):
        generations = generations.filter(
            created_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone)
        )
    if data.get("until"):
        end = datetime.combine(data["until"], time.min, tzinfo=zone) + timedelta(days=1)
        generations = generations.filter(created_at__lt=end)
    return generations.order_by("-created_at", "-id")


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
