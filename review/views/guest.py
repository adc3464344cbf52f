"""The guest's pages under /review/<token>/: no account, only what the link shares.

Every view goes through `guest_view`: the token finds an open link or the same 404 for
unknown, expired and revoked; a link with a passphrase wants it once per session (kept
for that link only); responses are not indexed and send no Referer carrying the token.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from privatemedia.responses import serve_file, serve_zip
from review import comments, links, statuses
from review.forms import GuestCommentForm, GuestNameForm, GuestPassphraseForm
from review.models import ReviewLink
from storyboards.export import keeper_name
from storyboards.models import Shot

TEMPLATE = "review/guest.html"
SESSION_KEY = "review_links"
VARIANTS = ("file", "thumbnail", "poster")  # not last_frame: a guest sees what is shown


def _state(request: HttpRequest, link: ReviewLink) -> dict:
    return request.session.get(SESSION_KEY, {}).get(str(link.pk), {})


def _remember(request: HttpRequest, link: ReviewLink, **values: object) -> None:
    remembered = request.session.get(SESSION_KEY, {})
    remembered[str(link.pk)] = {**remembered.get(str(link.pk), {}), **values}
    request.session[SESSION_KEY] = remembered


def guest_name(request: HttpRequest, link: ReviewLink) -> str:
    return _state(request, link).get("name", "")


def guest_view(view: Callable) -> Callable:
    """Public, by token; past the passphrase (a page asks for it, anything else is 404)."""

    @login_not_required
    @wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs: object) -> HttpResponse:
        link = links.open_link(token)
        if link.has_passphrase and not _state(request, link).get("unlocked"):
            if view.__name__ != "page":
                raise Http404("No such review link.")
            response = redirect("review:guest_unlock", token=link.token)
        else:
            response = view(request, link, **kwargs)
        return private(response)

    return wrapped


def private(response: HttpResponse) -> HttpResponse:
    # Nothing to other sites; "no-referrer" would also make browsers send `Origin: null`
    # with the guest's own forms, which CSRF rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest, token: str) -> HttpResponse:
    link = links.open_link(token)
    if not link.has_passphrase or _state(request, link).get("unlocked"):
        return private(redirect("review:guest", token=link.token))
    form = GuestPassphraseForm(request.POST or None)
    locked = links.passphrase_locked(link)
    if request.method == "POST" and not locked and form.is_valid():
        if links.check_passphrase(link, form.cleaned_data["passphrase"]):
            request.session.cycle_key()  # a new session id once it opens something
            _remember(request, link, unlocked=True)
            return private(redirect("review:guest", token=link.token))
        locked = links.passphrase_locked(link)
        form.add_error("passphrase", "That passphrase is not the one you were given.")
    context = {"link": link, "storyboard": link.storyboard, "form": form, "locked": locked}
    response = render(request, "review/guest_unlock.html", context, status=429 if locked else 200)
    return private(response)


@require_GET
@guest_view
def page(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    if not _state(request, link).get("seen"):
        links.visited(link=link, guest_name=guest_name(request, link))
        _remember(request, link, seen=True)
    return render(request, TEMPLATE, _page_context(request, link))


def _page_context(
    request: HttpRequest, link: ReviewLink, *, refused: GuestCommentForm | None = None
) -> dict:
    """The shared shots with their status and comments; `refused` is a comment form with
    errors to show again under its shot (a post without JavaScript)."""
    shots = links.shared_shots(link)
    states = statuses.statuses_by_shot(link.storyboard)
    for shot in shots:
        shot.storyboard = link.storyboard
        shot.state = states.get(shot.pk)
        shot.guest_comments = links.guest_comments(shot)
        shot.comment_form = comment_form(shot.pk)
        if refused is not None and refused.shot_id == shot.pk:
            shot.comment_form = refused
    return {
        **_context(request, link),
        "shots": shots,
        "total_duration": sum(shot.duration for shot in shots),
        "name_form": GuestNameForm(initial={"name": guest_name(request, link)}),
    }


def comment_form(shot_id: int, data: dict | None = None) -> GuestCommentForm:
    """Each shot's form has ids of its own: a page holds one per shot."""
    form = GuestCommentForm(data, auto_id=f"shot-{shot_id}-%s")
    form.shot_id = shot_id
    return form


def _context(request: HttpRequest, link: ReviewLink) -> dict:
    choices = statuses.statuses_for(link.storyboard.project)
    return {
        "link": link,
        "storyboard": link.storyboard,
        "name": guest_name(request, link),
        "approve": next((status for status in choices if status.is_approved), None),
        "changes": next((status for status in choices if status.requests_changes), None),
    }


