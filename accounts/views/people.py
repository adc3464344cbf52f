from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import NewPersonForm
from accounts.services import add_person


def _require_staff(request: HttpRequest) -> None:
    # A 404, not a 403: people who may not manage accounts need not know the page exists.
    if not request.user.is_staff:
        raise Http404


@login_required
@sensitive_post_parameters("password")
def people(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = NewPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = add_person(**form.cleaned_data)
        messages.success(
            request,
            f"{person.username} can now log in. Give them their password privately; "
            "they can change it from the account menu.",
        )
        return redirect("accounts:people")
    everyone = get_user_model().objects.order_by("username")
    return render(request, "accounts/people.html", {"form": form, "people": everyone})
