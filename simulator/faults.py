"""Fault injection: prompt tags such as `#sim:fail=CreditInsufficient`.

Faults come from two places, merged with the prompt winning: `settings.SIMULATOR_FAULTS`
(the same tags without `#sim:`, applied to every task) and tags in a request's prompt.
Tags stay in the prompt the "model" sees; they are plain text to everything else.

Every number is bounded: a tag is written by whoever holds a key, and a value such as
`slow=1e12` once overflowed the clock's date arithmetic for every task. Values above
their bound are cut to it; NaN, infinities, negatives and non-numbers are ignored. The
same bounds apply again when a stored task is read (`SimTask.fault`), so rows written
before the bounds existed cannot hurt either.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

TAG = re.compile(r"#sim:([a-z0-9-]+)(?:=([^\s#]+))?", re.IGNORECASE)

TEN_MINUTES_MS = 10 * 60 * 1000
DAY_MS = 24 * 3600 * 1000

# Tag -> default value when given bare. Values given as `=<n>` are milliseconds or a
# factor (slow), an error code (fail) or a kind of junk (junk).
KNOWN: dict[str, Any] = {
    "fail": "InternalServiceFailure",
    "slow": 10.0,
    "drop-callbacks": True,
    "duplicate-callbacks": True,
    "reorder-callbacks": True,
    "late-callbacks": 3000,
    "429": True,
    "500": True,
    "timeout": None,  # None: settings.SIMULATOR_TIMEOUT_SECONDS
    "expire-urls": 2000,
    "latency": 500,
    "lose-answer": True,
    "junk": "empty",
    "query-404": 3000,
}
# The largest value of each numeric tag (`timeout` is bounded by its setting).
BOUNDS: dict[str, float] = {
    "slow": 100.0,  # a factor
    "late-callbacks": TEN_MINUTES_MS,
    "latency": TEN_MINUTES_MS,
    "query-404": TEN_MINUTES_MS,
    # Result URLs live 24 h (V-get): the fault may shorten that, never lengthen it.
    "expire-urls": DAY_MS,
}
NUMERIC = {*BOUNDS, "timeout"}
JUNK_KINDS = ("empty", "html", "list")
_ERR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,63}$")


def parse_faults(prompt: str) -> dict[str, Any]:
    """The faults that apply to a request: configured ones, then the prompt's tags."""
    faults: dict[str, Any] = {}
    configured = getattr(settings, "SIMULATOR_FAULTS", [])
    for spec in configured:
        _apply(faults, *spec.removeprefix("#sim:").partition("=")[::2])
    for match in TAG.finditer(prompt or ""):
        _apply(faults, match.group(1), match.group(2) or "")
    return faults


def _apply(faults: dict[str, Any], name: str, value: str) -> None:
    name = name.strip().lower()
    if name not in KNOWN:
        logger.info("Ignoring unknown simulator fault %r", name)
        return
    if not value:
        faults[name] = KNOWN[name]
    elif name in NUMERIC:
        number = bounded(name, value)
        if number is None:
            logger.info("Ignoring simulator fault %s=%r: not a number in range", name, value)
        else:
            faults[name] = number
    elif name == "fail" and _ERR_CODE.match(value):
        faults[name] = value
    elif name == "junk" and value.lower() in JUNK_KINDS:
        faults[name] = value.lower()
    else:
        faults[name] = KNOWN[name]


def bounded(name: str, value: Any) -> float | None:
    """A numeric fault value cut to its bound; None when it is no usable number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return min(number, upper_bound(name))


def upper_bound(name: str) -> float:
    if name == "timeout":
        return timeout_limit() * 1000
    return BOUNDS[name]


def timeout_limit() -> float:
    return float(getattr(settings, "SIMULATOR_TIMEOUT_SECONDS", 120.0))


def timeout_seconds(faults: dict[str, Any]) -> float:
    """How long a `timeout` create hangs: past a typical 30-60 s client read timeout,
    never longer than `SIMULATOR_TIMEOUT_SECONDS`."""
    value = bounded("timeout", faults.get("timeout"))
    if value is not None:
        return value / 1000
    return timeout_limit()
