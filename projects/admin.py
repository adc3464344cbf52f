from __future__ import annotations

from django.contrib import admin

from projects.models import Activity, Notification, Project, ProjectMembership


class MembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    inlines = [MembershipInline]


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role"]
    list_select_related = ["project", "user"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "verb", "actor", "guest_name", "summary"]
    list_filter = ["verb"]
    search_fields = ["summary", "guest_name", "project__name"]
    list_select_related = ["project", "actor"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "activity", "read_at"]
    list_select_related = ["recipient", "activity__actor"]
