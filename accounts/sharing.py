"""Sharing: who may do what with a project or a library (its owner, editors, viewers).

Projects and libraries are shared alike: the owner may do everything (sharing,
archiving, deleting), an editor may change what is inside (generate, edit, attach), a
viewer may look and download.
"""

from __future__ import annotations

from django import forms
from django.db import models

OWNER = "owner"


class Role(models.TextChoices):
    """The roles a share gives (the owner's is not given: it is the owner's)."""

    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


def may_edit(role: str | None) -> bool:
    """Whether this role may change what is shared: the owner's and an editor's."""
    return role in (OWNER, Role.EDITOR)


class ShareForm(forms.Form):
    """Someone of this studio, by username, and what they may do."""

    username = forms.CharField(
        label="Username", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.VIEWER)
