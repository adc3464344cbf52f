"""Read-only admin pages for looking at simulator tasks and their callbacks."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from simulator.models import SimCallback, SimTask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SimCallbackInline(admin.TabularInline):
    model = SimCallback
    extra = 0
    can_delete = False
    fields = ("state", "status", "attempts", "due_at", "delivered_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SimTask)
class SimTaskAdmin(ReadOnlyAdmin):
    list_display = ("task_id", "endpoint", "model", "state", "err_code", "credits", "created_at")
    list_filter = ("state", "endpoint", "dialect")
    search_fields = ("task_id", "payload", "prompt")
    exclude = ("callback_secret",)  # the caller's API key: never shown
    inlines = [SimCallbackInline]


@admin.register(SimCallback)
class SimCallbackAdmin(ReadOnlyAdmin):
    list_display = ("task", "state", "status", "attempts", "due_at", "delivered_at")
    list_filter = ("status", "state")
