"""What the resellers that mirror Vidu's wire format share (PowerTokens, KKIAI).

They take Vidu's create bodies at `<base>/ent/v2/<op>` with `Bearer` auth, but their
query routes are documented inconsistently or not at all (vidu-api.md §10.1, §10.2),
they document no task list and no cancel, and their callbacks would be signed with
their own upstream Vidu key, not ours. So:

- a query tries the routes each reseller's sources give for that kind of task, in
  order, and remembers the first that answers, per base URL and kind of task; a route
  that answers 404 without a documented error, or 405, is "not this route", never
  "no such task": only Vidu's documented `TaskNotFound` body means that;
- a lost create cannot be looked up (`LookupUnsupported`): the designer decides;
- "Test connection" checks the address with a free call on a route that must exist,
  and says plainly that the key itself is only checked by the first generation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from providers import http
from providers.base import (
    CallbackRequest,
    Creation,
    Endpoint,
    ProviderError,
    TaskLookup,
    TaskState,
    TaskStatus,
)
from providers.dialects.common import ConnectionCheck, lenient_str, response_json
from providers.dialects.official import (
    NOT_FOUND_CODES,
    STATES,
    ViduDialect,
    answer_failure,
    network_failure,
)

# new-api's OpenAI-style task object uses these status words [newapi]; the gateways
# that run it (PowerTokens, vidu-api.md §10.1) answer with them on its routes.
GATEWAY_STATES = {
    "queued": TaskState.QUEUEING,
    "pending": TaskState.QUEUEING,
    "in_progress": TaskState.PROCESSING,
    "completed": TaskState.SUCCESS,
    "succeeded": TaskState.SUCCESS,
    "failure": TaskState.FAILED,
}

# Learned query routes: (base URL, endpoint) → route template.
_learned: dict[tuple[str, str], str] = {}


def refuse_callback(provider: str) -> ProviderError:
    """Resellers' callbacks would be signed with their upstream Vidu key, not ours."""
    return ProviderError(
        f"Callbacks from {provider} cannot be verified; its tasks are followed by polling",
        code="UnverifiableCallback",
        permanent=True,
    )


def result_url(data: dict[str, Any]) -> str:
    """A result URL where gateways of new-api's family put it when there are no
    `creations`: `video_url`/`url` at the top, `metadata.url`, or `output.*`."""
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    output = data.get("output") if isinstance(data.get("output"), dict) else {}
    for value in (
        data.get("video_url"),
        data.get("image_url"),
        data.get("url"),
        metadata.get("url"),
        output.get("video_url"),
        output.get("image_url"),
        output.get("url"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


class GatewayDialect(ViduDialect):
    """Vidu's wire format behind a reseller's gateway. Subclasses name their routes."""

    verifiable_callbacks = False
    auth_scheme = "Bearer"
    alternative_base_urls = ()
    states = {**STATES, **GATEWAY_STATES}
    # Query routes by endpoint (relative to the base URL, `{id}` for the task id), in the
    # order to try them, each from a source; `"*"` for every endpoint not listed.
    query_routes: ClassVar[dict[str, tuple[str, ...]]] = {}

    def _routes(self, endpoint: Endpoint | None) -> list[str]:
        key = str(endpoint) if endpoint else "*"
        routes = list(self.query_routes.get(key) or self.query_routes["*"])
        learned = _learned.get((self.base_url, key))
        if learned in routes:
            routes.remove(learned)
            routes.insert(0, learned)
        return routes

    @staticmethod
    def _no_such_route(response: httpx.Response) -> bool:
        """404 without a documented "no such task" body, or 405: not this route."""
        if response.status_code == 405:
            return True
        if response.status_code != 404:
            return False
        body = response_json(response)
        code = ""
        if isinstance(body, dict):
            code = lenient_str(body.get("reason") or body.get("err_code") or body.get("code"))
        return code not in NOT_FOUND_CODES

    async def fetch(self, task_id: str, *, endpoint: Endpoint | None = None) -> TaskStatus:
        routes = self._routes(endpoint)
        for template in routes:
            url = self._url(template.format(id=quote(task_id, safe="")))
            response = await http.send_read(self.client, "GET", url, headers=self._headers())
            if self._no_such_route(response):
                continue
            data = self._query_json(response)
            _learned[(self.base_url, str(endpoint) if endpoint else "*")] = template
            return self.parse_task(data, task_id=task_id)
        raise ProviderError(
            f"{self.label} answered 404 (no such route) on every query route its documents "
            f"give ({', '.join(route.format(id='…') for route in routes)}); still looking",
            code="NoQueryRoute",
            status=404,
        )

    def parse_task(self, data: dict[str, Any], *, task_id: str = "") -> TaskStatus:
        status = super().parse_task(data, task_id=task_id)
        url = result_url(data)
        if status.state is TaskState.SUCCESS and not status.creations and url:
            status = replace(status, creations=(Creation(url=url),))
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        if status.state is TaskState.FAILED and not status.err_code and error:
            code = lenient_str(error.get("code"))
            detail = lenient_str(error.get("message"))
            message = f"{self.label} reported that the task failed"
            status = replace(
                status,
                err_code=code,
                message=f"{message}: {detail}" if detail else message,
            )
        return status

    async def cancel(self, task_id: str) -> None:
        raise ProviderError(
            f"{self.label} documents no way to cancel a task; it runs to its end",
            code="CancelUnsupported",
            permanent=True,
        )

    async def find_task(self, lookup: TaskLookup) -> TaskStatus | None:
        raise ProviderError(
            f"{self.label} documents no task list, so a task whose create answer was lost "
            "cannot be looked up",
            code="LookupUnsupported",
            permanent=True,
        )

    def parse_callback(
        self, callback: CallbackRequest, *, callback_url: str, now: float, **_: object
    ) -> TaskStatus:
        raise refuse_callback(self.label)

    async def check(self) -> ConnectionCheck:
        return await probe_create_route(
            self.client,
            self._url(f"/ent/v2/{Endpoint.REFERENCE2IMAGE.value}"),
            headers=self._headers(),
            provider=self.label,
            usual_address=self.default_base_url,
        )


async def probe_create_route(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    provider: str,
    usual_address: str,
    forbidden_means: str = "",
) -> ConnectionCheck:
    """`GET` on a documented create route: free, and the route must exist.

    A 404 means a wrong address; 401 (or 403, unless it means something else here) a
    refused key; 405 or any other 4xx the right address, with the key not checked:
    the resellers document no call that checks a key without spending credits.
    """
    try:
        response = await http.send_read(client, "GET", url, headers=headers, attempts=1)
    except ProviderError as exc:
        return network_failure(exc)
    status = response.status_code
    if status == 403 and forbidden_means:
        return ConnectionCheck(False, f"Reachable, key accepted, but {forbidden_means}", "refused")
    if status in (401, 403, 404, 410) or 300 <= status < 400 or status >= 500:
        return answer_failure(provider, url, response, usual_address)
    return ConnectionCheck(
        True,
        f"Reachable at the right address. The key was not refused, but {provider} has no "
        "free call that checks it: the first generation will",
        "unchecked",
    )
