from __future__ import annotations

from django.urls import URLPattern, path

from generations.consumers import ProjectConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/projects/<int:project_id>/", ProjectConsumer.as_asgi()),
]
