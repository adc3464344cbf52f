"""Posting comments and replies on a shot or a take, resolving and reopening threads.

Every member of a project may comment (viewers review too); resolving is for editors and
for whoever started the thread. With htmx the answers are the fresh composer and
out-of-band fragments (the same ones the push sends); without it, back to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from generations.access import get_generation_for_user
from generations.models import Generation
from projects.access import get_project_for_user, parse_id
from projects.models import Project
from review import comments
from review.forms import CommentForm
from review.models import Comment
from storyboards.access import get_shot_for_user
from storyboards.models import Shot


@login_required
@require_POST
def post_on_shot(request: HttpRequest, project_id: int, shot_id: int) -> HttpResponse:
    """A comment on the shot, or (with `take`) on one of its takes."""
    shot = get_shot_for_user(request, project_id, shot_id)
    project = shot.storyboard.project
    take_id = parse_id(request.POST.get("take"))
    take = shot.takes.select_related("generation").filter(pk=take_id).first() if take_id else None
    if take is not None:
        return _post(request, project, generation=take.generation, panel=shot)
    return _post(request, project, shot=shot, panel=shot)


@login_required
@require_POST
def post_on_generation(request: HttpRequest, project_id: int, generation_id: int) -> HttpResponse:
    generation = get_generation_for_user(request, project_id, generation_id)
    return _post(request, generation.project, generation=generation, panel=generation)


def _post(
    request: HttpRequest,
    project: Project,
    *,
    panel: Shot | Generation,
    shot: Shot | None = None,
    generation: Generation | None = None,
) -> HttpResponse:
    form = CommentForm(request.POST)
    parent_id = parse_id(request.POST.get("parent"))
    parent = Comment.objects.filter(project=project, pk=parent_id).first() if parent_id else None
    try:
        if parent_id and parent is None:
            raise comments.CommentRejected("That thread is no longer there.")
        if not form.is_valid():
            raise comments.CommentRejected(form.first_error())
        comment = comments.post_comment(
            project=project,
            body=form.cleaned_data["body"],
            user=request.user,
            shot=shot,
            generation=generation,
            parent=parent,
            **({} if parent else form.placement()),
        )
    except comments.CommentRejected as rejected:
        return _refused(request, project, panel, str(rejected), parent=parent)
    if not request.htmx:
        return redirect(comments.link_to(comment))
    pushed = comments.render_push(comment.pk, new=True)
    if parent is not None:  # the reply form asked for no swap: the thread comes out of band
        return HttpResponse(pushed)
    composer = comments.render_composer(request, project=project, subject=panel)
    return HttpResponse(composer + pushed)


def _refused(
    request: HttpRequest,
    project: Project,
    panel: Shot | Generation,
    error: str,
    *,
    parent: Comment | None,
) -> HttpResponse:
    if not request.htmx:
        messages.error(request, error)
        return redirect(panel.get_absolute_url())
    if parent is not None:
        html = comments.render_thread(
            request, thread=parent, reply_error=error, reply_body=request.POST.get("body", "")
        )
        return HttpResponse(html)
    html = comments.render_composer(
        request, project=project, subject=panel, error=error, data=request.POST
    )
    return HttpResponse(html)


@login_required
@require_POST
def resolve(request: HttpRequest, project_id: int, comment_id: int) -> HttpResponse:
    return _set_resolved(request, project_id, comment_id, resolved=True)


@login_required
@require_POST
def reopen(request: HttpRequest, project_id: int, comment_id: int) -> HttpResponse:
    return _set_resolved(request, project_id, comment_id, resolved=False)


def _set_resolved(
    request: HttpRequest, project_id: int, comment_id: int, *, resolved: bool
) -> HttpResponse:
    project = get_project_for_user(request, project_id)
    comment = get_object_or_404(Comment, project=project, pk=comment_id)
    if not comments.may_resolve(project, request.user, comment):
        raise PermissionDenied
    change = comments.resolve_comment if resolved else comments.reopen_comment
    thread = change(comment=comment, user=request.user)
    if not request.htmx:
        return redirect(comments.link_to(thread))
    return HttpResponse(comments.render_push(thread.pk))
