from __future__ import annotations

from django.urls import path  # noqa: F401  (each screen group adds its routes below)

from review.views import activity, comments, guest, handoff, links, statuses

app_name = "review"
project = "projects/<int:project_id>/"
board = project + "storyboards/<int:storyboard_id>/"
shot = project + "shots/<int:shot_id>/"
urlpatterns: list = [
    # Review statuses and the activity feed
    path(shot + "review-status/", statuses.set_shot_status, name="set_status"),
    path(project + "review-statuses/", statuses.edit_statuses, name="statuses"),
    path(project + "activity/", activity.feed, name="activity"),
    path("notifications/", activity.notifications, name="notifications"),
    path("notifications/read/", activity.mark_read, name="mark_read"),
    # Comments
    path(shot + "comments/", comments.post_on_shot, name="post_on_shot"),
    path(
        project + "generations/<int:generation_id>/comments/",
        comments.post_on_generation,
        name="post_on_generation",
    ),
    path(project + "comments/<int:comment_id>/resolve/", comments.resolve, name="resolve"),
    path(project + "comments/<int:comment_id>/reopen/", comments.reopen, name="reopen"),
    # Review links (the guest's pages live under /review/<token>/)
    path(board + "review-links/", links.share, name="links"),
    path(board + "review-links/<int:link_id>/revoke/", links.revoke, name="revoke_link"),
    path("review/<str:token>/", guest.page, name="guest"),
    path("review/<str:token>/passphrase/", guest.unlock, name="guest_unlock"),
    path("review/<str:token>/name/", guest.set_name, name="guest_name"),
    path("review/<str:token>/download/", guest.download_all, name="guest_download_all"),
    path("review/<str:token>/shots/<int:shot_id>/comment/", guest.comment, name="guest_comment"),
    path("review/<str:token>/shots/<int:shot_id>/decision/", guest.decide, name="guest_decide"),
    path(
        "review/<str:token>/shots/<int:shot_id>/download/",
        guest.download,
        name="guest_download",
    ),
    path(
        "review/<str:token>/shots/<int:shot_id>/<str:variant>/",
        guest.media,
        name="guest_media",
    ),
    # Hand-off: timeline export and import, the shot list
    path(board + "handoff/", handoff.page, name="handoff"),
    path(board + "timeline/<str:fmt>/", handoff.export_timeline, name="export_timeline"),
    path(board + "edited-timeline/", handoff.import_timeline, name="import_timeline"),
    path(board + "edited-timeline/apply/", handoff.apply_timeline, name="apply_timeline"),
    path(board + "shot-list.csv", handoff.export_shot_list, name="export_shot_list"),
    path(board + "shot-list/", handoff.import_shot_list, name="import_shot_list"),
    path(board + "shot-list/apply/", handoff.apply_shot_list, name="apply_shot_list"),
]
