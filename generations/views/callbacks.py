"""Provider callbacks: the only view without CSRF or a session (it has a signature)."""

from __future__ import annotations

import time

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import services
from studio.db import in_lasting_thread

# The signature check, nonce and poke: one short transaction, in a thread that keeps its
# database connection (studio/db.py says why).
receive_callback = in_lasting_thread(services.receive_callback)

MAX_BODY = 1024 * 1024  # a task's JSON is a few KB; anything near this is not one


@csrf_exempt
@login_not_required
@require_POST
async def provider_callback(request: HttpRequest, kind: str, token: str) -> JsonResponse:
    """A provider's callback: checked and answered at once; the task is re-read later.

    The studio's one async view: providers send callbacks in bursts, a hundred a second
    across a team's generations (README, Performance)."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return JsonResponse({"error": "Callback body too large."}, status=413)
    started = time.perf_counter()
    status, answer = await receive_callback(
        kind=kind, token=token, method=request.method, headers=request.headers, body=request.body
    )
    response = JsonResponse(answer, status=status)
    # From the view's start to the poke's commit: what benchmarks/pipeline.py reports.
    response["Server-Timing"] = f"ingest;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response
