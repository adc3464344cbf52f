"""`manage.py vidu_simulator --port N`: the Vidu simulator on its own.

It serves the studio's own ASGI application (so routes, file URLs and validation are
exactly those of the embedded simulator) with the background loops forced to the
simulator's clock alone: a standalone simulator must not run the studio's dispatcher.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the Vidu simulator alone (official, PowerTokens, KKIAI and Vtrix dialects)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--migrate", action="store_true", help="apply database migrations first"
        )
        parser.add_argument("--log-level", default="warning")

    def handle(
        self, *args: Any, port: int, host: str, migrate: bool, log_level: str, **options: Any
    ) -> None:
        if not settings.SIMULATOR_ENABLED:
            raise CommandError(
                "The Vidu simulator is off (DEBUG is false): set STUDIO_SIMULATOR=on to run it."
            )
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        settings.STUDIO_BACKGROUND_TASKS = ["simulator.clock.run"]
        if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
        base = f"http://{host}:{port}/simulator"
        self.stdout.write(
            f"Vidu simulator on {base}/ent/v2 (Token), {base}/vidu/ent/v2 and "
            f"{base}/kkiai/ent/v2 (Bearer), {base}/vtrix/model/v1/generation (Bearer)\n"
            "Its key: SIMULATOR_API_KEY, or the one generated into the data folder "
            f"({settings.DATA_DIR / 'simulator_key'})."
        )
        uvicorn.run(
            "studio.asgi:application",
            host=host,
            port=port,
            lifespan="on",
            log_level=log_level,
            ws_per_message_deflate=False,
        )
