from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from providers import catalogs, registry
from providers.models import ProviderConnection, ProviderKind

UNVERIFIABLE_CALLBACKS = (
    "Not offered for {provider}: its callbacks are signed with its own upstream key, not "
    "yours, so the studio cannot tell them from forgeries. Its tasks are followed by "
    "polling."
)


class ProviderConnectionForm(forms.ModelForm):
    """Create or edit a connection. The key is write-only: never rendered back.

    A blank key keeps the stored one; "Remove the stored key" clears it (the
    environment's key, if any, is then used).
    """

    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave blank to keep the current key.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)
    base_url = forms.URLField(
        label="Base URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"list": "base-url-choices"}),
        help_text="Leave blank for the provider's usual address.",
    )

    class Meta:
        model = ProviderConnection
        fields = [
            "name",
            "kind",
            "base_url",
            "api_key",
            "clear_api_key",
            "concurrency_limit",
            "callbacks_enabled",
            "experimental",
            "is_active",
        ]
        labels = {"kind": "Provider"}
        widgets = {"experimental": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A checkbox's help text breaks the shared form layout; the label says it all.
        self.fields[
            "callbacks_enabled"
        ].label = "Callbacks: the provider can reach this studio's public address"
        self.fields["callbacks_enabled"].help_text = ""
        kind = self.data.get("kind") if self.is_bound else self.instance.kind
        kind = kind if kind in registry.DIALECTS else ""
        if kind and not registry.dialect_class(kind).verifiable_callbacks:
            # Offered only where a callback can be verified (official Vidu, the simulator).
            self.fields.pop("callbacks_enabled", None)
            self.callbacks_note = UNVERIFIABLE_CALLBACKS.format(provider=ProviderKind(kind).label)
        else:
            self.callbacks_note = ""
        undocumented = catalogs.undocumented(kind) if kind else []
        if undocumented and "experimental" in self.fields:
            self.fields["experimental"] = forms.MultipleChoiceField(
                label="Experimental models",
                required=False,
                choices=undocumented,
                widget=forms.CheckboxSelectMultiple,
                help_text="Pairs this provider does not document. They may fail or cost "
                "more than shown; the composer warns before each use.",
            )
        else:
            self.fields.pop("experimental", None)
        if self.instance.pk:
            self.fields["base_url"].widget.attrs["placeholder"] = registry.default_base_url(
                self.instance.kind
            )
        if self.instance.pk and self.instance.has_stored_key:
            self.fields[
                "api_key"
            ].help_text = f"Current key: {self.instance.key_display}. Leave blank to keep it."
        else:
            self.fields.pop("clear_api_key")

    def clean_base_url(self) -> str:
        url = self.cleaned_data.get("base_url", "").strip().rstrip("/")
        kind = self.cleaned_data.get("kind")
        # The key travels with every request: only the local simulator may use http.
        if url and kind != ProviderKind.SIMULATOR and urlsplit(url).scheme != "https":
            raise forms.ValidationError(
                "Use an https address: the API key is sent with every request."
            )
        if url and (urlsplit(url).query or urlsplit(url).fragment):
            raise forms.ValidationError("The base URL cannot have a query or fragment.")
        return url

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("clear_api_key") and cleaned.get("api_key"):
            self.add_error("api_key", "Either enter a new key or remove the stored one, not both.")
        return cleaned

    def save(self, commit: bool = True) -> ProviderConnection:
        connection = super().save(commit=False)
        if "callbacks_enabled" not in self.fields:
            connection.callbacks_enabled = False
        if "experimental" not in self.fields:
            connection.experimental = []
        if self.cleaned_data.get("clear_api_key"):
            connection.set_api_key("")
        elif self.cleaned_data.get("api_key"):
            connection.set_api_key(self.cleaned_data["api_key"])
        if commit:
            connection.save()
        return connection
