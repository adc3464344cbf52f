"""Keeps API keys out of log output, error messages and error reports.

Two nets: patterns that look like credentials (`Authorization: Bearer …`, `api_key=…`)
and the exact values of every key this process has decrypted or read from the
environment (`register_secret`), so a key echoed back inside a provider's error body
is caught even when nothing around it looks like a credential.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[redacted]"

# Shorter values would redact ordinary words; real Vidu and reseller keys are far longer.
_MIN_SECRET_LENGTH = 8

_secrets: set[str] = set()
_lock = threading.Lock()

_PATTERNS = (
    # Authorization: Token abc / "authorization": "Bearer abc"
    re.compile(
        r"(?P<prefix>authorization[\"']?\s*[:=]\s*[\"']?(?:token|bearer|basic)\s+)"
        r"(?P<secret>[^\s\"',;]+)",
        re.IGNORECASE,
    ),
    # A bare "Bearer abc…" / "Token abc…" anywhere (long enough to be a credential).
    re.compile(
        r"(?P<prefix>\b(?:bearer|token)\s+)(?P<secret>[A-Za-z0-9._~+/=-]{12,})", re.IGNORECASE
    ),
    # api_key=…, "apiKey": "…", secret_key: …, access_token=…, password=…
    re.compile(
        r"(?P<prefix>\b(?:api[_-]?key|apikey|x-api-key|secret[_-]?key|access[_-]?token"
        r"|password|passwd)[\"']?\s*[:=]\s*[\"']?)(?P<secret>[^\s\"'&,;}]+)",
        re.IGNORECASE,
    ),
)


def register_secret(value: str | None) -> None:
    """Remember a key so every later log line and error message hides it."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """The text with every known key and credential-looking value replaced."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group("prefix") + REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """A logging filter (see settings.LOGGING) that scrubs keys from each record.

    The message is rendered once with its arguments and replaced by the redacted text;
    a traceback is rendered into `exc_text`, which formatters print instead of
    rendering the exception again, so keys inside exception messages are caught too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for logging to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
