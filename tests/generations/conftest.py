"""A live studio whose dispatcher drives generations against its own simulator."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from generations.models import Generation, Mode
from generations.services import request_generation
from projects.models import Project
from providers.models import ProviderConnection


@dataclass
class Pipeline:
    url: str
    project: Project
    connection: ProviderConnection

    def request_still(self, prompt: str, **params) -> Generation:
        """A text-to-image generation the project's owner asks for, as the composer
        sends it (1080p, square unless `params` say otherwise)."""
        [generation] = request_generation(
            project=self.project,
            user=self.project.owner,
            connection=self.connection,
            mode=Mode.TEXT_TO_IMAGE,
            model="viduq2",
            prompt=prompt,
            params={"resolution": "1080p", "aspect_ratio": "1:1", **params},
        )
        return generation

    def wait_for_state(
        self, generation: Generation, *states: str, timeout: float = 30
    ) -> Generation:
        """Poll the database until the generation reaches one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            generation.refresh_from_db()
            if generation.state in states:
                return generation
            if time.monotonic() > deadline:
                history = list(generation.history.values_list("state", "detail"))
                raise AssertionError(f"generation stuck in {generation.state}: {history}")
            time.sleep(0.05)


@pytest.fixture
def fast_pipeline(settings):
    """Fast clocks: the simulator takes a fraction of a second, the dispatcher looks often."""
    settings.SIMULATOR_IMAGE_SECONDS = 0.2
    settings.SIMULATOR_VIDEO_SECONDS = 0.4
    settings.SIMULATOR_TICK_SECONDS = 0.05
    settings.SIMULATOR_VIDEO_FPS = 4
    settings.SIMULATOR_CALLBACK_BACKOFF_SECONDS = 0.1
    settings.SIMULATOR_FAULTS = []
    settings.GENERATIONS_TICK_SECONDS = 0.1
    settings.GENERATIONS_SIMULATOR_FIRST_POLL = 0.2
    settings.GENERATIONS_SIMULATOR_POLL = 0.2
    settings.GENERATIONS_RECONCILE_SECONDS = 0.2
    settings.GENERATIONS_SLOT_WAIT_SECONDS = 0.2
    settings.STUDIO_BACKGROUND_TASKS = ["simulator.clock.run", "generations.dispatcher.run"]
    return settings


@pytest.fixture
def pipeline(fast_pipeline, live_studio, alice) -> Pipeline:
    fast_pipeline.SIMULATOR_URL = f"{live_studio.url}/simulator"
    connection = ProviderConnection.objects.create(name="Simulator", kind="simulator")
    project = Project.objects.create(owner=alice, name="Pipeline")
    return Pipeline(url=live_studio.url, project=project, connection=connection)


@pytest.fixture
def with_callbacks(pipeline, settings) -> Pipeline:
    settings.STUDIO_PUBLIC_BASE_URL = pipeline.url
    pipeline.connection.callbacks_enabled = True
    pipeline.connection.save()
    return pipeline
