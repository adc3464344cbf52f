"""The simulator's routes, mounted at /simulator/ (see "The Vidu simulator" in README.md).

Each mount serves what its provider's documents show and no more (vidu-api.md §1, §10):

- official, `Token`: creates, query, cancel, task list and credits;
- PowerTokens, `Bearer`: creates and the query routes its pages give (powertokens.py);
- KKIAI, `Bearer`: creates and `tasks/<id>/creations`. KKIAI documents no query route;
  this is the inference of vidu-api.md §10.2 (the official path on its host);
- Vtrix, `Bearer`: create and task query [S003, VT-sdk].

Every route answers 404 while the simulator is off (`enabled_only`).
"""

from __future__ import annotations

from django.urls import include, path, re_path

from simulator.models import SimTask
from simulator.views import files, official, powertokens, vtrix
from simulator.views.common import enabled_only

app_name = "simulator"

_ENDPOINTS = r"(?P<endpoint>reference2image|reference2video|img2video|text2video|start-end2video)"
_create = re_path(rf"^ent/v2/{_ENDPOINTS}$", enabled_only(official.create), name="create")

official_patterns = [
    _create,
    path("ent/v2/tasks", enabled_only(official.tasks), name="tasks"),
    path(
        "ent/v2/tasks/<str:task_id>/creations",
        enabled_only(official.creations),
        name="creations",
    ),
    path("ent/v2/tasks/<str:task_id>/cancel", enabled_only(official.cancel), name="cancel"),
    path("ent/v2/credits", enabled_only(official.credits), name="credits"),
]
powertokens_patterns = [
    _create,
    path("ent/v2/tasks/<str:task_id>", enabled_only(powertokens.task), name="task"),
    path("v1/videos/<str:task_id>", enabled_only(powertokens.video), name="video"),
    path("v1/images/<str:task_id>", enabled_only(powertokens.image), name="image"),
]
kkiai_patterns = [
    _create,
    path(
        "ent/v2/tasks/<str:task_id>/creations",
        enabled_only(official.creations),
        name="creations",
    ),
]


def _mount(prefix: str, patterns: list, namespace: str, scheme: str, dialect: str):
    return path(prefix, include((patterns, namespace)), {"scheme": scheme, "dialect": dialect})


urlpatterns = [
    _mount("", official_patterns, "official", "Token", SimTask.Dialect.OFFICIAL),
    _mount("vidu/", powertokens_patterns, "powertokens", "Bearer", SimTask.Dialect.POWERTOKENS),
    _mount("kkiai/", kkiai_patterns, "kkiai", "Bearer", SimTask.Dialect.KKIAI),
    path("vtrix/model/v1/generation", enabled_only(vtrix.create), name="vtrix-create"),
    path(
        "vtrix/model/v1/generation/task/<str:task_id>",
        enabled_only(vtrix.task),
        name="vtrix-task",
    ),
    path("files/<str:token>/<str:name>", enabled_only(files.serve), name="file"),
]
