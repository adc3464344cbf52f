from __future__ import annotations

from django.contrib import admin

from generations.models import (
    Generation,
    GenerationInput,
    GenerationOutput,
    ProviderExchange,
    Review,
    StateChange,
)


class StateChangeInline(admin.TabularInline):
    model = StateChange
    extra = 0
    readonly_fields = ["state", "at", "detail"]


class InputInline(admin.TabularInline):
    model = GenerationInput
    extra = 0
    readonly_fields = ["role", "position", "subject_name", "file", "sha256", "width", "height"]


class OutputInline(admin.TabularInline):
    model = GenerationOutput
    extra = 0
    readonly_fields = ["index", "kind", "file", "size", "width", "height", "duration", "sha256"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "mode", "model", "state", "credits", "created_at"]
    list_filter = ["state", "mode", "model"]
    search_fields = ["prompt", "provider_task_id"]
    list_select_related = ["project"]
    readonly_fields = ["payload", "callback_token", "callback_url", "provider_task_id"]
    inlines = [InputInline, OutputInline, StateChangeInline]


@admin.register(ProviderExchange)
class ProviderExchangeAdmin(admin.ModelAdmin):
    """The provider log: what was sent about a generation and what came back."""

    list_display = ["generation", "at", "method", "url", "status", "duration_ms"]
    list_filter = ["method", "status"]
    search_fields = ["url", "generation__id"]
    readonly_fields = [f.name for f in ProviderExchange._meta.fields]


admin.site.register(StateChange)
admin.site.register(GenerationInput)
admin.site.register(GenerationOutput)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["generation", "starred", "rating", "tags_text"]
    list_filter = ["starred", "rating"]
