"""The transport every dialect shares: timeouts, retries, downloads.

Three kinds of call, three rules:

- `send_read` (queries, cancels, account look-ups) is safe to repeat, so it is retried
  with full-jitter exponential backoff and honours `Retry-After`.
- `send_create` spends credits and Vidu has no idempotency key, so it is retried only
  when the connection never opened. Once a byte may have left, a timeout or a 5xx means
  "the task may exist": `ProviderError(submission_unknown=True)`, for the dispatcher
  to reconcile.
- `download` fetches a result file to disk: streamed, size-capped, type-checked,
  hashed, atomically renamed, and never from private addresses unless allowed.

Nothing here puts a header or a key into an exception or a log line; messages pass
through `redact` all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import hashlib
import ipaddress
import json as jsonlib
import logging
import os
import random
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from providers import media
from providers.base import ProviderError
from providers.redaction import redact

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
# Result files can be large videos: a slow read between chunks is still a dead peer.
DOWNLOAD_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=30.0, pool=5.0)
USER_AGENT = "Studio (self-hosted Vidu studio)"

READ_ATTEMPTS = 4
CREATE_ATTEMPTS = 3
BACKOFF_BASE = 0.5  # seconds
BACKOFF_CAP = 8.0
# A Retry-After longer than this is not waited for inside one call: the error carries
# it (`retry_after`) so the dispatcher can come back later instead.
MAX_RETRY_AFTER = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

MEDIA_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "video/mp4"})
MAX_REDIRECTS = 3

# Indirections so tests can replace waiting and randomness without patching asyncio.
_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
_random = random.Random()


# --- The provider log: every request and answer of one piece of work --------------------

# Bodies are kept only this long: enough to read an error or a task object, never a
# megabyte of base64.
JOURNAL_BODY_CHARS = 4000
DATA_URI_KEEP = 48


@dataclass
class Exchange:
    """One request to a provider and what came back (or why nothing did)."""

    at: float  # Unix time the request was sent
    method: str
    url: str
    status: int | None
    duration_ms: int
    request_body: str = ""
    response_body: str = ""
    error: str = ""


@dataclass
class Journal:
    entries: list[Exchange] = field(default_factory=list)


_journal: contextvars.ContextVar[Journal | None] = contextvars.ContextVar(
    "provider_journal", default=None
)


@contextlib.contextmanager
def journal() -> Iterator[Journal]:
    """Collect every exchange made in this context (an asyncio task and what it awaits).

    The dispatcher wraps each step in one, then stores the entries in the generation's
    provider log: what the provider said is then there for a designer to read.
    """
    current = Journal()
    token = _journal.set(current)
    try:
        yield current
    finally:
        _journal.reset(token)


def shorten_data_uris(value: Any) -> Any:
    """A JSON value with every `data:` URI cut to its head and its size."""
    if isinstance(value, str) and value.startswith("data:") and len(value) > DATA_URI_KEEP:
        return f"{value[:DATA_URI_KEEP]}… ({len(value) // 1024} KB)"
    if isinstance(value, dict):
        return {key: shorten_data_uris(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shorten_data_uris(item) for item in value]
    return value


def loggable_body(value: Any) -> str:
    """A body as kept in the provider log: data URIs shortened, keys redacted, cut."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            value = jsonlib.loads(value)
        except ValueError:
            text = value
        else:
            text = jsonlib.dumps(shorten_data_uris(value), ensure_ascii=False)
    else:
        text = jsonlib.dumps(shorten_data_uris(value), ensure_ascii=False, default=str)
    text = redact(text)
    if len(text) > JOURNAL_BODY_CHARS:
        text = text[:JOURNAL_BODY_CHARS] + f"… ({len(text) - JOURNAL_BODY_CHARS} more characters)"
    return text


def _loggable_url(url: str) -> str:
    parts = urlsplit(str(url))
    query = f"?{parts.query}" if parts.query else ""
    return redact(f"{origin(url)}{parts.path}{query}")


def _record(
    method: str,
    url: str,
    started: float,
    *,
    sent_at: float,
    response: httpx.Response | None = None,
    body: Any = None,
    error: str = "",
) -> None:
    current = _journal.get()
    if current is None:
        return
    answer = ""
    if response is not None:
        try:
            answer = loggable_body(response.content)
        except httpx.ResponseNotRead:
            answer = ""
    current.entries.append(
        Exchange(
            at=sent_at,
            method=method,
            url=_loggable_url(url),
            status=response.status_code if response is not None else None,
            duration_ms=round((time.monotonic() - started) * 1000),
            request_body=loggable_body(body),
            response_body=answer,
            error=redact(error),
        )
    )


