from __future__ import annotations

from django import forms

from library.models import Library
from projects.models import Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name"]
        labels = {"name": "Name"}
        widgets = {
            "name": forms.TextInput(attrs={"autofocus": True, "placeholder": "Spring campaign"})
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name


class NewLibraryForm(forms.ModelForm):
    """A library made from a project's page (the library's own form belongs to its app)."""

    class Meta:
        model = Library
        fields = ["name"]
        labels = {"name": "Name"}
        widgets = {"name": forms.TextInput(attrs={"autofocus": True, "placeholder": "Main cast"})}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the library a name.")
        return name
