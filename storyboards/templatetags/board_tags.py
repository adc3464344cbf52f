"""The storyboard page's filters."""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from library.mentions import MENTION

register = template.Library()


@register.filter
def with_mentions(prompt: str) -> SafeString:
    """The prompt, escaped, with each `@Name` marked so the board can show it as a chip."""
    parts, last = [], 0
    for match in MENTION.finditer(prompt or ""):
        parts.append(escape(prompt[last : match.start()]))
        parts.append(format_html('<span class="mention">@{}</span>', match.group(1)))
        last = match.end()
    parts.append(escape((prompt or "")[last:]))
    return mark_safe("".join(parts))  # every part escaped above
