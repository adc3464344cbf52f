from __future__ import annotations

from django.urls import path

from projects.views import projects, sharing

app_name = "projects"
urlpatterns = [
    path("", projects.home, name="home"),
    path("projects/new/", projects.new_project, name="new"),
    path("projects/<int:project_id>/", projects.detail, name="detail"),
    path("projects/<int:project_id>/rename/", projects.rename, name="rename"),
    path("projects/<int:project_id>/archive/", projects.archive, name="archive"),
    path("projects/<int:project_id>/unarchive/", projects.unarchive, name="unarchive"),
    path("projects/<int:project_id>/delete/", projects.delete, name="delete"),
    path("projects/<int:project_id>/members/", sharing.add_member_view, name="add_member"),
    path(
        "projects/<int:project_id>/members/<int:membership_id>/remove/",
        sharing.remove_member,
        name="remove_member",
    ),
    path("projects/<int:project_id>/libraries/", sharing.attach, name="attach"),
    path("projects/<int:project_id>/libraries/new/", sharing.new_library, name="new_library"),
    path(
        "projects/<int:project_id>/libraries/<int:library_id>/detach/",
        sharing.detach,
        name="detach",
    ),
]
