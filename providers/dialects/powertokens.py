"""PowerTokens (seeds 000, 002, 004; vidu-api.md §10.1): Vidu's wire format behind a
new-api-style gateway. The base URL already ends in `/vidu`
(`https://api.powertokens.ai/vidu/ent/v2/...`), auth is `Bearer`, and `credits` may
arrive as a string ("15" in seed 002), which the shared parser reads leniently.

Its query route is documented inconsistently, so each kind of task tries its own
page's route first (vidu-api.md §10.1):
- reference2video: `GET /vidu/ent/v2/tasks/{id}` (the r2v page);
- text2video, img2video, start-end2video: `GET /vidu/v1/videos/{id}` (the q3-turbo
  t2v, q3-pro-fast i2v and start-end pages; new-api's OpenAI-style route);
- reference2image: `GET /vidu/v1/images/{id}` (inferred: the image status page gives
  the image routes under `/vidu/v1/images/`, §9.1);
then the others, and last the official mirror `/ent/v2/tasks/{id}/creations` ("may
also work", untested). Answers on the new-api routes use its status words and carry
the result as a URL (`video_url`, `metadata.url`), which the gateway parser reads.
"""

from __future__ import annotations

from providers.base import Endpoint
from providers.dialects.reseller import GatewayDialect

TASK = "/ent/v2/tasks/{id}"
VIDEOS = "/v1/videos/{id}"
IMAGES = "/v1/images/{id}"
OFFICIAL = "/ent/v2/tasks/{id}/creations"


class PowerTokensDialect(GatewayDialect):
    kind = "powertokens"
    label = "PowerTokens"
    default_base_url = "https://api.powertokens.ai/vidu"
    query_routes = {
        str(Endpoint.REFERENCE2VIDEO): (TASK, VIDEOS, OFFICIAL),
        str(Endpoint.REFERENCE2IMAGE): (IMAGES, TASK, OFFICIAL),
        "*": (VIDEOS, TASK, OFFICIAL),
    }
