"""Delivering the callbacks in the outbox, signed as Vidu signs them (vidu-api.md §6).

`success` and `failed` deliveries are retried three times with a short backoff; a
`processing` one is tried once (§6.1 promises retries only for the final states).
Deliveries run as their own asyncio tasks, so a slow receiver never holds the clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from providers.signing import callback_headers
from simulator.models import SimCallback, SimTask

logger = logging.getLogger(__name__)

RETRIES = 3
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Delivery:
    callback_id: int
    url: str
    secret: str
    body: dict[str, Any]
    final: bool
    attempts: int


def claim_due(*, limit: int = 50) -> list[Delivery]:
    """Take the due callbacks (leased, so a crash only delays them)."""
    now = timezone.now()
    rows = list(
        SimCallback.objects.filter(status=SimCallback.Status.PENDING, due_at__lte=now)
        .select_related("task")
        .order_by("due_at", "id")[:limit]
    )
    deliveries = []
    for row in rows:
        claimed = SimCallback.objects.filter(
            pk=row.pk, status=SimCallback.Status.PENDING, due_at=row.due_at
        ).update(due_at=now + _LEASE)
        if claimed:
            deliveries.append(
                Delivery(
                    callback_id=row.pk,
                    url=row.task.callback_url,
                    secret=row.task.callback_secret,
                    body=row.body,
                    final=row.state in SimTask.TERMINAL_STATES,
                    attempts=row.attempts,
                )
            )
    return deliveries


async def deliver(client: httpx.AsyncClient, delivery: Delivery) -> str:
    """POST one callback; return "" on a 2xx answer, else what went wrong."""
    headers = callback_headers(secret=delivery.secret, callback_url=delivery.url)
    try:
        response = await client.post(
            delivery.url, json=delivery.body, headers=headers, timeout=TIMEOUT
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if response.is_success:
        return ""
    return f"HTTP {response.status_code}"


def record_result(delivery: Delivery, error: str) -> None:
    """Mark a delivery done, or schedule its retry (0.5 s, 1 s, 2 s), or give up.

    The documents promise three retries but no interval; the first wait is
    `SIMULATOR_CALLBACK_BACKOFF_SECONDS` (0.5), doubling each time.
    """
    now = timezone.now()
    attempts = delivery.attempts + 1
    if not error:
        SimCallback.objects.filter(pk=delivery.callback_id).update(
            status=SimCallback.Status.DELIVERED, attempts=attempts, delivered_at=now, last_error=""
        )
        return
    if delivery.final and attempts <= RETRIES:
        first_wait = float(getattr(settings, "SIMULATOR_CALLBACK_BACKOFF_SECONDS", 0.5))
        retry_at = now + timedelta(seconds=first_wait * 2 ** (attempts - 1))
        status = SimCallback.Status.PENDING
    else:
        retry_at, status = None, SimCallback.Status.GAVE_UP
        logger.info("Simulator callback to %s gave up: %s", delivery.url, error)
    SimCallback.objects.filter(pk=delivery.callback_id).update(
        status=status, attempts=attempts, due_at=retry_at, last_error=error
    )
