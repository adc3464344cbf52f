from __future__ import annotations

from django.contrib import admin

from storyboards.models import AnimaticRender, Batch, Shot, Storyboard, Take


class ShotInline(admin.TabularInline):
    model = Shot
    extra = 0
    fields = ["position", "title", "prompt", "mode", "model", "duration", "notes", "keeper"]
    raw_id_fields = ["keeper"]


@admin.register(Storyboard)
class StoryboardAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "project", "updated_at"]
    search_fields = ["title", "notes"]
    inlines = [ShotInline]


@admin.register(Take)
class TakeAdmin(admin.ModelAdmin):
    list_display = ["id", "shot", "generation", "batch", "created_at"]
    raw_id_fields = ["shot", "generation", "batch"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["id", "storyboard", "created_at"]


@admin.register(Shot)
class ShotAdmin(admin.ModelAdmin):
    list_display = ["id", "storyboard", "position", "title", "mode", "model"]
    raw_id_fields = ["storyboard", "keeper"]


@admin.register(AnimaticRender)
class AnimaticRenderAdmin(admin.ModelAdmin):
    list_display = ["id", "storyboard", "state", "progress", "attempts", "created_at"]
    list_filter = ["state"]
    raw_id_fields = ["storyboard", "requested_by"]
