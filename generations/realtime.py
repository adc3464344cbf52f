"""Telling the browsers: render a generation's card once, push it to its project's sockets.

Pushes are at-most-once (a browser that was offline misses them); on (re)connect the page
sends the ids it shows and the consumer answers their current cards from the database,
plus any generation created since (`sync_html`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from generations.cards import for_cards
from generations.cards import render_cards as cards_html
from generations.models import Generation
from projects.realtime import project_group

logger = logging.getLogger(__name__)

# Where a new card goes: any container on the page that shows the project's latest work.
LIVE_CONTAINER = "[data-live-cards]"
# A re-sync answers at most this many cards created while the page was away.
SYNC_NEW_LIMIT = 50


def group_name(project_id: int) -> str:
    return project_group(project_id)


def card_queryset():
    """Generations with what a card shows."""
    return for_cards(Generation.objects.all())


def render_cards(project_id: int, ids: Iterable[int]) -> dict[int, str]:
    generations = list(card_queryset().filter(project_id=project_id, pk__in=list(ids)))
    return {g.pk: html for g, html in zip(generations, cards_html(generations), strict=True)}


def as_new(html: str) -> str:
    """Wrap cards so htmx inserts them at the top of the page's live list."""
    return f'<div hx-swap-oob="afterbegin:{LIVE_CONTAINER}">{html}</div>'


def broadcast(project_id: int, generation_ids: Iterable[int], *, new: bool = False) -> None:
    """Render each card once and send it to the project's group (call after commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    cards = render_cards(project_id, generation_ids)
    send = async_to_sync(layer.group_send)
    for pk, html in cards.items():
        send(
            group_name(project_id),
            {"type": "generation.changed", "generation_id": pk, "html": html, "new": new},
        )


def sync_html(project_id: int, ids: list[int], *, newest: int, live: bool) -> tuple[str, list[int]]:
    """What a (re)connecting page needs: its cards as they are now, and the new ones it
    missed (for a live list); returns the HTML and the ids of those new cards."""
    cards = render_cards(project_id, ids)
    html = "".join(cards[pk] for pk in ids if pk in cards)
    if not live:
        return html, []
    since = max([newest, *ids])
    missed = card_queryset().filter(project_id=project_id, pk__gt=since)
    latest = list(missed.order_by("-created_at", "-id")[:SYNC_NEW_LIMIT])
    if latest:
        html += as_new("".join(cards_html(latest)))
    return html, [generation.pk for generation in latest]
