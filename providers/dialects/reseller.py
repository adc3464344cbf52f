"""What resellers have in common: callbacks we cannot verify, and a keyed probe."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from providers import http
from providers.base import ProviderError
from providers.dialects.common import ConnectionCheck

# A task id no provider will know: querying it costs nothing and still checks the key.
PROBE_TASK_ID = "studio-connection-test"


def refuse_callback(provider: str) -> ProviderError:
    """Resellers' callbacks would be signed with their upstream Vidu key, not ours."""
    return ProviderError(
        f"Callbacks from {provider} cannot be verified; its tasks are followed by polling",
        code="UnverifiableCallback",
        permanent=True,
    )


async def probe_with_unknown_task(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    provider: str,
    forbidden_means: str = "",
) -> ConnectionCheck:
    """Query a task that does not exist and read the status: 401 means a bad key.

    Gateways check the key before looking the task up, so a 404 (or 400) for the
    unknown task means the key was accepted.
    """
    try:
        response = await http.send_read(client, "GET", url, headers=headers, attempts=1)
    except ProviderError as exc:
        return ConnectionCheck(False, exc.message)
    status = response.status_code
    if status == 401:
        return ConnectionCheck(False, f"Reachable, but the key was refused by {provider}")
    if status == 403:
        if forbidden_means:
            return ConnectionCheck(False, f"Reachable, key accepted, but {forbidden_means}")
        return ConnectionCheck(False, f"Reachable, but the key was refused by {provider}")
    if status == 429:
        return ConnectionCheck(True, f"Reachable, key accepted ({provider} is busy right now)")
    if status >= 500:
        return ConnectionCheck(
            False, f"Reachable, but {provider} answered a server error ({status})"
        )
    return ConnectionCheck(True, "Reachable, key accepted")
