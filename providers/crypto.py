"""API keys at rest: Fernet (AES-128-CBC + HMAC) under settings.STUDIO_ENCRYPTION_KEY."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class KeyDecryptionError(Exception):
    """A stored key cannot be read: STUDIO_ENCRYPTION_KEY changed since it was saved."""


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(plaintext: str) -> str:
    return _fernet(settings.STUDIO_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.STUDIO_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise KeyDecryptionError(
            "The stored API key cannot be decrypted: STUDIO_ENCRYPTION_KEY has changed "
            "since it was saved. Enter the key again."
        ) from None
