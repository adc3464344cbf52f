"""Provider connections: staff-only screens to add, edit, test and remove them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from providers import http, registry
from providers.crypto import KeyDecryptionError
from providers.dialects.common import ConnectionCheck
from providers.forms import ProviderConnectionForm
from providers.models import ProviderConnection
from providers.redaction import redact


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, else the login page; staff, else 404 (the screens do not exist for them)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def get_connection_for_user(user, pk: int) -> ProviderConnection:
    if not user.is_staff:
        raise Http404
    return get_object_or_404(ProviderConnection, pk=pk)


def _form_context(form: ProviderConnectionForm) -> dict:
    choices = sorted({url for kind in registry.DIALECTS for url in registry.base_url_choices(kind)})
    return {"form": form, "base_url_choices": choices}


@staff_required
def connection_list(request: HttpRequest) -> HttpResponse:
    connections = ProviderConnection.objects.all()
    return render(request, "providers/connection_list.html", {"connections": connections})


@staff_required
@require_http_methods(["GET", "POST"])
def connection_create(request: HttpRequest) -> HttpResponse:
    form = ProviderConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connection = form.save()
        messages.success(request, f"Added “{connection.name}”.")
        return redirect("providers:list")
    context = {**_form_context(form), "connection": None}
    return render(request, "providers/connection_form.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_connection_for_user(request.user, pk)
    form = ProviderConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved “{connection.name}”.")
        return redirect("providers:list")
    context = {**_form_context(form), "connection": connection}
    return render(request, "providers/connection_form.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_connection_for_user(request.user, pk)
    if request.method == "POST":
        try:
            connection.delete()
        except ProtectedError:
            messages.error(
                request,
                f"“{connection.name}” is used by existing generations, so it cannot be "
                "deleted. Untick “Active” to stop using it.",
            )
            return redirect("providers:list")
        messages.success(request, f"Deleted “{connection.name}”.")
        return redirect("providers:list")
    return render(request, "providers/connection_delete.html", {"connection": connection})


@staff_required
@require_POST
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Call the provider once and say in words whether it works (htmx or plain POST)."""
    connection = get_connection_for_user(request.user, pk)
    check = async_to_sync(check_connection)(connection)
    if request.htmx:
        return render(
            request,
            "providers/connection_list.html#test-result",
            {"connection": connection, "check": check},
        )
    (messages.success if check.ok else messages.error)(
        request, f"{connection.name}: {check.message}"
    )
    return redirect("providers:list")


async def check_connection(connection: ProviderConnection) -> ConnectionCheck:
    """Ask the provider something cheap with this connection's key."""
    try:
        api_key = connection.api_key
    except KeyDecryptionError as exc:
        return ConnectionCheck(False, str(exc))
    if not api_key:
        return ConnectionCheck(
            False, f"No API key: enter one here or set {connection.env_var} in the environment"
        )
    async with http.make_client() as client:
        dialect = registry.dialect_for(
            connection.kind,
            base_url=connection.effective_base_url,
            api_key=api_key,
            client=client,
        )
        check = await dialect.check()
    return ConnectionCheck(check.ok, redact(check.message), check.verdict)
