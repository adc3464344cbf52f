"""The list of libraries and a library's page: its subject grid, search and sharing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.sharing import OWNER, ShareForm, may_edit
from library.access import get_library_for_user, require_library_owner
from library.forms import LibraryForm
from library.models import Library
from library.services import (
    ShareRefused,
    create_library,
    delete_library,
    revoke_share,
    share_library,
)


@login_required
def library_list(request: HttpRequest) -> HttpResponse:
    libraries = Library.objects.for_user(request.user).with_list_details()
    return render(request, "library/list.html", {"libraries": list(libraries)})


@login_required
@require_http_methods(["GET", "POST"])
def new_library(request: HttpRequest) -> HttpResponse:
    form = LibraryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        library = create_library(owner=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Library “{library.name}” created. Add its first subject.")
        if request.htmx:
            return HttpResponseClientRedirect(library.get_absolute_url())
        return redirect(library)
    template = "library/new.html#form" if request.htmx else "library/new.html"
    return render(request, template, {"form": form})


@login_required
def detail(request: HttpRequest, library_id: int) -> HttpResponse:
    library = get_library_for_user(request, library_id)
    context = _detail_context(request, library)
    if request.htmx and request.htmx.target == "subject-grid":
        return render(request, "library/detail.html#subject_grid", context)
    return render(request, "library/detail.html", context)


def _detail_context(request: HttpRequest, library: Library, **extra) -> dict:
    query = request.GET.get("q", "").strip().lstrip("@")[:64]
    subjects = library.subjects.prefetch_related("images")
    if query:
        subjects = subjects.filter(name__icontains=query)
    role = library.role_for(request.user)
    context = {
        "library": library,
        "subjects": list(subjects),
        "query": query,
        "role": role,
        "can_edit": may_edit(role),
        "share_form": ShareForm(),
        **extra,
    }
    if role == OWNER:
        context["shares"] = library.shares.select_related("user")
    return context


@login_required
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, library_id: int) -> HttpResponse:
    library = get_library_for_user(request, library_id, edit=True)
    form = LibraryForm(request.POST or None, instance=library)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Library renamed.")
        return redirect(library)
    return render(request, "library/rename.html", {"form": form, "library": library})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, library_id: int) -> HttpResponse:
    library = get_library_for_user(request, library_id, edit=True)
    require_library_owner(request, library)
    if request.method == "POST":
        delete_library(library=library)
        messages.success(request, f"Library “{library.name}” deleted.")
        return redirect("library:list")
    context = {
        "library": library,
        "subject_count": library.subjects.count(),
        "projects": library.projects.all(),
    }
    return render(request, "library/delete.html", context)


@login_required
@require_POST
def share(request: HttpRequest, library_id: int) -> HttpResponse:
    library = get_library_for_user(request, library_id, edit=True)
    require_library_owner(request, library)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            done = share_library(library=library, **form.cleaned_data)
        except ShareRefused as refused:
            form.add_error("username", refused.message)
        else:
            messages.success(request, f"Shared with {done.user.username} as {done.role}.")
            return redirect(library)
    return render(
        request, "library/detail.html", _detail_context(request, library, share_form=form)
    )


@login_required
@require_POST
def unshare(request: HttpRequest, library_id: int, share_id: int) -> HttpResponse:
    library = get_library_for_user(request, library_id, edit=True)
    require_library_owner(request, library)
    revoke_share(share=get_object_or_404(library.shares, pk=share_id))
    messages.success(request, "No longer shared.")
    return redirect(library)
