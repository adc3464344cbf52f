from __future__ import annotations

from django.contrib import admin

from review.models import Comment, ReviewLink, ReviewStatus, ShotReview


@admin.register(ReviewStatus)
class ReviewStatusAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "position", "colour", "is_approved", "requests_changes"]
    list_select_related = ["project"]


@admin.register(ShotReview)
class ShotReviewAdmin(admin.ModelAdmin):
    list_display = ["shot", "status", "set_by", "guest_name", "set_at"]
    list_select_related = ["shot", "status", "set_by"]


@admin.register(ReviewLink)
class ReviewLinkAdmin(admin.ModelAdmin):
    # The token is the link's only key: it is not shown here either.
    list_display = ["__str__", "storyboard", "created_by", "expires_at", "revoked_at"]
    exclude = ["passphrase_hash"]
    list_select_related = ["storyboard", "created_by"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "shot", "generation", "created_at", "resolved_at"]
    search_fields = ["body", "guest_name"]
    list_select_related = ["project", "shot", "generation", "author"]
