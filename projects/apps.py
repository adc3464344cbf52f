from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from projects.realtime import session_ended

        # A logout closes the sockets that session opened (projects/realtime.py).
        user_logged_out.connect(session_ended, dispatch_uid="projects.session_ended")
