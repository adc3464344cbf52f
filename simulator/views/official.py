"""The official dialect's routes, `/ent/v2/...`.

The official mount (`Token` auth, /simulator/ent/v2/) serves all of them. The reseller
mounts reuse `create` (`Bearer`; PowerTokens at /simulator/vidu/ent/v2/, KKIAI at
/simulator/kkiai/ent/v2/) and KKIAI `creations`; see simulator/urls.py. The `scheme`
and `dialect` come from the URL.
"""

from __future__ import annotations

from functools import partial

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from providers.base import Endpoint
from simulator import bodies, services
from simulator.views.common import base_url, create_answer, json_answer, official_error, run_create
from simulator.wire import SimError, parse_official


@csrf_exempt
@login_not_required
@require_POST
async def create(
    request: HttpRequest, endpoint: str, scheme: str, dialect: str
) -> HttpResponseBase:
    """`POST /ent/v2/<endpoint>`: validate, store, answer the task object (seeds)."""
    try:
        task = await run_create(
            request,
            scheme=scheme,
            dialect=dialect,
            parse=partial(parse_official, Endpoint(endpoint)),
        )
    except SimError as error:
        return official_error(error)
    return create_answer(task, bodies.create_body(task, base_url(request)))


@csrf_exempt
@login_not_required
@require_GET
async def creations(
    request: HttpRequest, task_id: str, scheme: str, dialect: str
) -> HttpResponseBase:
    """`GET /ent/v2/tasks/<id>/creations` (§4). Async: the most frequent call by far."""
    try:
        caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
        task = await sync_to_async(services.query_task)(
            caller=caller, task_id=task_id, dialect=dialect
        )
    except SimError as error:
        return official_error(error)
    return json_answer(bodies.official_query(task, base_url(request)))


@csrf_exempt
@login_not_required
@require_POST
def cancel(request: HttpRequest, task_id: str, scheme: str, dialect: str) -> HttpResponseBase:
    """`POST /ent/v2/tasks/<id>/cancel` (§5): `{}`, or 400 for a finished task."""
    try:
        caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
        services.cancel_task(caller=caller, task_id=task_id, dialect=dialect)
    except SimError as error:
        return official_error(error)
    return json_answer({})


@csrf_exempt
@login_not_required
@require_GET
def tasks(request: HttpRequest, scheme: str, dialect: str) -> HttpResponseBase:
    """`GET /ent/v2/tasks` (V-list); see services.list_tasks for the filters."""
    try:
        caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
        rows, next_token = services.list_tasks(caller=caller, query=request.GET, dialect=dialect)
    except SimError as error:
        return official_error(error)
    with_payload = services.list_payload_enabled()
    items = [bodies.list_item(task, base_url(request), with_payload=with_payload) for task in rows]
    return json_answer({"tasks": items, "next_page_token": next_token})


@csrf_exempt
@login_not_required
@require_GET
def credits(request: HttpRequest, scheme: str, dialect: str) -> HttpResponseBase:
    """`GET /ent/v2/credits` (V-credits): lets a client "test the connection"."""
    try:
        caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
    except SimError as error:
        return official_error(error)
    show_detail = request.GET.get("show_detail", "").lower() in ("1", "true")
    return json_answer(services.account_info(caller=caller, show_detail=show_detail))
