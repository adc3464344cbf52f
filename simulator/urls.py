"""The simulator's routes, mounted at /simulator/ (see README.md in this folder)."""

from __future__ import annotations

from django.urls import include, path, re_path

from simulator.models import SimTask
from simulator.views import files, official, vtrix

app_name = "simulator"

_ENDPOINTS = r"(?P<endpoint>reference2image|reference2video|img2video|text2video|start-end2video)"

official_patterns = [
    re_path(rf"^{_ENDPOINTS}$", official.create, name="create"),
    path("tasks", official.tasks, name="tasks"),
    path("tasks/<str:task_id>/creations", official.creations, name="creations"),
    path("tasks/<str:task_id>/cancel", official.cancel, name="cancel"),
    path("credits", official.credits, name="credits"),
]


def _mount(prefix: str, scheme: str, dialect: str):
    return path(prefix, include(official_patterns), {"scheme": scheme, "dialect": dialect})


urlpatterns = [
    _mount("ent/v2/", "Token", SimTask.Dialect.OFFICIAL),
    _mount("vidu/ent/v2/", "Bearer", SimTask.Dialect.BEARER),
    _mount("kkiai/ent/v2/", "Bearer", SimTask.Dialect.BEARER),
    path("vtrix/model/v1/generation", vtrix.create, name="vtrix-create"),
    path("vtrix/model/v1/generation/task/<str:task_id>", vtrix.task, name="vtrix-task"),
    path("files/<str:token>/<str:name>", files.serve, name="file"),
]
