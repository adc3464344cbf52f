"""Pieces the dialects share: lenient field readers, error wording, request bodies."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from providers import encoding
from providers.base import GenerationRequest, ProviderError
from providers.redaction import redact

logger = logging.getLogger("providers.dialects")

# Keys the request's structure sets; a same-named entry in `params` must not replace them.
STRUCTURAL_KEYS = frozenset({"model", "prompt", "images", "subjects", "payload", "callback_url"})
MAX_PROVIDER_MESSAGE = 300


@dataclass(frozen=True)
class ConnectionCheck:
    """The answer to "Test connection", in words for the person who pressed it.

    `verdict` names the case: "accepted" (the key was checked and works), "unchecked"
    (the right address, but the provider has no free call that checks a key),
    "refused" (the key), "wrong_address" (a route that must exist is not there),
    "network" (no answer: DNS, TLS, refused, timed out) or "error" (anything else).
    """

    ok: bool
    message: str
    verdict: str = ""


def lenient_int(value: Any) -> int | None:
    """An int from 15, "15", 15.0 or "15.0" (PowerTokens sent credits as "15" [S002]).

    None for anything else, infinity (`1e999` in JSON) and numbers past 64 bits
    included: the database could not store them, and the caller answered 500.
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = value if isinstance(value, int) else int(float(str(value).strip()))
    except (ValueError, OverflowError):
        return None
    return number if abs(number) < 2**63 else None


def lenient_str(value: Any) -> str:
    return "" if value is None else str(value)


def response_json(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON (an HTML error page, nothing)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def provider_text(text: Any) -> str:
    """A provider's own message, safe to show: keys redacted, length bounded."""
    clean = redact(lenient_str(text)).strip()
    if len(clean) > MAX_PROVIDER_MESSAGE:
        clean = clean[: MAX_PROVIDER_MESSAGE - 1] + "…"
    return clean


def vidu_body(request: GenerationRequest) -> dict[str, Any]:
    """The official create body: images as data URIs, fitted into the 20 MB budget.

    `params` go by their Vidu names; None values are left out so Vidu's defaults apply.
    `callback_url` only when given (no public address: we poll instead).
    """
    try:
        request = encoding.fit_body_budget(request)
    except encoding.BodyTooLarge as exc:
        raise ProviderError(str(exc), code="BodyTooLarge", permanent=True) from None
    body: dict[str, Any] = {"model": request.model, "prompt": request.prompt}
    if request.images:
        body["images"] = [encoding.to_data_uri(image) for image in request.images]
    if request.subjects:
        body["subjects"] = [
            {"name": subject.name, "images": [encoding.to_data_uri(i) for i in subject.images]}
            for subject in request.subjects
        ]
    for key, value in request.params.items():
        if value is not None and key not in STRUCTURAL_KEYS:
            body[key] = value
    if request.payload:
        body["payload"] = request.payload
    if request.callback_url:
        body["callback_url"] = request.callback_url
    return body


def unknown_state(provider: str, raw: str) -> None:
    """Log a state we have no mapping for (the caller keeps it as raw_state)."""
    logger.warning("%s reported an unknown task state %r; ignoring it", provider, raw)


def error_from_status(
    provider: str, response: httpx.Response, *, retry_after: float | None
) -> ProviderError:
    """Wording by HTTP status alone, for bodies that name no code we know."""
    status = response.status_code
    if status == 401:
        return ProviderError(
            f"The API key was refused by {provider}",
            status=status,
            permanent=True,
            code="Unauthorized",
        )
    if status == 403:
        return ProviderError(
            f"{provider} refused this request with this API key (forbidden)",
            status=status,
            permanent=True,
            code="Forbidden",
        )
    if status == 429:
        return ProviderError(
            f"{provider} is busy: too many tasks or requests at once",
            status=status,
            retry_after=retry_after,
            code="TooManyRequests",
        )
    if status >= 500:
        return ProviderError(
            f"{provider} had a server error ({status}); trying again later",
            status=status,
            retry_after=retry_after,
            code="ServerError",
        )
    return ProviderError(
        f"{provider} rejected the request ({status})",
        status=status,
        permanent=True,
        code=f"HTTP{status}",
    )
