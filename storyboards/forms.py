"""Storyboard and shot forms: the prompt's @mentions are checked as the composer does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from generations.catalog import spec_for, specs_for
from generations.composer import resolve_mentions, subject_index
from generations.models import Mode
from projects.models import Project
from providers.models import ProviderConnection
from storyboards.models import SHOT_MODES, Shot, Storyboard

MODE_CHOICES = [(mode.value, mode.label) for mode in SHOT_MODES]
ASPECT_RATIOS = ["", "16:9", "9:16", "1:1", "4:3", "3:4"]


def model_choices() -> list[tuple[str, str]]:
    # Shots are generated on the connection new work goes to: offer what it sells.
    connection = ProviderConnection.objects.for_new_work()
    models = dict.fromkeys(
        spec.model for mode in SHOT_MODES for spec in specs_for(mode, connection)
    )
    return [("", "Default for the mode"), *((name, name) for name in models)]


class ModeModelMixin:
    """Mode, model and aspect ratio: a model the mode does not offer is refused by name."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        mode = Mode(cleaned.get("mode") or Mode.TEXT_TO_IMAGE)
        model = cleaned.get("model")
        connection = ProviderConnection.objects.for_new_work()
        offered = [spec.model for spec in specs_for(mode, connection)]
        if model and model not in offered:
            choose = ", ".join(offered) or "another mode"
            self.add_error("model", f"{model} is not offered for {mode.label}; choose {choose}.")
        else:
            cleaned["model"] = spec_for(mode, model, connection).model
        return cleaned


class StoryboardForm(ModeModelMixin, forms.ModelForm):
    mode = forms.ChoiceField(label="Mode", choices=MODE_CHOICES)
    model = forms.ChoiceField(label="Model", choices=model_choices, required=False)
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio",
        choices=[(r, r or "Model default") for r in ASPECT_RATIOS],
        required=False,
    )

    class Meta:
        model = Storyboard
        fields = ["title", "notes", "mode", "model", "aspect_ratio"]
        labels = {"title": "Title", "notes": "Notes"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"mode": "New shots start from these."}


class ShotForm(ModeModelMixin, forms.ModelForm):
    field_order = ["title", "prompt", "mode", "model", "aspect_ratio", "duration", "notes"]
    mode = forms.ChoiceField(label="Mode", choices=MODE_CHOICES)
    model = forms.ChoiceField(label="Model", choices=model_choices, required=False)
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio",
        choices=[(r, r or "Model default") for r in ASPECT_RATIOS],
        required=False,
    )
    duration = forms.IntegerField(
        label="Duration (s)",
        min_value=1,
        max_value=60,
        initial=4,
        help_text="How long the shot holds in the animatic; video takes use it where allowed.",
    )

    class Meta:
        model = Shot
        fields = ["title", "prompt", "mode", "model", "duration", "notes"]
        labels = {"title": "Title", "prompt": "Prompt", "notes": "Notes"}
        widgets = {
            "prompt": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Describe the shot; mention subjects as @Mia"}
            ),
            "notes": forms.Textarea(
                attrs={"rows": 2, "placeholder": "Camera, sound, dialogue: for the contact sheet"}
            ),
        }

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        if self.instance.pk:
            self.initial.setdefault("aspect_ratio", self.instance.params.get("aspect_ratio", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        mode = Mode(cleaned.get("mode") or Mode.TEXT_TO_IMAGE)
        prompt = cleaned.get("prompt") or ""
        _found, errors = resolve_mentions(prompt, mode=mode, index=subject_index(self.project))
        for message in errors:
            self.add_error("prompt", message)
        spec = spec_for(mode, cleaned.get("model"))
        if len(prompt) > spec.prompt_max:
            self.add_error("prompt", f"{spec.model} takes at most {spec.prompt_max} characters.")
        return cleaned

    def shot_fields(self) -> dict[str, Any]:
        """What services.add_shot takes, from the cleaned values."""
        values = self.cleaned_data
        params = {"aspect_ratio": values["aspect_ratio"]} if values.get("aspect_ratio") else {}
        names = ("title", "prompt", "mode", "model", "duration", "notes")
        return {**{name: values[name] for name in names}, "params": params}


# The fields a designer edits in place on the board.
INLINE_FIELDS = ("prompt", "duration")


def inline_data(shot: Shot, field: str, posted: Mapping[str, Any]) -> dict[str, Any]:
    """The shot as its form would post it, with `field` as posted: one field edited in
    place is checked by the same rules as the whole form."""
    data = {
        "title": shot.title,
        "prompt": shot.prompt,
        "mode": shot.mode,
        "model": shot.model,
        "duration": shot.duration,
        "notes": shot.notes,
        "aspect_ratio": shot.params.get("aspect_ratio", ""),
    }
    data[field] = posted.get(field, "")
    return data


class GenerateForm(forms.Form):
    variations = forms.IntegerField(label="Variations", min_value=1, max_value=4, initial=1)
