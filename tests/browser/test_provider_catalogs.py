"""Each provider connection offers only what its documents show, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from providers.models import ProviderConnection
from tests.conftest import screenshot
from tests.factories import PASSWORD
from tests.generations import conftest as generation_fixtures

pytestmark = pytest.mark.browser
fast_pipeline = generation_fixtures.fast_pipeline
pipeline = generation_fixtures.pipeline


def options(page, name: str) -> list[str]:
    return page.locator(f"#composer select[name={name}] option").evaluate_all(
        "options => options.map(o => o.value)"
    )


def test_the_composer_on_a_kkiai_connection_offers_only_kkiais_documented_models(
    chromium_browser, pipeline
):
    kkiai = ProviderConnection.objects.create(
        name="KKIAI account", kind="kkiai", base_url=f"{pipeline.url}/simulator/kkiai"
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
    page.locator("#composer").wait_for()
    # The simulator (the official API's catalog) offers every mode.
    assert len(options(page, "mode")) == 6

    page.get_by_label("Provider").select_option(label="KKIAI account")
    # Locator assertions, not wait_for_function: the page's Content-Security-Policy
    # forbids the eval that a string predicate needs.
    expect(page.locator("#composer select[name=mode] option")).to_have_count(3)
    assert options(page, "mode") == ["text_to_image", "reference_to_image", "reference_to_video"]
    assert options(page, "model") == ["viduq2"]  # text to image: viduq1 needs an image

    page.get_by_label("Mode", exact=True).select_option("reference_to_image")
    expect(page.locator("#composer-options select[name=model] option")).to_have_count(2)
    assert options(page, "model") == ["viduq2", "viduq1"]

    page.get_by_label("Mode", exact=True).select_option("reference_to_video")
    expect(page.locator("#composer-options select[name=model] option")).to_have_count(6)
    assert options(page, "model") == [
        "viduq3",
        "viduq3-turbo",
        "viduq2",
        "viduq2-pro",
        "viduq1",
        "vidu2.0",
    ]
    assert page.get_by_label("Provider").input_value() == str(kkiai.pk)
    screenshot(page, "composer-kkiai-catalog")
    context.close()
