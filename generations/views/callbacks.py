"""Provider callbacks: the only view without CSRF or a session (it has a signature)."""

from __future__ import annotations

import time

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import services


@csrf_exempt
@login_not_required
@require_POST
def provider_callback(request: HttpRequest, kind: str, token: str) -> JsonResponse:
    """A provider's callback through Django (tests, or a deployment that routes it here).

    The ASGI router sends /callbacks/ to `consumers.CallbackConsumer` first, which calls
    the same service without Django's middleware; see studio/asgi.py.
    """
    started = time.perf_counter()
    status, answer = services.receive_callback(
        kind=kind, token=token, method=request.method, headers=request.headers, body=request.body
    )
    response = JsonResponse(answer, status=status)
    # From the view's start to the poke's commit: what benchmarks/pipeline.py reports.
    response["Server-Timing"] = f"ingest;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response
