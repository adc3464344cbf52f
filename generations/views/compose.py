"""The composer: on the project page, on its own page without JavaScript, and its
live fragments (the options for a mode and model; the reference budget and cost)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from generations.cards import for_cards
from generations.catalog import chosen_connection
from generations.composer import (
    LinkNote,
    initial_from,
    mention_suggestions,
    off_peak_hint,
    plain_link_prompt,
    prefill,
    recent_stills,
    refresh_options,
    subject_index,
    submit,
    summarize,
)
from generations.forms import ComposerForm
from generations.models import Generation, Mode
from library import mentions
from projects.access import get_project_for_user
from projects.models import Project
from providers.models import ProviderConnection

# The project page's results: a few screens of pictures; the gallery has them all.
RECENT_CARDS = 24


def active_connections() -> list[ProviderConnection]:
    return list(ProviderConnection.objects.active())


def composer_context(
    request: HttpRequest,
    project: Project,
    *,
    form: ComposerForm | None = None,
    data: QueryDict | None = None,
) -> dict:
    """What the composer renders from: a form (fresh from `data`, or one with errors),
    the subjects `@` can mention, the stills that can be picked, budget and cost."""
    connections = active_connections()
    note = None
    if data is None:
        data = prefill(project=project, data=request.GET)
        if not request.htmx and "refresh" not in request.GET:  # a link, not a redraw
            data, note = plain_link_prompt(data)
    connection = chosen_connection(connections, data.get("connection"))
    values = refresh_options(data, connection)
    if form is None:
        form = ComposerForm(initial=initial_from(values), connections=connections)
    index = subject_index(project)
    # Only the modes that take images offer stills to pick: spare the query for the rest.
    stills = []
    if form.shows["images"] or form.shows["start"]:
        picked = [*values.getlist("picked"), values.get("start_output"), values.get("end_output")]
        stills = recent_stills(project, include=[pk for pk in picked if pk])
    return {
        "project": project,
        "composer_form": form,
        "connections": connections,
        "summary": summarize(project=project, data=values, index=index, connection=connection),
        "mention_subjects": mention_suggestions(index),
        "stills": stills,
        "mention_rules": mentions.js_rules(),
        "off_peak_hint": off_peak_hint(form.spec, audio=bool(values.get("audio"))),
        "link_note": note,
        "keep_subjects_url": _with_subjects_url(project, note),
    }


def _with_subjects_url(project: Project, note: LinkNote | None) -> str:
    """The one click that keeps a link's mentions: Reference to video from the subjects."""
    if note is None:
        return ""
    query = urlencode({"mode": Mode.REFERENCE_TO_VIDEO.value, "prompt": note.original_prompt})
    return f"{project.get_absolute_url()}?{query}#composer"


def recent_context(project: Project) -> dict:
    return {
        "recent_generations": list(
            for_cards(Generation.objects.filter(project=project))[:RECENT_CARDS]
        ),
    }


def project_page_context(request: HttpRequest, project: Project) -> dict:
    """The project page's generation parts: the composer for editors, recent cards for all."""
    context = recent_context(project)
    if project.can_edit:
        context.update(composer_context(request, project))
    context.pop("project", None)  # the page has its own
    return context


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    if request.method == "GET":
        context = {**composer_context(request, project), **recent_context(project)}
        return render(request, "generations/compose.html", context)
    form = ComposerForm(request.POST, request.FILES, connections=active_connections())
    created = submit(form=form, project=project, user=request.user) if form.is_valid() else []
    if not created:
        context = composer_context(request, project, form=form, data=request.POST)
        if request.htmx:
            return render(request, "generations/compose.html#composer", context)
        return render(request, "generations/compose.html", {**context, **recent_context(project)})
    count = len(created)
    if not request.htmx:
        messages.success(request, f"{count} generation{'s' if count != 1 else ''} queued.")
        return redirect(f"{project.get_absolute_url()}#recent-generations")
    # The same values again (a designer iterates on a prompt); the new cards out of band,
    # at the top of the live list (the socket's push of the same card replaces, not adds).
    newest_first = created[::-1]
    context = {**composer_context(request, project, data=request.POST), "created": newest_first}
    response = render(request, "generations/compose.html#composer_created", context)
    response["HX-Trigger"] = json.dumps({"generations-created": [g.pk for g in created]})
    return response


@login_required
@require_GET
def options(request: HttpRequest, project_id: int) -> HttpResponse:
    """The options valid for the chosen mode and model (and the summary, out of band)."""
    project = get_project_for_user(request, project_id, edit=True)
    return render(
        request, "generations/compose.html#options_refresh", composer_context(request, project)
    )


@login_required
@require_GET
def summary(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id, edit=True)
    return render(request, "generations/compose.html#summary", composer_context(request, project))
