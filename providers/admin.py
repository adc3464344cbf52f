from __future__ import annotations

from django.contrib import admin

from providers.forms import ProviderConnectionForm
from providers.models import CallbackNonce, ProviderConnection


@admin.register(ProviderConnection)
class ProviderConnectionAdmin(admin.ModelAdmin):
    """The same write-only key field as the studio's own screen; only the last 4 show."""

    form = ProviderConnectionForm
    list_display = [
        "name",
        "kind",
        "effective_base_url",
        "key_display",
        "concurrency_limit",
        "callbacks_enabled",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["key_display", "created", "updated"]

    def get_fields(self, request, obj=None):
        # The form itself decides what a connection of this kind shows (no "Callbacks"
        # where they cannot be verified, experiments only where there are any).
        fields = list(ProviderConnectionForm(instance=obj).fields)
        return [*fields, "key_display", "created", "updated"]

    @admin.display(description="API key")
    def key_display(self, obj: ProviderConnection) -> str:
        return obj.key_display

    @admin.display(description="Base URL")
    def effective_base_url(self, obj: ProviderConnection) -> str:
        return obj.effective_base_url


@admin.register(CallbackNonce)
class CallbackNonceAdmin(admin.ModelAdmin):
    list_display = ["nonce", "seen_at"]
    readonly_fields = ["nonce", "seen_at"]
