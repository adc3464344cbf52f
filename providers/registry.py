"""Which dialect speaks for which kind of connection, its default address and key.

The only place that maps kind strings to adapter classes: adding a provider is adding
a module under `providers/dialects/` and one line here.
"""

from __future__ import annotations

import os

import httpx
from django.conf import settings

from providers.base import Dialect
from providers.dialects.kkiai import KKIAIDialect
from providers.dialects.official import ViduDialect
from providers.dialects.powertokens import PowerTokensDialect
from providers.dialects.simulator import SimulatorDialect
from providers.dialects.vtrix import VtrixDialect

DIALECTS: dict[str, type] = {
    "simulator": SimulatorDialect,
    "vidu": ViduDialect,
    "powertokens": PowerTokensDialect,
    "kkiai": KKIAIDialect,
    "vtrix": VtrixDialect,
}

# Where a connection with no stored key finds one.
ENV_KEYS = {
    "simulator": "SIMULATOR_API_KEY",
    "vidu": "VIDU_API_KEY",
    "powertokens": "POWERTOKENS_API_KEY",
    "kkiai": "KKIAI_API_KEY",
    "vtrix": "VTRIX_API_KEY",
}
SIMULATOR_DEFAULT_URL = "http://127.0.0.1:8000/simulator"


def dialect_class(kind: str) -> type:
    try:
        return DIALECTS[kind]
    except KeyError:
        raise ValueError(f"No provider dialect for kind {kind!r}") from None


def default_base_url(kind: str) -> str:
    if kind == "simulator":
        return getattr(settings, "SIMULATOR_URL", "") or SIMULATOR_DEFAULT_URL
    return dialect_class(kind).default_base_url


def base_url_choices(kind: str) -> tuple[str, ...]:
    """The default address first, then documented alternatives (api.vidu.cn)."""
    cls = dialect_class(kind)
    return (default_base_url(kind), *cls.alternative_base_urls)


def env_key(kind: str) -> str:
    """The key the environment gives this kind, or "".

    The simulator's falls back to this install's own key (settings.SIMULATOR_API_KEY,
    generated into the data folder), the one key the built-in simulator accepts.
    """
    value = os.environ.get(ENV_KEYS.get(kind, ""), "").strip()
    if not value and kind == "simulator":
        return getattr(settings, "SIMULATOR_API_KEY", "") or ""
    return value


def dialect_for(kind: str, *, base_url: str, api_key: str, client: httpx.AsyncClient) -> Dialect:
    """A ready adapter for one connection (a blank base URL means the kind's default)."""
    return dialect_class(kind)(base_url or default_base_url(kind), api_key, client)
