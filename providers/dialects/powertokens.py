"""PowerTokens (seeds 000, 002, 004): the official wire format behind a gateway.

The base URL already ends in `/vidu` (`https://api.powertokens.ai/vidu/ent/v2/...`),
auth is `Bearer`, and `credits` may arrive as a string ("15" in seed 002), which the
shared parser reads leniently.

The query path is documented inconsistently (vidu-api.md §10.1): the r2v page says
`GET /vidu/ent/v2/tasks/{id}`, other pages `GET /vidu/v1/videos/{id}` (new-api's
route). We try the official mirror `/ent/v2/tasks/{id}/creations` first and fall back
in that order when a path answers "no such route" (404 with no Vidu error code, or
405), remembering the first path that works for this base URL. A 404 that names
`TaskNotFound` means the route exists, so no fallback then.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from providers import http
from providers.base import CallbackRequest, Creation, TaskState, TaskStatus
from providers.dialects.common import ConnectionCheck, lenient_str, response_json
from providers.dialects.official import STATES, ViduDialect
from providers.dialects.reseller import PROBE_TASK_ID, probe_with_unknown_task, refuse_callback

QUERY_PATHS = ("/ent/v2/tasks/{id}/creations", "/ent/v2/tasks/{id}", "/v1/videos/{id}")
# new-api's OpenAI-style video object uses these status words [newapi].
GATEWAY_STATES = {
    "queued": TaskState.QUEUEING,
    "pending": TaskState.QUEUEING,
    "in_progress": TaskState.PROCESSING,
    "completed": TaskState.SUCCESS,
    "succeeded": TaskState.SUCCESS,
    "failure": TaskState.FAILED,
}
_working_paths: dict[str, str] = {}


class PowerTokensDialect(ViduDialect):
    kind = "powertokens"
    label = "PowerTokens"
    default_base_url = "https://api.powertokens.ai/vidu"
    alternative_base_urls = ()
    verifiable_callbacks = False
    auth_scheme = "Bearer"
    states = {**STATES, **GATEWAY_STATES}

    def _query_paths(self) -> list[str]:
        known = _working_paths.get(self.base_url)
        return [known] if known else list(QUERY_PATHS)

    @staticmethod
    def _is_missing_route(response: Any) -> bool:
        if response.status_code == 405:
            return True
        if response.status_code != 404:
            return False
        body = response_json(response)
        code = ""
        if isinstance(body, dict):
            code = lenient_str(body.get("reason") or body.get("err_code") or body.get("code"))
        return not code.endswith("NotFound")

    async def fetch(self, task_id: str) -> TaskStatus:
        paths = self._query_paths()
        for index, template in enumerate(paths):
            url = self._url(template.format(id=quote(task_id, safe="")))
            response = await http.send_read(self.client, "GET", url, headers=self._headers())
            if self._is_missing_route(response) and index < len(paths) - 1:
                continue
            data = self._json_or_raise(response)
            _working_paths[self.base_url] = template
            return self.parse_task(data, task_id=task_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def parse_task(self, data: dict[str, Any], *, task_id: str = "") -> TaskStatus:
        status = super().parse_task(data, task_id=task_id)
        # new-api's video object carries the result as a single URL, not `creations`.
        url = data.get("video_url") or data.get("url")
        if status.state is TaskState.SUCCESS and not status.creations and url:
            status = replace(status, creations=(Creation(url=lenient_str(url)),))
        return status

    def parse_callback(
        self, callback: CallbackRequest, *, callback_url: str, now: float, **_: object
    ) -> TaskStatus:
        raise refuse_callback(self.label)

    async def check(self) -> ConnectionCheck:
        return await probe_with_unknown_task(
            self.client,
            self._url(QUERY_PATHS[0].format(id=PROBE_TASK_ID)),
            headers=self._headers(),
            provider=self.label,
        )
