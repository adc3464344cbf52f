"""`@Name` mentions in prompts."""

from __future__ import annotations

import re

# Subject names: letters, digits, underscore, hyphen and CJK, 1–64 characters. A mention
# ends at the first other character, so "@Mia's" and "@Mia," both mention Mia.
MENTION = re.compile(
    r"(?<![\w@])@([\w\-\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{1,64})"
)


def find_mentions(prompt: str) -> list[str]:
    """The distinct names mentioned, in order of first mention."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(prompt):
        seen.setdefault(match.group(1), None)
    return list(seen)
