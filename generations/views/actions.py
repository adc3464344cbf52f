"""Buttons on a generation: cancel, retry, re-run, vary, delete. Editors only."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from generations.access import get_generation_for_user
from generations.actions import (
    ActionRefused,
    cancel_generation,
    check_again,
    delete_generation,
    mark_failed,
    rerun_generation,
    retry_generation,
    submit_again,
    vary_generation,
)
from generations.models import Generation


@login_required
@require_POST
def cancel(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    generation = get_generation_for_user(request, project_id, generation_id, edit=True)
    try:
        cancel_generation(generation=generation)
    except ActionRefused as refused:
        messages.error(request, f"Could not cancel: {refused.message}")
    else:
        messages.success(request, "Generation cancelled.")
    return redirect(generation)


@login_required
@require_POST
def check(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    """Check again: look the task up (or poll it) once more; nothing is charged."""
    done = "Checking with the provider again."
    return _act(request, project_id, generation_id, check_again, done)


@login_required
@require_POST
def resubmit(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    """Submit again, by an explicit click: the provider may charge twice."""
    done = "Submitted again. If the first one reached the provider, it may charge twice."
    return _act(request, project_id, generation_id, submit_again, done)


@login_required
@require_POST
def give_up(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    done = "Marked failed."
    return _act(request, project_id, generation_id, mark_failed, done)


def _act(
    request: HttpRequest, project_id: int, generation_id: int, act: Callable, done: str
) -> HttpResponse:
    """Run an action on the generation, then show the generation it leaves: a new one
    (retry, re-run, vary) or the same one (check again, submit again, mark failed)."""
    generation = get_generation_for_user(request, project_id, generation_id, edit=True)
    try:
        shown: Generation = act(generation=generation, user=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(generation)
    messages.success(request, done)
    return redirect(shown)


@login_required
@require_POST
def retry(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    return _act(request, project_id, generation_id, retry_generation, "Retry queued.")


@login_required
@require_POST
def rerun(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    done = "Re-run with the same seed queued."
    return _act(request, project_id, generation_id, rerun_generation, done)


@login_required
@require_POST
def vary(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    done = "Variation with a new seed queued."
    return _act(request, project_id, generation_id, vary_generation, done)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    generation = get_generation_for_user(request, project_id, generation_id, edit=True)
    if request.method == "POST":
        try:
            delete_generation(generation=generation)
        except ActionRefused as refused:
            messages.error(request, f"Could not delete: {refused.message}")
            return redirect(generation)
        messages.success(request, f"Generation #{generation_id} deleted.")
        return redirect(reverse("generations:history", args=[project_id]))
    context = {"generation": generation, "project": generation.project}
    return render(request, "generations/delete.html", context)
