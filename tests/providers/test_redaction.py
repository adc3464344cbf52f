from __future__ import annotations

import logging

import pytest

from providers.models import ProviderConnection
from providers.redaction import RedactSecretsFilter, redact, register_secret


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("providers", logging.INFO, __file__, 1, message, args, exc_info)


def formatted(rec: logging.LogRecord) -> str:
    RedactSecretsFilter().filter(rec)
    return logging.Formatter("%(message)s").format(rec)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("headers: {'Authorization': 'Token vda_abc123def456'}", "vda_abc123def456"),
        ("Authorization: Bearer pt-9876543210zyx", "pt-9876543210zyx"),
        ('{"authorization": "Bearer sk-live-777777777"}', "sk-live-777777777"),
        ("calling with Bearer eyJhbGciOiJIUzI1NiJ9.payload", "eyJhbGciOiJIUzI1NiJ9.payload"),
        ("https://x.test/?api_key=abcdef123456&x=1", "abcdef123456"),
        ('{"apiKey": "k-12345678"}', "k-12345678"),
    ],
)
def test_credential_looking_values_are_redacted(text, secret):
    clean = redact(text)
    assert secret not in clean
    assert "[redacted]" in clean


def test_ordinary_text_is_left_alone():
    text = "Task 911092490931552256 is processing (credits: 15)"
    assert redact(text) == text


def test_a_registered_key_is_redacted_wherever_it_appears():
    register_secret("plainlookingkey0042")
    assert redact("upstream said: plainlookingkey0042 is invalid") == (
        "upstream said: [redacted] is invalid"
    )


@pytest.mark.django_db
def test_a_decrypted_connection_key_is_scrubbed_from_log_records():
    connection = ProviderConnection(name="x", kind="vidu")
    connection.set_api_key("decrypted-key-5555aaaa")
    connection.save()
    ProviderConnection.objects.get(pk=connection.pk).api_key  # noqa: B018

    rec = record("Vidu answered %s for key %s", 401, "decrypted-key-5555aaaa")
    assert formatted(rec) == "Vidu answered 401 for key [redacted]"


def test_keys_in_tracebacks_are_scrubbed():
    register_secret("traceback-secret-123456")
    try:
        raise RuntimeError("bad key traceback-secret-123456")
    except RuntimeError:
        import sys

        rec = record("failed", exc_info=sys.exc_info())
    text = formatted(rec)
    assert "traceback-secret-123456" not in text
    assert "RuntimeError" in text


def test_the_filter_is_wired_into_logging_settings(settings):
    assert settings.LOGGING["filters"]["redact_secrets"]["()"] == (
        "providers.redaction.RedactSecretsFilter"
    )
