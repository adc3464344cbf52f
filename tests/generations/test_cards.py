"""A generation's card: what it says about credits and, while it runs, the time left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from generations.cards import eta_text, render_card
from generations.models import Mode, State
from providers.models import ProviderConnection
from tests.generations.ui_factories import make_generation
from tests.library.factories import make_project


@pytest.fixture
def project(alice):
    return make_project(owner=alice)


@pytest.mark.parametrize("state", [State.FAILED, State.CANCELLED])
@pytest.mark.parametrize("credits", [None, 0])
def test_a_failed_or_cancelled_card_with_nothing_spent_says_not_charged(project, state, credits):
    generation = make_generation(project=project, state=state, credits=credits, output=False)

    card = render_card(generation)

    assert "not charged" in card
    assert " cr<" not in card and "~" not in card


@pytest.mark.parametrize("state", [State.FAILED, State.CANCELLED])
def test_a_failed_card_shows_what_the_provider_reported_it_spent(project, state):
    generation = make_generation(project=project, state=state, credits=6, output=False)

    card = render_card(generation)

    assert "6 cr reported" in card
    assert "not charged" not in card


def test_a_generation_marked_failed_by_a_designer_may_have_been_charged(project):
    generation = make_generation(project=project, state=State.FAILED, output=False)
    generation.err_code = "MarkedFailed"

    card = render_card(generation)

    assert "may have been charged" in card
    assert "not charged" not in card


def test_a_running_card_shows_the_estimate_and_the_time_left(project, settings):
    settings.SIMULATOR_IMAGE_SECONDS = 30
    generation = make_generation(project=project, state=State.PROCESSING, output=False)

    card = render_card(generation)

    assert f"~{generation.credits_estimate} cr" in card
    assert 'data-expected="30.0"' in card
    assert "~30 s left" in card or "~29 s left" in card


def test_a_ready_card_shows_the_credits_the_provider_reported_and_no_estimate(project):
    reported = make_generation(project=project, credits=4)
    unreported = make_generation(project=project, prompt="No figure")

    assert ">4 cr<" in render_card(reported)
    assert " cr<" not in render_card(unreported)
    assert "left<" not in render_card(reported)


def test_a_real_provider_card_uses_the_models_expected_time(project):
    official = ProviderConnection.objects.create(name="Vidu", kind="vidu")
    generation = make_generation(
        project=project, mode=Mode.TEXT_TO_VIDEO, model="viduq2", state=State.QUEUEING
    )
    generation.connection = official
    generation.save(update_fields=["connection"])

    assert generation.expected_seconds() > 10
    assert f'data-expected="{generation.expected_seconds()}"' in render_card(generation)


def test_the_time_left_reads_as_words():
    assert eta_text(20, 4.2) == "~16 s left"
    assert eta_text(300, 10) == "~5 min left"
    assert eta_text(20, 25) == "almost done"
    assert eta_text(20, 60) == "taking longer than usual"


def test_a_long_running_card_still_counts_from_its_creation(project, settings):
    settings.SIMULATOR_IMAGE_SECONDS = 3
    started = timezone.now() - timedelta(minutes=5)
    generation = make_generation(
        project=project, state=State.PROCESSING, output=False, created_at=started
    )

    assert "taking longer than usual" in render_card(generation)
