"""The composer and the history filters.

The composer's selects offer only what the chosen model accepts, but they do not judge
what comes back: providers.validation does, with messages that name the limit, so a
stale page or a hand-made request is refused in the same words as everywhere else.
"""

from __future__ import annotations

from typing import Any

from django import forms

from generations.catalog import (
    as_mode,
    chosen_connection,
    is_experimental,
    modes_for,
    spec_for,
    specs_for,
)
from generations.models import Mode, State
from projects.access import parse_int
from providers import capabilities
from providers.capabilities import ModelSpec
from providers.models import ProviderConnection

__all__ = ["ComposerForm", "GenerationFilterForm", "as_mode", "spec_for", "specs_for"]

MAX_VARIATIONS = 4


class OptionField(forms.ChoiceField):
    """A select of the model's valid values; the capability tables judge the value sent."""

    def valid_value(self, value: Any) -> bool:
        return True


class OptionsField(forms.MultipleChoiceField):
    """Several ids whose meaning (and scope) the composer checks against the project."""

    def valid_value(self, value: Any) -> bool:
        return True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files; library.imaging checks each one."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


class ComposerForm(forms.Form):
    mode = forms.ChoiceField(label="Mode", choices=Mode.choices)
    model = OptionField(label="Model")
    connection = forms.ModelChoiceField(
        label="Provider",
        queryset=ProviderConnection.objects.none(),
        empty_label=None,
        required=False,
    )
    prompt = forms.CharField(
        label="Prompt",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "Describe the shot. Type @ to mention a subject, e.g. @Mia",
                "autocomplete": "off",
                "spellcheck": "true",
            }
        ),
    )
    aspect_ratio = OptionField(label="Aspect ratio", required=False)
    resolution = OptionField(label="Resolution", required=False)
    duration = OptionField(label="Duration", required=False)
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Blank or 0 for a random seed.",
        widget=forms.NumberInput(attrs={"placeholder": "Random"}),
    )
    audio = forms.BooleanField(label="Audio", required=False)
    audio_type = OptionField(label="Audio type", required=False)
    movement_amplitude = OptionField(label="Movement", required=False)
    off_peak = forms.BooleanField(label="Off-peak", required=False)
    variations = forms.IntegerField(
        label="Variations", min_value=1, max_value=MAX_VARIATIONS, initial=1
    )
    images = MultipleFileField(label="Reference images", required=False)
    picked = OptionsField(label="Stills from this project", required=False)
    start_upload = forms.FileField(label="Start frame", required=False)
    start_output = OptionField(label="Start frame from this project", required=False)
    end_upload = forms.FileField(label="End frame", required=False)
    end_output = OptionField(label="End frame from this project", required=False)
    # The model the options were last rendered for: a new model resets them to its defaults.
    options_for = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, connections: list[ProviderConnection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = connections
        self.fields["connection"].queryset = ProviderConnection.objects.filter(
            pk__in=[c.pk for c in connections]
        )
        if len(connections) == 1:
            self.fields["connection"].widget = forms.HiddenInput()
        if connections and not self._raw("connection"):
            self.initial["connection"] = connections[0].pk
        # Only what the chosen connection sells (its catalog and enabled experiments).
        self.chosen = chosen_connection(connections, self._raw("connection"))
        modes = modes_for(self.chosen) or list(Mode)
        self.fields["mode"].choices = [(mode.value, mode.label) for mode in modes]
        self.mode = as_mode(self._raw("mode"))
        if self.mode not in modes:
            self.mode = modes[0]
        self.spec = spec_for(self.mode, self._raw("model"), self.chosen)
        self.fields["model"].choices = [
            (s.model, f"{s.model} (experimental)" if self._experimental(s.model) else s.model)
            for s in specs_for(self.mode, self.chosen)
        ]
        self._offer_options(self.spec)

    def _experimental(self, model: str) -> bool:
        return is_experimental(self.chosen, self.mode, model)

    @property
    def experimental(self) -> bool:
        """The chosen pair is not in the provider's documents: the form warns."""
        return self._experimental(self.spec.model)

    def clean_connection(self) -> ProviderConnection:
        # The first active connection unless another is chosen (the select shows only
        # when there are several).
        chosen = self.cleaned_data.get("connection")
        if chosen is None and not self.connections:
            raise forms.ValidationError("No provider is active; ask the studio's owner.")
        return chosen or self.connections[0]

    def _raw(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(name)
        return self.initial.get(name)

    def _offer_options(self, spec: ModelSpec) -> None:
        duration = self._raw("duration")
        duration = parse_int(duration) or spec.default_duration
        choices = {
            "aspect_ratio": spec.aspect_ratios,
            "resolution": spec.resolutions_for(duration),
            "duration": spec.durations,
            "audio_type": spec.audio_types,
            "movement_amplitude": capabilities.MOVEMENT_AMPLITUDES,
        }
        for name, values in choices.items():
            self.fields[name].choices = [(str(v), _option_label(name, v)) for v in values]

    # Which parts of the form this mode and model use (the template asks these).
    @property
    def shows(self) -> dict[str, bool]:
        spec, mode = self.spec, self.mode
        return {
            "aspect_ratio": bool(spec.aspect_ratios),
            "resolution": len(spec.resolutions) > 0,
            "duration": spec.is_video,
            "audio": spec.audio,
            "movement_amplitude": spec.movement_amplitude,
            "off_peak": spec.off_peak_audio is not None,
            "images": mode == Mode.REFERENCE_TO_IMAGE,
            "start": mode in (Mode.IMAGE_TO_VIDEO, Mode.START_END_TO_VIDEO),
            "end": mode == Mode.START_END_TO_VIDEO,
            "subjects": mode in (Mode.REFERENCE_TO_IMAGE, Mode.REFERENCE_TO_VIDEO),
        }


def _option_label(name: str, value: Any) -> str:
    if name == "duration":
        return f"{value} s"
    if name == "aspect_ratio" and value == "auto":
        return "Auto (first image)"
    return str(value).replace("_", " ").capitalize() if name != "resolution" else str(value)


class GenerationFilterForm(forms.Form):
    """The one set of filters of the history, the gallery and Download all. Every filter
    is a GET parameter, so a filtered list is a link one can share."""

    q = forms.CharField(
        label="Search prompts",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in the prompt"}),
    )
    mode = forms.ChoiceField(
        label="Mode",
        required=False,
        choices=[("", "Any mode"), *Mode.choices],
        widget=forms.Select({"aria-label": "Filter by mode"}),
    )
    model = forms.ChoiceField(label="Model", required=False)
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any state"), *State.choices],
        widget=forms.Select({"aria-label": "Filter by state"}),
    )
    subject = forms.CharField(
        label="Subject",
        required=False,
        max_length=65,
        widget=forms.TextInput(attrs={"placeholder": "@Name", "list": "history-subjects"}),
    )
    starred = forms.BooleanField(required=False, label="Starred")
    rating = forms.TypedChoiceField(
        required=False,
        label="Rating",
        coerce=int,
        empty_value=None,
        choices=[("", "Any rating"), *[(n, f"{n}★ and up") for n in range(1, 6)]],
        widget=forms.Select({"aria-label": "Filter by rating"}),
    )
    tag = forms.CharField(required=False, label="Tag", max_length=40)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    storyboard = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select({"aria-label": "Filter by storyboard"}),
    )

    def __init__(self, *args: Any, project: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        models = sorted({spec.model for spec in capabilities.SPECS.values()})
        self.fields["model"].choices = [("", "Any model"), *((m, m) for m in models)]
        # Takes of the project's storyboards (the reverse name comes from storyboards.Take).
        titles = project.storyboards.order_by("title").values_list("pk", "title")
        self.fields["storyboard"].choices = [("", "Any storyboard"), *titles]

    @property
    def filters(self) -> dict[str, Any]:
        """The valid filters (none when the form is not valid)."""
        return self.cleaned_data if self.is_valid() else {}
