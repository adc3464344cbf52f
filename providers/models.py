"""Provider connections (where and with which key we call Vidu) and callback nonces."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.utils import timezone

from providers import catalogs, crypto, registry
from providers.base import Dialect, Endpoint
from providers.redaction import register_secret

MASK = "••••"
# Showing the last 4 characters of a short key would show most of it.
MIN_LENGTH_FOR_HINT = 12


class ProviderKind(models.TextChoices):
    SIMULATOR = "simulator", "Vidu simulator"
    VIDU = "vidu", "Vidu (official)"
    POWERTOKENS = "powertokens", "PowerTokens"
    KKIAI = "kkiai", "KKIAI"
    VTRIX = "vtrix", "Vtrix"


class ProviderConnectionQuerySet(models.QuerySet["ProviderConnection"]):
    def active(self) -> ProviderConnectionQuerySet:
        """The connections new work may use, the oldest first."""
        return self.filter(is_active=True).order_by("created", "pk")

    def for_new_work(self) -> ProviderConnection | None:
        """The connection new work goes to when no one chose (storyboards, Animate, a
        retry whose own connection was switched off): the oldest active one."""
        return self.active().first()


class ProviderConnection(models.Model):
    """One account at one provider: its address, its key and how hard to use it.

    The key is stored only as Fernet ciphertext; `api_key` decrypts it on use (and
    registers it with the log redaction). With no stored key the kind's environment
    variable is used (VIDU_API_KEY, ...). Only the last 4 characters are ever shown.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=ProviderKind.choices)
    base_url = models.URLField(
        "Base URL",
        max_length=500,
        blank=True,
        help_text="Leave blank for the provider's usual address.",
    )
    api_key_ciphertext = models.TextField(blank=True, editable=False)
    api_key_last4 = models.CharField(max_length=4, blank=True, editable=False)
    concurrency_limit = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Tasks running at once on this account (Vidu allows 5 per organization).",
    )
    callbacks_enabled = models.BooleanField(
        "Callbacks",
        default=False,
        help_text="The provider can reach this studio's public address to report progress.",
    )
    is_active = models.BooleanField("Active", default=True)
    # Undocumented (endpoint, model) pairs staff chose to try on this connection, as
    # "reference2video:viduq2" (catalogs.pair_key); the composer warns when one is used.
    experimental = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ProviderConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # --- the key -------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The key to call the provider with: the stored one, else the environment's."""
        if self.api_key_ciphertext:
            key = crypto.decrypt(self.api_key_ciphertext)
        else:
            key = registry.env_key(self.kind)
        register_secret(key)
        return key

    def set_api_key(self, value: str) -> None:
        """Store a new key (encrypted); a blank value clears the stored key."""
        value = (value or "").strip()
        if not value:
            self.api_key_ciphertext = ""
            self.api_key_last4 = ""
            return
        register_secret(value)
        self.api_key_ciphertext = crypto.encrypt(value)
        self.api_key_last4 = value[-4:] if len(value) >= MIN_LENGTH_FOR_HINT else ""

    @property
    def has_stored_key(self) -> bool:
        return bool(self.api_key_ciphertext)

    @property
    def env_var(self) -> str:
        return registry.ENV_KEYS.get(self.kind, "")

    @property
    def key_display(self) -> str:
        """How the key is shown anywhere: "•••• abcd", "from environment", "not set"."""
        if self.api_key_ciphertext:
            return f"{MASK} {self.api_key_last4}" if self.api_key_last4 else MASK
        if registry.env_key(self.kind):
            if self.kind == ProviderKind.SIMULATOR and not _env_is_set(self.env_var):
                return "simulator default"
            return "from environment"
        return "not set"

    # --- calling the provider ------------------------------------------------------

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or registry.default_base_url(self.kind)).rstrip("/")

    @property
    def is_builtin_simulator(self) -> bool:
        """This studio's own simulator: the simulator connection, or a reseller kind
        pointed at one of its mounts (SIMULATOR_URL), to try that dialect out."""
        if self.kind == ProviderKind.SIMULATOR:
            return True
        simulator = (getattr(settings, "SIMULATOR_URL", "") or "").rstrip("/")
        return bool(simulator) and self.effective_base_url.startswith(simulator + "/")

    @property
    def allow_private_downloads(self) -> bool:
        """Only the built-in simulator may serve results from loopback or private
        addresses (by configuration: SIMULATOR_URL)."""
        return self.is_builtin_simulator

    # --- what it offers ------------------------------------------------------------

    def offers(self) -> list[catalogs.Offer]:
        """The (endpoint, model) pairs this connection offers: documented, then trials."""
        return catalogs.offers(self.kind, self.experimental or ())

    def offer_for(
        self, endpoint: Endpoint | str, model: str, *, without_images: bool = False
    ) -> catalogs.Offer | None:
        """The offer for this pair, or None when this connection does not sell it
        (`without_images`: reference2image asked with no image, text to image)."""
        key = catalogs.pair_key(endpoint, model)
        for offer in self.offers():
            if offer.key == key and (offer.without_images or not without_images):
                return offer
        return None

    @property
    def verifiable_callbacks(self) -> bool:
        return registry.dialect_class(self.kind).verifiable_callbacks

    def dialect(self, client: httpx.AsyncClient) -> Dialect:
        """The adapter for this connection, sharing the caller's HTTP client."""
        return registry.dialect_for(
            self.kind, base_url=self.effective_base_url, api_key=self.api_key, client=client
        )


def _env_is_set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


# --- callback nonces ------------------------------------------------------------------

# Callbacks with a Date more than 300 s off are refused anyway, so a nonce needs
# remembering only a little longer than that window.
NONCE_TTL = timedelta(minutes=10)
PRUNE_EVERY = 60.0  # seconds between prunes, per process
_last_prune = 0.0


class CallbackNonceQuerySet(models.QuerySet):
    def remember(self, nonce: str) -> bool:
        """True if this nonce was seen before; otherwise record it and return False.

        The unique index makes this correct across processes: of two concurrent
        inserts of one nonce, exactly one succeeds.
        """
        global _last_prune
        key = nonce if len(nonce) <= 128 else hashlib.sha256(nonce.encode()).hexdigest()
        now = time.monotonic()
        if now - _last_prune > PRUNE_EVERY:
            _last_prune = now
            self.filter(seen_at__lt=timezone.now() - NONCE_TTL).delete()
        # One statement, no savepoint and no exception to unwind: this runs on every
        # callback. SQLite (3.24+) and PostgreSQL both know ON CONFLICT DO NOTHING.
        db = connections[self.db]
        table = db.ops.quote_name(self.model._meta.db_table)
        with db.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (nonce, seen_at) VALUES (%s, %s) "
                "ON CONFLICT (nonce) DO NOTHING",
                [key, db.ops.adapt_datetimefield_value(timezone.now())],
            )
            return cursor.rowcount == 0


class CallbackNonce(models.Model):
    """A callback's `x-request-nonce`, kept for NONCE_TTL to refuse replays."""

    nonce = models.CharField(max_length=128, unique=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = CallbackNonceQuerySet.as_manager()

    def __str__(self) -> str:
        return self.nonce


def remember_nonce(nonce: str) -> bool:
    """`seen_nonce` for signing.verify_callback: True if already seen (a replay)."""
    return CallbackNonce.objects.remember(nonce)
