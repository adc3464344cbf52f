from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import UsernameField


class NewPersonForm(forms.Form):
    """A username and an initial password, for the owner's first account or a new person."""

    username = UsernameField(
        label="Username",
        max_length=150,
        help_text="Letters, digits and @/./+/-/_ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        user_model = get_user_model()
        username = user_model.normalize_username(username)
        if user_model.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Someone already has this username.")
        user_model.username_validator(username)
        return username

    def clean(self) -> dict:
        cleaned = super().clean()
        if "username" in cleaned and "password" in cleaned:
            user = get_user_model()(username=cleaned["username"])
            try:
                password_validation.validate_password(cleaned["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned
