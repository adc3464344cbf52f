"""KKIAI (seed 001; vidu-api.md §10.2): Vidu's wire format at https://www.kkiai.com,
`Bearer` auth. Its answers pass Vidu's task object through with extra fields
(`cus_priority`, `watermark`), which we ignore.

KKIAI's stored docs give no query route for Vidu tasks. We try the official mirror
`/ent/v2/tasks/{id}/creations` first (the inference of §10.2), then the routes KKIAI's
other video families use (`/v1/videos/{id}`, `/v1/video/query?id=`). None of them is
documented, so a 404 from any of them never fails a task: it keeps being looked for.
"""

from __future__ import annotations

from providers.dialects.reseller import GatewayDialect


class KKIAIDialect(GatewayDialect):
    kind = "kkiai"
    label = "KKIAI"
    default_base_url = "https://www.kkiai.com"
    query_routes = {
        "*": ("/ent/v2/tasks/{id}/creations", "/v1/videos/{id}", "/v1/video/query?id={id}"),
    }