def make_client(*, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An async client with explicit timeouts and no automatic redirects.

    Redirects are not followed because a redirect could lead a keyed request (or a
    download) somewhere it should not go; `download` follows them itself, re-checking
    every hop.
    """
    return httpx.AsyncClient(
        timeout=TIMEOUT,
        transport=transport,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        # A create sent on a pooled connection the server is closing at that moment is
        # lost, and cannot be told from a lost answer (the designer is asked). Servers
        # drop idle connections after a few seconds (uvicorn 5 s): ours lets go first.
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2),
    )


def origin(url: str) -> str:
    """scheme://host[:port] of a URL: enough to name a server, never a path or query."""
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def describe_transport_error(exc: httpx.TransportError, url: str) -> str:
    """A plain sentence for a failed connection: "Could not reach https://… (timed out)"."""
    text = str(exc).lower()
    if isinstance(exc, httpx.TimeoutException):
        reason = "timed out"
    elif "refused" in text:
        reason = "connection refused"
    elif any(
        hint in text
        for hint in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
            "name resolution",
            "temporary failure in name",
        )
    ):
        reason = "host not found"
    elif "certificate" in text or "ssl" in text or "tls" in text:
        reason = "TLS or certificate problem"
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        reason = "the connection was dropped"
    else:
        reason = "network error"
    return f"Could not reach {origin(url)} ({reason})"


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base·2^attempt)] (attempt counts from 0)."""
    return _random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


def _log_response(method: str, url: str, response: httpx.Response, started: float) -> None:
    logger.debug(
        "%s %s -> %s in %.0f ms",
        method,
        redact(urlsplit(url).path),
        response.status_code,
        (time.monotonic() - started) * 1000,
    )


async def send_read(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    attempts: int = READ_ATTEMPTS,
) -> httpx.Response:
    """Send a request that is safe to repeat; retry network failures, 429 and 5xx.

    Returns the last response whatever its status (the dialect reads error bodies).
    Raises a non-permanent ProviderError only when the server could not be reached
    at all, after the last attempt.
    """
    for attempt in range(attempts):
        last = attempt == attempts - 1
        started, sent_at = time.monotonic(), time.time()
        shown_url = str(httpx.URL(url, params=params)) if params else url
        try:
            response = await client.request(method, url, headers=headers, params=params, json=json)
        except httpx.TransportError as exc:
            message = describe_transport_error(exc, url)
            _record(method, shown_url, started, sent_at=sent_at, body=json, error=message)
            if last:
                raise ProviderError(message, code="Unreachable") from None
            delay = backoff_delay(attempt)
            logger.info("%s; retrying in %.1f s", message, delay)
            await _sleep(delay)
            continue
        _log_response(method, url, response, started)
        _record(method, shown_url, started, sent_at=sent_at, response=response, body=json)
        if response.status_code not in RETRY_STATUSES or last:
            return response
        wait = retry_after_seconds(response)
        if wait is not None and wait > MAX_RETRY_AFTER:
            return response  # too long to wait here; the caller reschedules
        delay = wait if wait is not None else backoff_delay(attempt)
        await response.aread()
        logger.info(
            "%s %s answered %s; retrying in %.1f s",
            method,
            origin(url),
            response.status_code,
            delay,
        )
        await _sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


async def send_create(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    attempts: int = CREATE_ATTEMPTS,
    provider: str = "the provider",
) -> httpx.Response:
    """POST a request that creates a paid task. Never blindly retried.

    Retried only when the connection never opened (connect error or timeout, or no
    connection free in the pool): then nothing reached the provider. Returns any
    response below 500 for the dialect to read (a 429 included: nothing was created).
    Raises ProviderError(submission_unknown=True) when the request may have reached
    the provider but we cannot tell what it did (timeouts after connecting, dropped
    connections, 5xx answers).
    """
    for attempt in range(attempts):
        started, sent_at = time.monotonic(), time.time()
        try:
            response = await client.post(url, headers=headers, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            message = describe_transport_error(exc, url)
            _record("POST", url, started, sent_at=sent_at, body=json, error=message)
            if attempt == attempts - 1:
                raise ProviderError(message, code="Unreachable") from None
            delay = backoff_delay(attempt)
            logger.info("%s; nothing was sent, retrying in %.1f s", message, delay)
            await _sleep(delay)
            continue
        except httpx.TransportError as exc:
            _record(
                "POST",
                url,
                started,
                sent_at=sent_at,
                body=json,
                error=describe_transport_error(exc, url),
            )
            raise ProviderError(
                f"{describe_transport_error(exc, url)} after sending the request; "
                f"the task may or may not have been created on {provider}",
                code="SubmissionUnknown",
                submission_unknown=True,
            ) from None
        _log_response("POST", url, response, started)
        _record("POST", url, started, sent_at=sent_at, response=response, body=json)
        if response.status_code >= 500:
            raise ProviderError(
                f"{provider} answered {response.status_code} while creating the task; "
                "it may or may not have been created",
                code="SubmissionUnknown",
                status=response.status_code,
                submission_unknown=True,
                retry_after=retry_after_seconds(response),
            )
        return response
    raise AssertionError("unreachable")  # pragma: no cover


# --- Downloads ------------------------------------------------------------------------


class DownloadError(ProviderError):
    """A result file could not be fetched or was not acceptable."""


@dataclass(frozen=True)
class Download:
    path: Path
    size: int
    sha256: str
    content_type: str


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _check_destination(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise DownloadError(
            f"Refused to download from {origin(url)}: only https URLs are fetched",
            code="DownloadRefused",
            permanent=True,
        )
    if not parts.hostname:
        raise DownloadError("Refused to download: the URL has no host", permanent=True)
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await _resolve(parts.hostname, port)
    except OSError:
        raise DownloadError(
            f"Could not reach {origin(url)} (host not found)", code="Unreachable"
        ) from None
    for address in addresses:
        if not _is_public(address):
            raise DownloadError(
                f"Refused to download from {origin(url)}: it resolves to a private address",
                code="DownloadRefused",
                permanent=True,
            )


def _check_peer(response: httpx.Response, url: str) -> None:
    """Check the address actually connected to (DNS may answer differently twice)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and not _is_public(str(peer[0])):
        raise DownloadError(
            f"Refused to download from {origin(url)}: it connected to a private address",
            code="DownloadRefused",
            permanent=True,
        )


