"""What every simulator view shares: JSON answers and the two error envelopes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from simulator import services
from simulator.faults import parse_faults, timeout_seconds
from simulator.models import SimTask
from simulator.wire import (
    MAX_BODY_BYTES,
    VTRIX_CREATE_FAILED,
    VTRIX_IMAGE_COUNT,
    VTRIX_IMAGES_MISSING,
    VTRIX_PROMPT_MISSING,
    SimError,
    WireRequest,
    body_too_large,
    load_json,
)


def json_answer(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def base_url(request: HttpRequest) -> str:
    """The scheme and host the client reached us on, for the URLs we hand out."""
    return f"{request.scheme}://{request.get_host()}"


def official_error(error: SimError) -> JsonResponse:
    """`{"code": <http>, "reason": "<Code>", "message": ..., "metadata": {"trace_id"}}` (§7)."""
    body = {
        "code": error.status,
        "reason": error.reason,
        "message": error.message,
        "metadata": {"trace_id": uuid.uuid4().hex},
    }
    response = json_answer(body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def vtrix_error(error: SimError) -> JsonResponse:
    """Vtrix's errors: `{"error": {"code", "message"}, "status": "failed"}`.

    Seed 003 documents the codes but not the envelope; `error{code, message}` is the
    shape its task objects use for a failure, so a client reads both the same way.
    Request problems get the seed's 0080230xx codes; auth, rate and server errors get
    the HTTP status as their code (the docs list those only as plain HTTP statuses).
    """
    body = {
        "error": {"code": vtrix_code(error), "message": error.message},
        "status": "failed",
        "metadata": {"trace_id": uuid.uuid4().hex, "reason": error.reason},
    }
    response = json_answer(body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def vtrix_code(error: SimError) -> str:
    if not error.errors:
        return str(error.status) if error.status != 400 else VTRIX_CREATE_FAILED
    first = error.errors[0]
    field = first.field.split("[")[0].split(".")[0]
    if field in ("images", "subjects") and first.reason == "FieldItemCountOutOfRange":
        return VTRIX_IMAGE_COUNT if error.had_inputs else VTRIX_IMAGES_MISSING
    if field in ("images", "subjects") and first.reason == "FieldLacking":
        return VTRIX_IMAGES_MISSING
    if field == "prompt" and first.reason == "FieldLacking":
        return VTRIX_PROMPT_MISSING
    return VTRIX_CREATE_FAILED


async def run_create(
    request: HttpRequest, *, scheme: str, dialect: str, parse: Callable[[dict], WireRequest]
) -> SimTask:
    """The create steps both dialects share, with the create-time faults applied.

    `#sim:429` refuses before anything is stored. `#sim:500` and `#sim:timeout` store the
    task first, like a server that fails or stalls after committing: the client never
    learns the task id and has to reconcile through the task list by `payload`.
    """
    caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise body_too_large(int(declared))
    try:
        body = request.body
    except RequestDataTooBig:
        raise body_too_large(MAX_BODY_BYTES + 1) from None
    wire = parse(load_json(body))
    faults = parse_faults(wire.prompt)
    if faults.get("latency"):
        await asyncio.sleep(float(faults["latency"]) / 1000)
    if faults.get("429"):
        raise SimError(
            429, "TooManyRequests", "too many requests (simulated)", headers={"Retry-After": "1"}
        )
    try:
        task = await sync_to_async(services.create_task)(
            wire=wire, caller=caller, dialect=dialect, base_url=base_url(request)
        )
    except SimError as error:
        # Vtrix tells "no images or subjects at all" (008023001) from a wrong count.
        error.had_inputs = bool(wire.images or wire.subjects)
        raise
    if faults.get("500"):
        raise SimError(500, "InternalServiceFailure", "internal error (simulated); retry later")
    if "timeout" in faults:
        # Django cancels this view when the client hangs up, so the wait ends with it.
        await asyncio.sleep(timeout_seconds(faults))
    return task
