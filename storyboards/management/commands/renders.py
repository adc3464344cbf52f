from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand

from storyboards.renders import run


class Command(BaseCommand):
    help = (
        "Render animatics: one at a time, taking over renders whose process died. Start it "
        "beside the web processes (set STUDIO_BACKGROUND_TASKS without "
        "storyboards.renders.run there)."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write("Animatic renderer running; Ctrl-C stops it.")
        try:
            asyncio.run(run())
        except KeyboardInterrupt:
            self.stdout.write("Animatic renderer stopped.")
