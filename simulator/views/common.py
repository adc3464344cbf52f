"""What every simulator view shares: the on/off switch, JSON answers, the error
envelopes and the create-time faults."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)

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


def enabled_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """404 for every simulator route while `SIMULATOR_ENABLED` is off (DESIGN §0: a
    development and demo provider, mounted only with DEBUG or STUDIO_SIMULATOR=on).

    Checked per request rather than when the URLs load, so `manage.py vidu_simulator`
    and tests can switch it after start-up.
    """

    def check() -> None:
        if not getattr(settings, "SIMULATOR_ENABLED", False):
            raise Http404("The Vidu simulator is off.")

    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def gated_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            check()
            return await view(request, *args, **kwargs)

        return gated_async

    @functools.wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        check()
        return view(request, *args, **kwargs)

    return gated


def json_answer(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def base_url(request: HttpRequest) -> str:
    """The scheme and host the client reached us on, for the URLs we hand out."""
    return f"{request.scheme}://{request.get_host()}"


def bare_answer(error: SimError) -> HttpResponse:
    """A status with an empty body, as a gateway that has no such route answers."""
    return HttpResponse(b"", status=error.status, content_type="text/plain")


def official_error(error: SimError) -> HttpResponse:
    """`{"code": <http>, "reason": "<Code>", "message": ..., "metadata": {"trace_id"}}` (§7)."""
    if error.bare:
        return bare_answer(error)
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


def vtrix_error(error: SimError) -> HttpResponse:
    """Vtrix's errors: `{"error": {"code", "message"}, "status": "failed"}`.

    Seed 003 documents the codes but not the envelope; `error{code, message}` is the
    shape its task objects use for a failure, so a client reads both the same way.
    Request problems get the seed's 0080230xx codes; auth, rate and server errors get
    the HTTP status as their code (the docs list those only as plain HTTP statuses).
    Codes are strings, leading zeros kept.
    """
    if error.bare:
        return bare_answer(error)
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


def newapi_error(error: SimError) -> HttpResponse:
    """new-api's error body on its `/v1/...` routes: `{"error": {message, type, code}}`
    (`types.OpenAIError`, e.g. code `task_not_found`) [newapi]."""
    if error.bare:
        return bare_answer(error)
    code = "task_not_found" if error.reason == "TaskNotFound" else error.reason
    body = {"error": {"message": error.message, "type": "invalid_request_error", "code": code}}
    return json_answer(body, status=error.status)


async def run_create(
    request: HttpRequest, *, scheme: str, dialect: str, parse: Callable[[dict], WireRequest]
) -> SimTask:
    """The create steps every mount shares, with the create-time faults applied.

    `#sim:429` refuses before anything is stored. `#sim:500` and `#sim:timeout` store the
    task first, like a server that fails or stalls after committing: the client never
    learns the task id. `create_answer` applies the faults that lose or spoil the answer.
    """
    caller = services.authenticate(request.headers.get("Authorization", ""), scheme=scheme)
    declared = request.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
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


class AnswerLost(Exception):
    """Raised by `#sim:lose-answer` after the response headers went out."""


async def _drop_connection() -> AsyncIterator[bytes]:
    raise AnswerLost("#sim:lose-answer: the task exists; its create answer is lost")
    yield b""  # pragma: no cover (makes this an async generator)


# `#sim:junk=<kind>`: a 2xx that is no task object.
_JUNK = {
    "empty": (b"", "application/json"),
    "html": (
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
        b"<body><h1>Checking your browser</h1></body></html>",
        "text/html; charset=utf-8",
    ),
    "list": (b"[]", "application/json"),
}


def create_answer(task: SimTask, body: dict[str, Any]) -> HttpResponseBase:
    """The create answer, or what the task's `lose-answer`/`junk` fault makes of it.

    `lose-answer` streams a response whose body fails once the headers are sent: the
    server then closes the connection without completing it (uvicorn does so for an
    application that raises mid-response), so the client gets a transport error and
    no usable answer, while the task exists and runs.
    """
    if task.fault("lose-answer"):
        return StreamingHttpResponse(_drop_connection(), content_type="application/json")
    junk = task.fault("junk")
    if junk:
        content, content_type = _JUNK.get(junk, _JUNK["empty"])
        return HttpResponse(content, status=200, content_type=content_type)
    return json_answer(body)