@require_POST
@guest_view
def set_name(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    form = GuestNameForm(request.POST)
    if form.is_valid():
        _remember(request, link, name=form.cleaned_data["name"].strip())
    return redirect("review:guest", token=link.token)


@require_POST
@guest_view
def comment(request: HttpRequest, link: ReviewLink, shot_id: int) -> HttpResponse:
    shot = links.shared_shot(link, shot_id)
    form = comment_form(shot.pk, request.POST)
    name = guest_name(request, link)
    if not name:
        form.add_error(None, "Type your name at the top first, so the team knows who wrote.")
    elif form.is_valid() and not links.allow_post(link):
        form.add_error(None, "Many comments on this link just now: wait a few minutes.")
    elif form.is_valid():
        try:
            comments.post_comment(
                project=link.storyboard.project,
                body=form.cleaned_data["body"],
                guest_name=name,
                review_link=link,
                shot=shot,
            )
        except comments.CommentRejected as rejected:
            form.add_error("body", str(rejected))
        else:
            return _shot_reply(request, link, shot, comment_form(shot.pk))
    if request.htmx:
        return _shot_reply(request, link, shot, form)
    return render(request, TEMPLATE, _page_context(request, link, refused=form), status=400)


@require_POST
@guest_view
def decide(request: HttpRequest, link: ReviewLink, shot_id: int) -> HttpResponse:
    """Approve or Request changes: the project's status for either, by this guest."""
    shot = links.shared_shot(link, shot_id)
    context = _context(request, link)
    status = {"approve": context["approve"], "changes": context["changes"]}.get(
        request.POST.get("decision", "")
    )
    error = ""
    if status is None:
        error = "Choose Approve or Request changes."
    elif not context["name"]:
        error = "Type your name at the top first, so the team knows who decided."
    elif not links.allow_post(link):
        error = "Many changes on this link just now: wait a few minutes."
    else:
        statuses.set_status(shot=shot, status=status, guest_name=context["name"], review_link=link)
    if request.htmx:
        shot.state = statuses.status_of(shot)
        reply = {**context, "shot": shot, "decision_error": error}
        return render(request, f"{TEMPLATE}#decision", reply)
    return redirect(_shot_url(link, shot.pk))


def _shot_url(link: ReviewLink, shot_id: int) -> str:
    return reverse("review:guest", args=[link.token]) + f"#shot-{shot_id}"


def _shot_reply(
    request: HttpRequest, link: ReviewLink, shot: Shot, form: GuestCommentForm
) -> HttpResponse:
    """The shot's comment form (fresh, or with its errors) and its comments out of band."""
    if not request.htmx:
        return redirect(_shot_url(link, shot.pk))
    shot.guest_comments = links.guest_comments(shot)
    shot.comment_form = form
    context = {**_context(request, link), "shot": shot, "oob": True}
    return render(request, f"{TEMPLATE}#comment_reply", context)


@require_GET
@guest_view
def media(request: HttpRequest, link: ReviewLink, shot_id: int, variant: str) -> HttpResponse:
    """The keeper of a shared shot (its file, thumbnail or poster); nothing else."""
    output = links.keeper_output(links.shared_shot(link, shot_id))
    stored = getattr(output, variant) if output is not None and variant in VARIANTS else None
    if not stored:
        raise Http404("This shot has no such picture.")
    content_type = output.content_type
    if variant != "file":
        content_type = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    response = serve_file(
        request, stored.name, content_type=content_type, etag=f"{output.sha256}-{variant}"
    )
    # Asked again each time: a revoked link stops serving even what a browser has cached.
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@guest_view
def download(request: HttpRequest, link: ReviewLink, shot_id: int) -> HttpResponse:
    shot = links.shared_shot(link, shot_id)
    output = links.keeper_output(shot)
    if not link.allow_download or output is None:
        raise Http404("Downloads are not offered on this link.")
    name = keeper_name(shot, output)
    if request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):
        links.downloaded(link=link, guest_name=guest_name(request, link), what=name)
    response = serve_file(
        request,
        output.file.name,
        content_type=output.content_type,
        etag=output.sha256,
        download_as=name,
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@guest_view
def download_all(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    if not link.allow_download:
        raise Http404("Downloads are not offered on this link.")
    name = f"{slugify(link.storyboard.title) or 'storyboard'}-keepers.zip"
    links.downloaded(link=link, guest_name=guest_name(request, link), what=f"all keepers ({name})")
    return serve_zip(links.shared_zip(link), filename=name)
