from __future__ import annotations

from django.urls import path

from generations.views import actions, callbacks, compose, files, history

app_name = "generations"
one = "projects/<int:project_id>/generations/<int:generation_id>/"
urlpatterns = [
    path("callbacks/<slug:kind>/<str:token>/", callbacks.provider_callback, name="callback"),
    path("projects/<int:project_id>/compose/", compose.compose, name="compose"),
    path("projects/<int:project_id>/compose/options/", compose.options, name="composer_options"),
    path("projects/<int:project_id>/compose/summary/", compose.summary, name="composer_summary"),
    path("projects/<int:project_id>/generations/", history.history, name="history"),
    path(one, history.detail, name="detail"),
    path(one + "card/", history.card, name="card"),
    path(one + "cancel/", actions.cancel, name="cancel"),
    path(one + "check/", actions.check, name="check"),
    path(one + "resubmit/", actions.resubmit, name="resubmit"),
    path(one + "mark-failed/", actions.give_up, name="mark_failed"),
    path(one + "retry/", actions.retry, name="retry"),
    path(one + "rerun/", actions.rerun, name="rerun"),
    path(one + "vary/", actions.vary, name="vary"),
    path(one + "delete/", actions.delete, name="delete"),
    # The gallery and the lightbox use these too: keep names and arguments stable.
    path(
        "projects/<int:project_id>/outputs/<int:output_id>/download/",
        files.output_download,
        name="output_download",
    ),
    path(
        "projects/<int:project_id>/outputs/<int:output_id>/<slug:variant>/",
        files.output_file,
        name="output_file",
    ),
    path("projects/<int:project_id>/inputs/<int:input_id>/", files.input_file, name="input_file"),
]

# --- Live gallery: grid, lightbox, review, compare, Download all (gallery engineer) --------
from generations.views import downloads, gallery  # noqa: E402

shown = "projects/<int:project_id>/gallery/"
urlpatterns += [
    path(shown, gallery.gallery_page, name="gallery"),
    path(shown + "compare/", gallery.compare, name="compare"),
    path(shown + "bulk/", gallery.bulk, name="bulk"),
    path(shown + "download/", downloads.download_all, name="download_all"),
    path(shown + "<int:generation_id>/", gallery.lightbox, name="lightbox"),
    path(shown + "<int:generation_id>/review/", gallery.review, name="review"),
]
