"""The Vtrix dialect: `POST /model/v1/generation` and `GET /model/v1/generation/task/<id>`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from simulator import bodies, services
from simulator.models import SimTask
from simulator.views.common import base_url, create_answer, json_answer, run_create, vtrix_error
from simulator.wire import SimError, parse_vtrix


@csrf_exempt
@login_not_required
@require_POST
async def create(request: HttpRequest) -> HttpResponseBase:
    """Create a task from the flat body of seed 003; answer the Vtrix task."""
    try:
        task = await run_create(
            request, scheme="Bearer", dialect=SimTask.Dialect.VTRIX, parse=parse_vtrix
        )
    except SimError as error:
        return vtrix_error(error)
    return create_answer(task, bodies.create_body(task, base_url(request)))


@csrf_exempt
@login_not_required
@require_GET
def task(request: HttpRequest, task_id: str) -> HttpResponseBase:
    """`GET /model/v1/generation/task/<id>` [VT-sdk]."""
    try:
        caller = services.authenticate(request.headers.get("Authorization", ""), scheme="Bearer")
        found = services.query_task(caller=caller, task_id=task_id, dialect=SimTask.Dialect.VTRIX)
    except SimError as error:
        return vtrix_error(error)
    return json_answer(bodies.vtrix_task(found, base_url(request)))
