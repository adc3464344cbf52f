from __future__ import annotations

from django.urls import path

from library.views import images, libraries, subjects

app_name = "library"
# base.html links to "library:list"; keep that name for the list of libraries.
urlpatterns = [
    path("", libraries.library_list, name="list"),
    path("new/", libraries.new_library, name="new"),
    path("<int:library_id>/", libraries.detail, name="detail"),
    path("<int:library_id>/rename/", libraries.rename, name="rename"),
    path("<int:library_id>/delete/", libraries.delete, name="delete"),
    path("<int:library_id>/shares/", libraries.share, name="share"),
    path("<int:library_id>/shares/<int:share_id>/remove/", libraries.unshare, name="unshare"),
    path("<int:library_id>/subjects/new/", subjects.new_subject, name="new_subject"),
    path("subjects/<int:subject_id>/", subjects.detail, name="subject"),
    path("subjects/<int:subject_id>/card/", subjects.card, name="subject_card"),
    path("subjects/<int:subject_id>/edit/", subjects.edit, name="subject_edit"),
    path("subjects/<int:subject_id>/delete/", subjects.delete, name="subject_delete"),
    path("subjects/<int:subject_id>/images/", images.upload, name="upload"),
    path("images/<int:image_id>/", images.image, name="image"),
    path("images/<int:image_id>/thumb/", images.thumbnail, name="image_thumb"),
    path("images/<int:image_id>/delete/", images.delete_image, name="image_delete"),
]
