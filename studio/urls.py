from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("projects.urls")),
    path("", include("generations.urls")),
    path("", include("storyboards.urls")),
    path("", include("review.urls")),
    path("accounts/", include("accounts.urls")),
    path("libraries/", include("library.urls")),
    path("providers/", include("providers.urls")),
    path("simulator/", include("simulator.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "accounts.views.errors.page_not_found"
handler403 = "accounts.views.errors.permission_denied"
handler500 = "accounts.views.errors.server_error"
