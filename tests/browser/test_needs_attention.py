"""A create whose answer was lost, as a designer meets it in Chromium: the card says the
provider may have the task, and its page offers Check again, Submit again (may be
charged twice) and Mark failed."""

from __future__ import annotations

import pytest

from generations.models import Generation, Mode, State
from generations.services import request_generation
from providers import registry
from providers.models import ProviderConnection
from simulator.models import SimTask
from tests.conftest import screenshot
from tests.factories import PASSWORD
from tests.generations import conftest as generation_fixtures

pytestmark = pytest.mark.browser
fast_pipeline = generation_fixtures.fast_pipeline
pipeline = generation_fixtures.pipeline


def test_a_lost_kkiai_answer_waits_for_the_designer_who_submits_it_again(
    chromium_browser, pipeline, settings
):
    settings.GENERATIONS_RECONCILE_GRACE_SECONDS = 1
    # KKIAI makes the task, then the connection drops before its answer.
    settings.SIMULATOR_FAULTS = ["lose-answer"]
    kkiai = ProviderConnection(
        name="KKIAI account", kind="kkiai", base_url=f"{pipeline.url}/simulator/kkiai"
    )
    kkiai.set_api_key(registry.env_key("simulator"))
    kkiai.save()
    [generation] = request_generation(
        project=pipeline.project,
        user=pipeline.project.owner,
        connection=kkiai,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A heron at dawn",
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
    )
    context = chromium_browser.new_context(
        base_url=pipeline.url, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()

    page.goto(pipeline.project.get_absolute_url())
    card = page.locator(f'article[data-generation="{generation.pk}"]')
    card.and_(page.locator('[data-state="needs_attention"]')).wait_for(timeout=30_000)
    assert "The provider may have this task." in card.inner_text()
    screenshot(page, "needs-attention-card")

    card.get_by_role("link", name="Decide…").click()
    page.get_by_role("heading", name="Needs attention: the provider may have this task").wait_for()
    assert page.get_by_role("button", name="Check again").is_visible()
    assert page.get_by_role("button", name="Mark failed").is_visible()
    screenshot(page, "needs-attention-page")

    page.get_by_role("button", name="Check again").click()
    page.get_by_role("heading", name="Needs attention: the provider may have this task").wait_for()
    assert SimTask.objects.filter(payload=str(generation.payload)).count() == 1

    settings.SIMULATOR_FAULTS = []  # this time the answer arrives
    page.get_by_role("button", name="Submit again (may be charged twice)").click()
    done = pipeline.wait_for_state(generation, State.READY, State.FAILED, timeout=45)
    assert done.state == State.READY, done.error_message
    # Two tasks, two charges: the one the designer chose to risk, and no other.
    assert SimTask.objects.filter(prompt=generation.prompt).count() == 2
    page.reload()
    page.get_by_role("heading", name="Provider log").wait_for()
    screenshot(page, "needs-attention-resolved")
    context.close()
    assert Generation.objects.get(pk=generation.pk).attempts >= 1
