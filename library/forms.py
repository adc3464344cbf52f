from __future__ import annotations

from django import forms

from library.mentions import NAME_HELP, is_name
from library.models import Library, Subject
from library.services import subject_name_taken


class LibraryForm(forms.ModelForm):
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


class SubjectForm(forms.ModelForm):
    """Name, kind and description; images are uploaded separately, file by file."""

    class Meta:
        model = Subject
        fields = ["name", "kind", "description"]
        labels = {"name": "Name", "kind": "Kind", "description": "Description"}
        help_texts = {"name": "Mention it in prompts as @Name. " + NAME_HELP}
        widgets = {
            "name": forms.TextInput(
                attrs={"placeholder": "Mia", "autocomplete": "off", "autofocus": True}
            ),
            "description": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Red coat, short dark hair, freckles"}
            ),
        }

    def __init__(self, *args, library: Library, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.library = library
        self.fields["name"].max_length = None  # our own message covers the length

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().lstrip("@")
        if not is_name(name):
            raise forms.ValidationError(NAME_HELP)
        if subject_name_taken(library=self.library, name=name, exclude_pk=self.instance.pk):
            raise forms.ValidationError(
                f"“{name}” is already a subject in this library (names ignore case)."
            )
        return name

    def save(self, commit: bool = True) -> Subject:
        self.instance.library = self.library
        return super().save(commit=commit)
