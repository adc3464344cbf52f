from __future__ import annotations

from django.urls import URLPattern, path

from generations.consumers import ProjectConsumer
from review.consumers import GuestConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/projects/<int:project_id>/", ProjectConsumer.as_asgi()),
    # A review link's guest page: public, the token (and the session's passphrase) is the key.
    path("ws/review/<str:token>/", GuestConsumer.as_asgi()),
]
