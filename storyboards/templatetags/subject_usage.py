"""Where a subject is used, for the library's subject pages.

The library sits below generations and storyboards (DESIGN §0) and does not import
them: its templates load this tag, which looks in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from generations.models import Generation
from library.mentions import find_mentions
from library.models import Subject
from storyboards.models import Shot

register = template.Library()

USAGE_LIMIT = 50


@dataclass(frozen=True)
class Usage:
    """One place a subject is used (a storyboard shot, a generation)."""

    label: str
    url: str


@register.simple_tag
def subject_usage(subject: Subject) -> list[Usage]:
    """Storyboard shots whose prompt mentions the subject, then the generations that sent
    its images (newest first, at most USAGE_LIMIT of each). Past generations keep their
    own snapshots, so deleting the subject changes none of them."""
    mention = f"@{subject.name}"
    shots = (
        Shot.objects.filter(
            storyboard__project__libraries=subject.library, prompt__contains=mention
        )
        .select_related("storyboard")
        .order_by("-storyboard__updated_at", "position")[:USAGE_LIMIT]
    )
    usage = [
        Usage(label=f"{shot.storyboard.title}, shot {shot.number}", url=shot.get_absolute_url())
        for shot in shots
        if subject.name in find_mentions(shot.prompt)
    ]
    generations = Generation.objects.filter(
        project__libraries=subject.library, prompt__contains=mention
    ).only("pk", "project_id", "mentions", "mode")[:USAGE_LIMIT]
    usage += [
        Usage(label=f"Generation #{generation.pk}", url=generation.get_absolute_url())
        for generation in generations
        if (generation.mentions.get(subject.name) or {}).get("subject_id") == subject.pk
    ]
    return usage
