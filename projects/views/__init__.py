from __future__ import annotations

from projects.access import get_project_for_user

__all__ = ["get_project_for_user"]
