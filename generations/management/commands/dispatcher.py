from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand

from generations.dispatcher import run


class Command(BaseCommand):
    help = (
        "Run a dispatcher: submits, polls and downloads generations. Start as many as you "
        "like beside the web processes (set STUDIO_BACKGROUND_TASKS without "
        "generations.dispatcher.run there)."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write("Dispatcher running; Ctrl-C stops it.")
        try:
            asyncio.run(run())
        except KeyboardInterrupt:
            self.stdout.write("Dispatcher stopped.")
