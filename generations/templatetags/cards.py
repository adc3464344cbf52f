from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString, mark_safe

from generations import cards
from generations.models import Generation

register = template.Library()

# Safe: the card template has escaped everything it put in.


@register.simple_tag
def generation_card(generation: Generation) -> SafeString:
    """`{% generation_card generation %}`: one card, as every page and push shows it."""
    return mark_safe(cards.render_card(generation))


@register.simple_tag
def generation_cards(generations: Iterable[Generation]) -> SafeString:
    """`{% generation_cards generations %}`: their cards in a row."""
    return mark_safe("".join(cards.render_cards(generations)))
