"""Fault injection: prompt tags such as `#sim:fail=CreditInsufficient`.

Faults come from two places, merged with the prompt winning: `settings.SIMULATOR_FAULTS`
(the same tags without `#sim:`, applied to every task) and tags in a request's prompt.
Tags stay in the prompt the "model" sees; they are plain text to everything else.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

TAG = re.compile(r"#sim:([a-z0-9-]+)(?:=([^\s#]+))?", re.IGNORECASE)

# Tag -> default value when given bare. Values given as `=<n>` are milliseconds or a
# factor (slow), or an error code (fail).
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
}
_NUMERIC = {"slow", "late-callbacks", "timeout", "expire-urls", "latency"}
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
    elif name in _NUMERIC:
        try:
            faults[name] = max(0.0, float(value))
        except ValueError:
            logger.info("Ignoring simulator fault %s=%r: not a number", name, value)
    elif name == "fail" and _ERR_CODE.match(value):
        faults[name] = value
    else:
        faults[name] = KNOWN[name]


def timeout_seconds(faults: dict[str, Any]) -> float:
    """How long a `timeout` create hangs: past a typical 30-60 s client read timeout."""
    value = faults.get("timeout")
    if value is not None:
        return float(value) / 1000
    return float(getattr(settings, "SIMULATOR_TIMEOUT_SECONDS", 120.0))
