"""Vidu's callback signature (vidu-api.md §6.2): making it and checking it.

The simulator signs its callbacks with `callback_headers`; the callback view checks
them with `verify_callback`. The signature covers the method, the callback URL's
path and query, the `Date` and the nonce, not the body: a verified callback proves
who sent it, so its body is still only a hint to re-read the task.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import urlsplit

ACCESS_KEY = "vidu"
ALGORITHM = "hmac-sha256"
SIGNED_HEADERS = ("Date", "x-request-nonce")
REQUIRED_HEADERS = (
    "Date",
    "x-request-nonce",
    "X-HMAC-SIGNED-HEADERS",
    "X-HMAC-SIGNATURE",
    "X-HMAC-ALGORITHM",
    "X-HMAC-ACCESS-KEY",
)


class SignatureError(Exception):
    """A callback failed verification; `reason` is a short code for logs and tests."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


def signing_string(
    *,
    method: str,
    callback_url: str,
    date: str,
    signed_headers: Sequence[tuple[str, str]],
    access_key: str = ACCESS_KEY,
) -> str:
    """The exact text Vidu signs; it ends with a newline after the last header."""
    url = urlsplit(callback_url)
    # The query is taken as sent, unsorted and not re-encoded, as in Vidu's example.
    lines = [method.upper(), url.path or "/", url.query, access_key, date]
    return "\n".join(lines) + "\n" + "".join(f"{key}:{value}\n" for key, value in signed_headers)


def sign(secret: str, signing_string: str) -> str:
    """base64(HMAC-SHA256(secret, signing_string))."""
    digest = hmac.new(secret.encode(), signing_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def callback_headers(
    *, secret: str, callback_url: str, now: float | None = None, nonce: str | None = None
) -> dict[str, str]:
    """The headers of a signed POST callback to `callback_url`, as Vidu sends them."""
    date = formatdate(time.time() if now is None else now, usegmt=True)
    nonce = nonce or str(uuid.uuid4())
    headers = {"Date": date, "x-request-nonce": nonce}
    text = signing_string(
        method="POST",
        callback_url=callback_url,
        date=date,
        signed_headers=[(name, headers[name]) for name in SIGNED_HEADERS],
    )
    return {
        **headers,
        "X-HMAC-SIGNED-HEADERS": ";".join(SIGNED_HEADERS),
        "X-HMAC-SIGNATURE": sign(secret, text),
        "X-HMAC-ALGORITHM": ALGORITHM,
        "X-HMAC-ACCESS-KEY": ACCESS_KEY,
    }


def verify_callback(
    headers: Mapping[str, str],
    *,
    method: str,
    callback_url: str,
    secret: str,
    now: float,
    max_skew: float = 300,
    seen_nonce: Callable[[str], bool],
) -> None:
    """Raise `SignatureError` unless the callback is signed by `secret`, fresh and new.

    `callback_url` is the URL we registered, not the path the request arrived on
    (proxies may rewrite it). `seen_nonce(nonce)` answers True for a nonce already
    seen and records it otherwise; it is only asked once the signature is good, so
    forged requests cannot fill the nonce store.
    """
    lower = {key.lower(): value for key, value in headers.items()}
    missing = [name for name in REQUIRED_HEADERS if name.lower() not in lower]
    if missing:
        raise SignatureError("missing_header", f"missing header(s): {', '.join(missing)}")
    if lower["x-hmac-algorithm"].strip().lower() != ALGORITHM:
        raise SignatureError("bad_algorithm", f"algorithm {lower['x-hmac-algorithm']!r}")
    if lower["x-hmac-access-key"].strip() != ACCESS_KEY:
        raise SignatureError("bad_access_key", f"access key {lower['x-hmac-access-key']!r}")

    names = [name.strip() for name in lower["x-hmac-signed-headers"].split(";") if name.strip()]
    # Without these two signed, an old signature could be replayed with a new date or nonce.
    if not {"date", "x-request-nonce"} <= {name.lower() for name in names}:
        raise SignatureError("unsigned_required_header", "Date and x-request-nonce must be signed")
    unsent = [name for name in names if name.lower() not in lower]
    if unsent:
        raise SignatureError("missing_header", f"signed but not sent: {', '.join(unsent)}")

    date = lower["date"]
    try:
        sent_at = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise SignatureError("bad_date", f"unreadable Date {date!r}") from None
    if sent_at.tzinfo is None:  # "-0000" parses as naive; the header is GMT by definition
        sent_at = sent_at.replace(tzinfo=UTC)
    skew = sent_at.timestamp() - now
    if abs(skew) > max_skew:
        raise SignatureError("stale_date", f"Date is {skew:+.0f} s from now")

    # Names keep the sender's spelling and order: both are part of what was signed.
    text = signing_string(
        method=method,
        callback_url=callback_url,
        date=date,
        signed_headers=[(name, lower[name.lower()]) for name in names],
        access_key=lower["x-hmac-access-key"].strip(),
    )
    expected = sign(secret, text).encode()
    if not hmac.compare_digest(expected, lower["x-hmac-signature"].strip().encode()):
        raise SignatureError("bad_signature", "the signature does not match")

    if seen_nonce(lower["x-request-nonce"]):
        raise SignatureError("replayed_nonce", "this nonce was already used")
