"""Download all: every result matching the gallery's filters (or the selected ones,
`?ids=`), as one streamed ZIP.

Single files are served by generations/views/files.py (the composer's output views).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from generations import archive
from generations.forms import GenerationFilterForm
from generations.gallery import MAX_BULK
from generations.models import Generation
from privatemedia.responses import serve_zip
from projects.access import get_project_for_user, parse_ids


@login_required
@require_GET
def download_all(request: HttpRequest, project_id: int) -> HttpResponse:
    """The ZIP, with a manifest.json, streamed while it is written. Its length is known
    in advance (nothing is compressed), so the browser's download bar shows progress."""
    project = get_project_for_user(request, project_id)
    form = GenerationFilterForm(request.GET, project=project)
    generations = (
        Generation.objects.filter(project=project)
        .matching(form.filters)
        .select_related("project", "review")
        .prefetch_related("outputs", "inputs")
    )
    # The gallery's selection; ids of other projects find nothing in this one.
    if ids := parse_ids(request.GET.getlist("ids"))[:MAX_BULK]:
        generations = generations.filter(pk__in=ids)
    entries, manifest = archive.collect(generations)
    return serve_zip(archive.build(entries, manifest), filename=archive.archive_name(project.name))
