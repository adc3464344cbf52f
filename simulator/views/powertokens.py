"""PowerTokens' query routes, under /simulator/vidu/ (its creates are official.create).

Its pages give the query path two ways (vidu-api.md §10.1): `GET /vidu/ent/v2/tasks/{id}`
(the r2v page), answered with the Vidu task object, and `GET /vidu/v1/videos/{id}`
(t2v, i2v and start-end pages), new-api's OpenAI-style route, answered with new-api's
object. `GET /vidu/v1/images/{id}` is inferred: the image status page names the
`/vidu/v1/images/` prefix (§9.1). Each serves tasks of its own kind only.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from simulator import bodies, services
from simulator.models import SimTask
from simulator.views.common import base_url, json_answer, newapi_error, official_error
from simulator.wire import SimError


@login_not_required
@require_GET
async def task(request: HttpRequest, task_id: str, scheme: str, dialect: str) -> HttpResponseBase:
    """`GET /vidu/ent/v2/tasks/<id>`: the Vidu task object, `credits` as a string."""
    try:
        found = await _query(request, task_id, scheme=scheme, dialect=dialect)
    except SimError as error:
        return official_error(error)
    return json_answer(bodies.powertokens_query(found, base_url(request)))


@login_not_required
@require_GET
async def video(request: HttpRequest, task_id: str, scheme: str, dialect: str) -> HttpResponseBase:
    """`GET /vidu/v1/videos/<id>`: new-api's video object, for video tasks."""
    return await _newapi(request, task_id, scheme=scheme, dialect=dialect, kind="video")


@login_not_required
@require_GET
async def image(request: HttpRequest, task_id: str, scheme: str, dialect: str) -> HttpResponseBase:
    """`GET /vidu/v1/images/<id>` (inferred, §9.1): the same object, for image tasks."""
    return await _newapi(request, task_id, scheme=scheme, dialect=dialect, kind="image")


async def _newapi(
    request: HttpRequest, task_id: str, *, scheme: str, dialect: str, kind: str
) -> HttpResponseBase:
    try:
        found = await _query(request, task_id, scheme=scheme, dialect=dialect)
        is_image = found.endpoint == "reference2image"
        if is_image != (kind == "image"):
            raise SimError(404, "TaskNotFound", f"{kind} task {task_id} not found")
    except SimError as error:
        return newapi_error(error)
    return json_answer(bodies.newapi_task(found, base_url(request), kind=kind))


async def _query(request: HttpRequest, task_id: str, *, scheme: str, dialect: str) -> SimTask:
    caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
    return await sync_to_async(services.query_task)(caller=caller, task_id=task_id, dialect=dialect)
