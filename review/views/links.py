"""The editor's side of review links: share a storyboard, see its links, revoke one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from projects.access import parse_id
from review import links
from review.forms import ReviewLinkForm
from review.models import ReviewLink
from storyboards.access import get_storyboard_for_user
from storyboards.models import Storyboard

TEMPLATE = "review/links.html"


@login_required
@require_http_methods(["GET", "POST"])
def share(request: HttpRequest, project_id: int, storyboard_id: int) -> HttpResponse:
    """The "Share for review" form and the storyboard's links; POST creates a link."""
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    form = ReviewLinkForm(request.POST or None, storyboard=storyboard)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        link = links.create_link(
            storyboard=storyboard,
            user=request.user,
            days=data["expires"],
            passphrase=data["passphrase"],
            allow_download=data["allow_download"],
            label=data["label"],
            shots=data["shots"],
        )
        if request.htmx:
            fresh = ReviewLinkForm(storyboard=storyboard)
            return _render(request, storyboard, fresh, created=link, partial="#share")
        return redirect(f"{_page(storyboard)}?created={link.pk}")
    created = _created(storyboard, parse_id(request.GET.get("created")))
    return _render(request, storyboard, form, created=created)


@login_required
@require_POST
def revoke(request: HttpRequest, project_id: int, storyboard_id: int, link_id: int) -> HttpResponse:
    storyboard = get_storyboard_for_user(request, project_id, storyboard_id, edit=True)
    link = get_object_or_404(ReviewLink, storyboard=storyboard, pk=link_id)
    link.storyboard = storyboard
    links.revoke_link(link=link, user=request.user)
    if request.htmx:
        return _render(request, storyboard, None, partial="#list")
    return redirect(_page(storyboard))


def _page(storyboard: Storyboard) -> str:
    return reverse("review:links", args=[storyboard.project_id, storyboard.pk])


def _created(storyboard: Storyboard, link_id: int | None) -> ReviewLink | None:
    return storyboard.review_links.filter(pk=link_id).first() if link_id else None


def _render(
    request: HttpRequest,
    storyboard: Storyboard,
    form: ReviewLinkForm | None,
    *,
    created: ReviewLink | None = None,
    partial: str = "",
) -> HttpResponse:
    context = {
        "storyboard": storyboard,
        "project": storyboard.project,
        "form": form,
        "created": created,
        "links": links.links_for(storyboard),
    }
    return render(request, TEMPLATE + partial, context)
