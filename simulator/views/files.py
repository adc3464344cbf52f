"""Serving the simulator's output files by their unguessable URL."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from simulator import files, services


@login_not_required
@require_GET
def serve(request: HttpRequest, token: str, name: str) -> HttpResponse:
    """A result file: 404 for an unknown token or name, 403 once its URL has expired.

    Like a signed object-store URL, the URL alone grants access: no login, no key.
    """
    status, task, real_name = services.open_output(token, name)
    if status == 403:
        return HttpResponse("Request has expired", status=403, content_type="text/plain")
    path = files.file_path(task.task_id, real_name) if task else None
    if path is None or not path.is_file():
        raise Http404("no such file")
    # Read whole: outputs are a few MB at most, and a file iterator would be consumed
    # synchronously under ASGI anyway.
    response = HttpResponse(path.read_bytes(), content_type=files.content_type(real_name))
    response["Cache-Control"] = "private, max-age=3600"
    return response
