"""ASGI entry point: HTTP and websockets, plus the background loops (see lifespan)."""

from __future__ import annotations

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from studio.handlers import PooledASGIHandler  # noqa: E402

django_asgi_app = PooledASGIHandler(threads=settings.STUDIO_REQUEST_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from generations.consumers import CallbackConsumer  # noqa: E402
from studio.lifespan import LifespanApp  # noqa: E402
from studio.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Provider callbacks skip Django's request cycle (see CallbackConsumer); the
        # same URL also exists as a Django view, for the test client.
        "http": URLRouter(
            [
                path("callbacks/<slug:kind>/<str:token>/", CallbackConsumer.as_asgi()),
                re_path(r"", django_asgi_app),
            ]
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
        "lifespan": LifespanApp(),
    }
)

# Everything made while starting (settings, apps, every view through the URLconf) lives
# as long as the process. Frozen, it is left out of the collector's full passes, which
# stop every thread while they run: under load they took up to ~200 ms, ~60 ms after.
get_resolver().url_patterns  # noqa: B018  (imports the views)
gc.collect()
gc.freeze()
