from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import NewPersonForm
from accounts.services import OwnerAlreadyExists, create_owner, studio_has_users


@login_not_required
def login_view(request: HttpRequest) -> HttpResponse:
    if not studio_has_users():
        return redirect("accounts:setup")
    return auth_views.LoginView.as_view(
        template_name="accounts/login.html", redirect_authenticated_user=True
    )(request)


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a login it refused: the login form again, saying why (429)."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", ""),
        "locked_out": f"Too many failed attempts; try again in {minutes} minutes.",
    }
    return render(request, "accounts/login.html", context, status=429)


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
def setup(request: HttpRequest) -> HttpResponse:
    """First run: offer to create the owner account, and only while nobody exists."""
    if studio_has_users():
        raise Http404("The studio already has an owner.")
    form = NewPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            owner = create_owner(**form.cleaned_data)
        except OwnerAlreadyExists:
            raise Http404("The studio already has an owner.") from None
        login(request, owner, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {owner.username}. Your studio is ready.")
        return redirect("projects:home")
    return render(request, "accounts/setup.html", {"form": form})


password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)


def password_change_done(request: HttpRequest) -> HttpResponse:
    messages.success(request, "Your password has been changed.")
    return redirect("projects:home")
