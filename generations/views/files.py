"""Generated files and input snapshots, served only to people who may see the project.

One view per kind of file, shared by every page that shows results (the composer's
cards, the history, the gallery, the lightbox): `output_file` with a variant for
<img>/<video>, `output_download` to save the original under a meaningful name.
"""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from generations.access import get_input_for_user, get_output_for_user
from generations.archive import download_name
from privatemedia.responses import serve_file

VARIANTS = ("file", "thumbnail", "poster")


@login_required
@require_GET
def output_file(
    request: HttpRequest, project_id: int, output_id: int, variant: str = "file"
) -> HttpResponse:
    """The result itself, its thumbnail (WebP) or a video's poster (its first frame)."""
    output = get_output_for_user(request, project_id, output_id)
    stored = getattr(output, variant) if variant in VARIANTS else None
    if not stored:
        raise Http404("This output has no such file.")
    if variant == "file":
        content_type = output.content_type
    else:
        content_type = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    return serve_file(
        request, stored.name, content_type=content_type, etag=f"{output.sha256}-{variant}"
    )


@login_required
@require_GET
def output_download(request: HttpRequest, project_id: int, output_id: int) -> HttpResponse:
    output = get_output_for_user(request, project_id, output_id)
    return serve_file(
        request,
        output.file.name,
        content_type=output.content_type,
        etag=output.sha256,
        download_as=download_name(output),
    )


@login_required
@require_GET
def input_file(request: HttpRequest, project_id: int, input_id: int) -> HttpResponse:
    """An input image exactly as it was sent (a content-hashed snapshot)."""
    snapshot = get_input_for_user(request, project_id, input_id)
    return serve_file(
        request, snapshot.file.name, content_type=snapshot.content_type, etag=snapshot.sha256
    )
