"""KKIAI (seed 001): the official wire format at https://www.kkiai.com, Bearer auth.

Its answers pass Vidu's task object through with extra fields (`cus_priority`,
`watermark`), which we ignore. The query and cancel paths are not in KKIAI's stored
docs: we use the official ones (`/ent/v2/tasks/{id}/creations`, `/cancel`), the
inference of vidu-api.md §10.2. Callbacks would be signed with KKIAI's upstream key,
not ours, so they cannot be verified: poll instead.
"""

from __future__ import annotations

from providers.base import CallbackRequest, TaskStatus
from providers.dialects.common import ConnectionCheck
from providers.dialects.official import ViduDialect
from providers.dialects.reseller import PROBE_TASK_ID, probe_with_unknown_task, refuse_callback


class KKIAIDialect(ViduDialect):
    kind = "kkiai"
    label = "KKIAI"
    default_base_url = "https://www.kkiai.com"
    alternative_base_urls = ()
    verifiable_callbacks = False
    auth_scheme = "Bearer"

    def parse_callback(
        self, callback: CallbackRequest, *, callback_url: str, now: float, **_: object
    ) -> TaskStatus:
        raise refuse_callback(self.label)

    async def check(self) -> ConnectionCheck:
        return await probe_with_unknown_task(
            self.client,
            self._url(f"{self._task_path(PROBE_TASK_ID)}/creations"),
            headers=self._headers(),
            provider=self.label,
        )
