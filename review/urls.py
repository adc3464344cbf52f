from __future__ import annotations

from django.urls import path  # noqa: F401  (each screen group adds its routes below)

app_name = "review"
project = "projects/<int:project_id>/"
board = project + "storyboards/<int:storyboard_id>/"
shot = project + "shots/<int:shot_id>/"
urlpatterns: list = [
    # Review statuses and the activity feed
    # Comments
    # Review links (the guest's pages live under /review/<token>/)
    # Hand-off: timeline export and import, the shot list
]
