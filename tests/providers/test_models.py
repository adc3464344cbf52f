from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db

from providers.crypto import KeyDecryptionError
from providers.models import CallbackNonce, ProviderConnection, remember_nonce

KEY = "vda_live_9f8e7d6c5b4a3210wxyz"


def make_connection(**fields) -> ProviderConnection:
    fields = {"name": "Vidu", "kind": "vidu", **fields}
    return ProviderConnection.objects.create(**fields)


def raw_row(pk: int) -> tuple:
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM providers_providerconnection WHERE id = %s", [pk])
        return cursor.fetchone()


@pytest.mark.django_db
def test_the_key_is_stored_encrypted_and_read_back():
    connection = make_connection()
    connection.set_api_key(KEY)
    connection.save()

    assert not any(KEY in str(value) for value in raw_row(connection.pk))
    assert not any("9f8e7d6c5b4a3210" in str(value) for value in raw_row(connection.pk))
    assert ProviderConnection.objects.get(pk=connection.pk).api_key == KEY


@pytest.mark.django_db
def test_only_the_last_four_characters_are_shown():
    connection = make_connection()
    connection.set_api_key(KEY)
    assert connection.key_display == "•••• wxyz"


@pytest.mark.django_db
def test_a_short_key_shows_no_characters_at_all():
    connection = make_connection()
    connection.set_api_key("abcd1234")
    assert connection.key_display == "••••"


@pytest.mark.django_db
def test_without_a_stored_key_the_environment_key_is_used(monkeypatch):
    monkeypatch.setenv("VIDU_API_KEY", "env-key-0123456789")
    connection = make_connection()
    assert connection.api_key == "env-key-0123456789"
    assert connection.key_display == "from environment"


@pytest.mark.django_db
def test_a_connection_with_no_key_anywhere_says_not_set(monkeypatch):
    monkeypatch.delenv("KKIAI_API_KEY", raising=False)
    connection = make_connection(kind="kkiai")
    assert connection.api_key == ""
    assert connection.key_display == "not set"


@pytest.mark.django_db
def test_clearing_the_stored_key_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("VIDU_API_KEY", "env-key-0123456789")
    connection = make_connection()
    connection.set_api_key(KEY)
    connection.set_api_key("")
    assert connection.api_key == "env-key-0123456789"


@pytest.mark.django_db
def test_the_simulator_uses_this_installs_own_key(monkeypatch, settings):
    monkeypatch.delenv("SIMULATOR_API_KEY", raising=False)
    connection = make_connection(kind="simulator")
    assert connection.api_key == settings.SIMULATOR_API_KEY
    assert connection.api_key != "sim-local-key"  # no published default any more
    assert connection.key_display == "simulator default"
    assert connection.allow_private_downloads is True


@pytest.mark.django_db
def test_a_blank_base_url_means_the_providers_usual_address(settings):
    settings.SIMULATOR_URL = "http://127.0.0.1:9000/simulator"
    assert make_connection(name="a", kind="vidu").effective_base_url == "https://api.vidu.com"
    assert make_connection(name="b", kind="powertokens").effective_base_url == (
        "https://api.powertokens.ai/vidu"
    )
    assert make_connection(name="c", kind="kkiai").effective_base_url == "https://www.kkiai.com"
    assert make_connection(name="d", kind="vtrix").effective_base_url == "https://cloud.vtrix.ai"
    assert make_connection(name="e", kind="simulator").effective_base_url == (
        "http://127.0.0.1:9000/simulator"
    )
    assert (
        make_connection(name="f", kind="vidu", base_url="https://api.vidu.cn/").effective_base_url
        == "https://api.vidu.cn"
    )


@pytest.mark.django_db
def test_a_key_saved_under_another_encryption_key_says_so(settings):
    connection = make_connection()
    connection.set_api_key(KEY)
    connection.save()
    settings.STUDIO_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(KeyDecryptionError, match="STUDIO_ENCRYPTION_KEY"):
        ProviderConnection.objects.get(pk=connection.pk).api_key  # noqa: B018


@pytest.mark.django_db
def test_the_simulator_connection_is_ready_after_migrating():
    simulator = ProviderConnection.objects.get(name="Vidu simulator")
    assert simulator.kind == "simulator"
    assert simulator.base_url == ""
    assert simulator.is_active


@pytest.mark.django_db
def test_a_nonce_is_new_once_then_a_replay():
    assert remember_nonce("123e4567-e89b-12d3-a456-426614174000") is False
    assert remember_nonce("123e4567-e89b-12d3-a456-426614174000") is True
    assert remember_nonce("another") is False


@pytest.mark.django_db
def test_old_nonces_are_pruned(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from providers import models

    CallbackNonce.objects.create(nonce="old", seen_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(models, "_last_prune", 0.0)
    remember_nonce("fresh")
    assert list(CallbackNonce.objects.values_list("nonce", flat=True)) == ["fresh"]


@pytest.mark.django_db
def test_a_very_long_nonce_is_still_remembered():
    long_nonce = "n" * 1000
    assert remember_nonce(long_nonce) is False
    assert remember_nonce(long_nonce) is True
