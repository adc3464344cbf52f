"""`@Name`: the one rule for subject names and for finding them in prompts.

A subject is mentioned as @Name, so its name is one "word": letters and digits of any
script (CJK included), underscore and hyphen, 1–64 characters. A mention ends at the
first other character ("@Mia's" and "@Mia," both mention Mia) and cannot follow a
letter, a digit or another @ (an e-mail address mentions no one).

The page's script uses the same rule, written for JavaScript (whose \\w is ASCII-only)
and handed to it by the page (`js_rules`), so the chips and suggestions agree with
what the server accepts.
"""

from __future__ import annotations

import re

MAX_NAME = 64
NAME = re.compile(rf"[\w-]{{1,{MAX_NAME}}}")
MENTION = re.compile(rf"(?<![\w@])@([\w-]{{1,{MAX_NAME}}})")
NAME_HELP = f"Names can use letters, digits, _ and - (no spaces), up to {MAX_NAME} characters."

_JS_WORD = r"\p{L}\p{N}_"


def js_rules() -> dict[str, str]:
    """The same rule as JavaScript regular expression sources (for the `u` flag): every
    mention in a prompt, and the mention being typed just before the caret."""
    return {
        "mention": rf"(?<![{_JS_WORD}@])@([{_JS_WORD}-]{{1,{MAX_NAME}}})",
        "at_caret": rf"(^|[^{_JS_WORD}@])@([{_JS_WORD}-]{{0,{MAX_NAME}}})$",
    }


def is_name(text: str) -> bool:
    return NAME.fullmatch(text) is not None


def find_mentions(prompt: str) -> list[str]:
    """The distinct names mentioned, in order of first mention."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(prompt):
        seen.setdefault(match.group(1), None)
    return list(seen)