def _declared_type(response: httpx.Response) -> str:
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


async def download(
    url: str,
    dest_path: str | os.PathLike[str],
    *,
    max_bytes: int,
    allowed_types: Collection[str] = MEDIA_TYPES,
    allow_private: bool = False,
    client: httpx.AsyncClient | None = None,
) -> Download:
    """Stream `url` into `dest_path`; return its size, sha256 and media type.

    The file appears at `dest_path` complete or not at all: bytes go to a temporary
    file in the same folder, which is renamed over `dest_path` only once the size,
    type and hash are known; any failure removes it. No key is ever sent: result URLs
    are presigned, and sending our key to whatever host a task names would leak it.
    """
    dest = Path(dest_path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    client = client or make_client()
    tmp_path: Path | None = None
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            await _check_destination(url, allow_private=allow_private)
            async with client.stream("GET", url, timeout=DOWNLOAD_TIMEOUT) as response:
                if not allow_private:
                    _check_peer(response, url)
                if response.is_redirect and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise DownloadError(
                        f"{origin(url)} answered {response.status_code} for a result file"
                        + (
                            " (the link may have expired)"
                            if response.status_code in (401, 403, 404, 410)
                            else ""
                        ),
                        code="DownloadFailed",
                        status=response.status_code,
                        permanent=400 <= response.status_code < 500 and response.status_code != 429,
                    )
                declared = _declared_type(response)
                # Tolerant: storage often says octet-stream or nothing; the file's own
                # first bytes decide. A specific wrong type (an HTML error page) fails.
                if (
                    declared
                    and declared not in allowed_types
                    and declared not in ("application/octet-stream", "binary/octet-stream")
                ):
                    raise DownloadError(
                        f"The result file from {origin(url)} is {declared}, not an accepted "
                        "image or video type",
                        code="DownloadWrongType",
                        permanent=True,
                    )
                length = response.headers.get("Content-Length", "")
                if length.isascii() and length.isdigit() and int(length) > max_bytes:
                    raise _too_large(url, max_bytes)
                fd, name = tempfile.mkstemp(dir=dest.parent, prefix=".download-", suffix=".part")
                tmp_path = Path(name)
                digest = hashlib.sha256()
                size = 0
                head = b""
                # Plain blocking writes of ≤64 KiB chunks: short enough not to stall
                # the event loop noticeably, and far simpler than a thread per chunk.
                with os.fdopen(fd, "wb") as out:
                    async for chunk in response.aiter_bytes(64 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            raise _too_large(url, max_bytes)
                        if len(head) < 16:
                            head = (head + chunk)[:16]
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                sniffed = media.sniff(head)
                if sniffed is None or sniffed not in allowed_types:
                    raise DownloadError(
                        f"The result file from {origin(url)} is not an accepted image or "
                        "video (its content does not match PNG, JPEG, WebP or MP4)",
                        code="DownloadWrongType",
                        permanent=True,
                    )
                os.replace(tmp_path, dest)
                tmp_path = None
                return Download(
                    path=dest, size=size, sha256=digest.hexdigest(), content_type=sniffed
                )
        raise DownloadError(
            f"Too many redirects downloading from {origin(url)}",
            code="DownloadFailed",
            permanent=True,
        )
    except httpx.TransportError as exc:
        raise DownloadError(describe_transport_error(exc, url), code="Unreachable") from None
    finally:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
        if own_client:
            await client.aclose()


def _too_large(url: str, max_bytes: int) -> DownloadError:
    return DownloadError(
        f"The result file from {origin(url)} is larger than {max_bytes // (1024 * 1024)} MB",
        code="DownloadTooLarge",
        permanent=True,
    )
