"""Websockets only from this site's own pages: the Origin compared by scheme, host and port.

Channels' AllowedHostsOriginValidator compares the Origin's host with ALLOWED_HOSTS and
nothing else, so a page served by another program on the same host (another port, or
plain http beside https) could open a socket with the visitor's cookie. This asks what
Django's CSRF check asks of a form: the Origin is the address the socket was opened on
(its scheme, and the Host header, which must be an allowed host), or one of
CSRF_TRUSTED_ORIGINS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if unreadable."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    return (parts.scheme, parts.hostname, port) if parts.hostname else None


def _secure(scope: dict, headers: dict[bytes, bytes]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    # Behind a proxy that ends TLS, as Django's request.is_secure() trusts it.
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
    sent = headers.get(name, b"").decode("latin-1").split(",")[0].strip()
    return sent == proxy[1]


def allowed_origin(scope: dict) -> bool:
    headers = dict(scope.get("headers", []))
    origin = _origin(headers.get(b"origin", b"").decode("latin-1"))
    host = headers.get(b"host", b"").decode("latin-1")
    if origin is None or not host:
        return False
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, allowed_hosts):
        return False
    own = _origin(f"{'https' if _secure(scope, headers) else 'http'}://{host}")
    trusted = [_origin(url) for url in settings.CSRF_TRUSTED_ORIGINS]
    return origin == own or any(_matches(origin, pattern) for pattern in trusted if pattern)


def _matches(origin: tuple[str, str, int | None], pattern: tuple[str, str, int | None]) -> bool:
    """As CSRF_TRUSTED_ORIGINS reads: "https://*.example.com" takes its subdomains too."""
    scheme, host, port = pattern
    if host.startswith("*."):
        same_domain = is_same_domain(origin[1], host[1:])
        return origin[0] == scheme and origin[2] == port and same_domain
    return origin == pattern


class SameOriginValidator:
    """ASGI middleware: a websocket whose Origin is not this site is refused before the
    handshake (a 403, as Channels' own validators answer)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "websocket" and not allowed_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
