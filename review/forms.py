from __future__ import annotations

import re

from django import forms

from projects.models import Project
from review.models import ReviewStatus
from storyboards.models import Shot, Storyboard

# --- Review statuses ---------------------------------------------------------------------

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class SetStatusForm(forms.Form):
    """A shot's new status, one of its project's."""

    status = forms.ModelChoiceField(
        label="Review status",
        queryset=ReviewStatus.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of this project's review statuses."},
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].queryset = ReviewStatus.objects.filter(project=project)


class ReviewStatusForm(forms.ModelForm):
    class Meta:
        model = ReviewStatus
        fields = ["name", "colour", "position", "is_approved", "requests_changes"]
        labels = {
            "position": "Order",
            "is_approved": "Counts as approved",
            "requests_changes": "Asks for changes",
        }
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "position": forms.NumberInput(attrs={"min": 1, "max": 99, "class": "status-order"}),
        }

    def clean_colour(self) -> str:
        colour = self.cleaned_data["colour"]
        if not COLOUR.fullmatch(colour or ""):
            raise forms.ValidationError("A colour is written #rrggbb.")
        return colour.lower()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Name the status.")
        return name


class BaseStatusFormSet(forms.BaseModelFormSet):
    """All of a project's statuses edited at once: the rules hold across the rows."""

    def __init__(self, *args, project: Project, **kwargs) -> None:
        self.project = project
        kwargs.setdefault("queryset", ReviewStatus.objects.filter(project=project))
        super().__init__(*args, **kwargs)

    def kept_forms(self) -> list[forms.ModelForm]:
        return [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not form.cleaned_data.get("DELETE")
        ]

    def get_form_kwargs(self, index: int | None) -> dict:
        # Shown counted from 1, as a person numbers a list; saved from 0.
        return {"initial": {"position": (index or 0) + 1}}

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = self.kept_forms()
        for form in self.deleted_forms:
            status = form.instance
            if status.pk and status.shots.exists():
                count = status.shots.count()
                raise forms.ValidationError(
                    f"“{status.name}” is set on {count} shot{'s' if count != 1 else ''}: "
                    "move them to another status before deleting it."
                )
        names = [form.cleaned_data["name"].casefold() for form in kept]
        if len(names) != len(set(names)):
            raise forms.ValidationError("Two statuses have the same name.")
        if sum(1 for form in kept if form.cleaned_data.get("is_approved")) != 1:
            raise forms.ValidationError("Exactly one status counts as approved.")
        if sum(1 for form in kept if form.cleaned_data.get("requests_changes")) > 1:
            raise forms.ValidationError("At most one status asks for changes.")

    def save_statuses(self) -> None:
        """Deletions first, then the rows in their new order (numbered 0..n-1)."""
        for form in self.deleted_forms:
            if form.instance.pk:
                form.instance.delete()
        # A row given another number takes that place; the row that had it moves along.
        kept = sorted(
            self.kept_forms(),
            key=lambda form: (
                form.cleaned_data.get("position") or 0,
                "position" not in form.changed_data,
                form.instance.pk or 10**18,
            ),
        )
        # Renaming "A"→"B" and "B"→"A" in one go would trip the unique name half-way.
        for form in kept:
            if form.instance.pk:
                ReviewStatus.objects.filter(pk=form.instance.pk).update(
                    name=f"~renaming {form.instance.pk}"
                )
        for position, form in enumerate(kept):
            status = form.save(commit=False)
            status.project = self.project
            status.position = position
            status.save()


ReviewStatusFormSet = forms.modelformset_factory(
    ReviewStatus,
    form=ReviewStatusForm,
    formset=BaseStatusFormSet,
    extra=1,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


# --- Review links ------------------------------------------------------------------------


class ReviewLinkForm(forms.Form):
    """A new link: how long it stays open, a passphrase, downloads, which shots."""

    label = forms.CharField(
        label="For",
        max_length=120,
        required=False,
        help_text="Who it is for, to tell your links apart (e.g. “Client, round 2”).",
    )
    expires = forms.TypedChoiceField(
        label="Expires",
        choices=[("1", "In 1 day"), ("7", "In 7 days"), ("30", "In 30 days")],
        coerce=int,
        initial="7",
    )
    passphrase = forms.CharField(
        label="Passphrase",
        min_length=8,  # the link is public: a short one is guessed within the lockouts
        max_length=128,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Optional. Tell it to your client another way than the link itself.",
    )
    allow_download = forms.BooleanField(label="Allow downloads", required=False)
    shots = forms.ModelMultipleChoiceField(
        label="Shots",
        queryset=Shot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the whole storyboard, shots added later included.",
    )

    def __init__(self, *args, storyboard: Storyboard, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["shots"]
        field.queryset = storyboard.shots.all()
        field.label_from_instance = lambda shot: (
            f"Shot {shot.number}{' · ' + shot.title if shot.title else ''}"
            f"{'' if shot.keeper_id else ' (no keeper yet)'}"
        )


class GuestPassphraseForm(forms.Form):
    passphrase = forms.CharField(
        label="Passphrase", max_length=128, strip=False, widget=forms.PasswordInput
    )


class GuestNameForm(forms.Form):
    name = forms.CharField(
        label="Your name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your name, so the team knows who wrote."},
    )


class GuestCommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something first."},
    )


# --- Comments ------------------------------------------------------------------------------


class CommentForm(forms.Form):
    """A comment or a reply by a member. The pin and the time range come from review.js
    (hidden fields); without it a comment posts unpinned."""

    body = forms.CharField(
        label="Comment",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a comment first."},
    )
    parent = forms.CharField(required=False, widget=forms.HiddenInput)
    take = forms.CharField(required=False)
    pin_x = forms.FloatField(required=False, min_value=0, max_value=1, widget=forms.HiddenInput)
    pin_y = forms.FloatField(required=False, min_value=0, max_value=1, widget=forms.HiddenInput)
    time_start = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    time_end = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)

    def placement(self) -> dict:
        """The pin and time range as post_comment takes them."""
        names = ("pin_x", "pin_y", "time_start", "time_end")
        return {name: self.cleaned_data.get(name) for name in names}

    def first_error(self) -> str:
        for name, messages in self.errors.items():
            if name == "body":
                return messages[0]
            return "The pin or the time range was not understood: place it again."
        return ""


# --- Hand-off: edited timelines and shot lists ---------------------------------------------


class TimelineImportForm(forms.Form):
    timeline = forms.FileField(
        label="Edited timeline",
        help_text="The .otio your editor exported after cutting the board's timeline.",
        widget=forms.ClearableFileInput(attrs={"accept": ".otio,application/json"}),
        error_messages={"required": "Choose the .otio file to import."},
    )


class ShotListImportForm(forms.Form):
    shot_list = forms.FileField(
        label="Shot list (CSV)",
        help_text="A CSV with a header row: Title, Prompt, Mode, Model, Duration, Notes.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose the CSV file to import."},
    )


class PreviewTokenForm(forms.Form):
    """The checked preview, signed, sent back by its Apply button."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=2_000_000)
