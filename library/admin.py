from __future__ import annotations

from django.contrib import admin

from library.models import Library, LibraryShare, Subject, SubjectImage


class SubjectImageInline(admin.TabularInline):
    model = SubjectImage
    extra = 0
    readonly_fields = ["file", "thumbnail", "sha256", "width", "height"]


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ["name", "owner"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]


@admin.register(LibraryShare)
class LibraryShareAdmin(admin.ModelAdmin):
    list_display = ["library", "user", "role"]
    list_select_related = ["library", "user"]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "library"]
    list_filter = ["kind"]
    search_fields = ["name", "library__name"]
    list_select_related = ["library"]
    inlines = [SubjectImageInline]


@admin.register(SubjectImage)
class SubjectImageAdmin(admin.ModelAdmin):
    list_display = ["subject", "width", "height", "sha256"]
    list_select_related = ["subject"]
