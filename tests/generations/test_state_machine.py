"""What a provider says about a task moves a generation forward, never back (DESIGN §3),
and a generation with no result past its deadline shows as stalled."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from generations import dispatcher
from generations.models import STATE_RANK, Generation, Mode, State
from generations.services import apply_update, request_generation
from projects.models import Project
from providers import http
from providers.base import Creation, TaskState, TaskStatus
from providers.models import ProviderConnection

TASK = "task-1"


def status(state: str, **fields) -> TaskStatus:
    known = {s.value: s for s in TaskState}
    return TaskStatus(task_id=TASK, state=known.get(state), raw_state=state, **fields)


SUCCESS = status("success", creations=(Creation(url="https://cdn.example/1.png"),))


@pytest.fixture
def generation(alice) -> Generation:
    connection = ProviderConnection.objects.create(name="Sim", kind="simulator")
    project = Project.objects.create(owner=alice, name="States")
    [generation] = request_generation(
        project=project,
        user=alice,
        connection=connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A heron",
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
    )
    return generation


def submitted(generation: Generation, *, ago: timedelta = timedelta(0), **fields) -> Generation:
    """As the dispatcher leaves a generation once its create call was answered."""
    Generation.objects.filter(pk=generation.pk).update(
        state=State.SUBMITTED,
        provider_task_id=TASK,
        submitted_at=timezone.now() - ago,
        **fields,
    )
    generation.refresh_from_db()
    return generation


def history(generation: Generation) -> list[str]:
    return list(generation.history.values_list("state", flat=True))


def test_provider_states_move_a_generation_forward_in_order(generation):
    for state in ("created", "queueing", "processing", "success"):
        apply_update(generation.pk, status(state))

    generation.refresh_from_db()
    assert generation.state == State.DOWNLOADING
    assert history(generation) == [
        State.QUEUED,
        State.SUBMITTED,
        State.QUEUEING,
        State.PROCESSING,
        State.DOWNLOADING,
    ]


def test_a_late_processing_update_after_success_changes_nothing(generation):
    apply_update(generation.pk, SUCCESS)

    apply_update(generation.pk, status("processing"))

    generation.refresh_from_db()
    assert generation.state == State.DOWNLOADING
    assert history(generation) == [State.QUEUED, State.DOWNLOADING]


def test_a_duplicated_update_records_its_state_once(generation):
    apply_update(generation.pk, status("processing"))
    apply_update(generation.pk, status("processing"))

    assert history(generation) == [State.QUEUED, State.PROCESSING]


def test_updates_in_any_order_never_move_a_generation_backwards(generation):
    updates = [status(s) for s in ("created", "queueing", "processing", "processing")]
    updates.append(SUCCESS)
    random.Random(7).shuffle(updates)

    for update in updates:
        apply_update(generation.pk, update)

    generation.refresh_from_db()
    assert generation.state == State.DOWNLOADING
    ranks = [STATE_RANK[State(state)] for state in history(generation)]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_nothing_moves_a_finished_generation(generation):
    apply_update(generation.pk, status("failed", err_code="CreationPolicyViolation"))

    apply_update(generation.pk, SUCCESS)

    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.err_code == "CreationPolicyViolation"
    assert history(generation) == [State.QUEUED, State.FAILED]


def test_an_unknown_provider_state_is_ignored_and_logged(generation, caplog):
    apply_update(generation.pk, status("processing"))

    with caplog.at_level(logging.WARNING, logger="generations.services"):
        apply_update(generation.pk, status("rendering-on-mars"))

    generation.refresh_from_db()
    assert generation.state == State.PROCESSING
    assert history(generation) == [State.QUEUED, State.PROCESSING]
    assert "rendering-on-mars" in caplog.text


def test_a_task_failed_as_user_cancelled_ends_cancelled(generation):
    apply_update(generation.pk, status("processing"))

    apply_update(
        generation.pk, status("failed", err_code="UserCancelled", message="The task was cancelled")
    )

    generation.refresh_from_db()
    assert generation.state == State.CANCELLED
    assert generation.finished_at is not None
    assert generation.next_action_at is None


def test_a_failed_task_keeps_the_providers_code_and_its_message_in_words(generation):
    apply_update(
        generation.pk,
        status("failed", err_code="CreditInsufficient", message="Not enough credits here"),
    )

    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.err_code == "CreditInsufficient"
    assert generation.error_message == "Not enough credits here"


def test_a_failed_task_without_a_message_still_says_it_failed(generation):
    apply_update(generation.pk, status("failed"))

    generation.refresh_from_db()
    assert generation.error_message == "The provider reported a failure."


def test_credits_cost_and_seed_are_recorded_even_from_a_late_update(generation):
    apply_update(generation.pk, SUCCESS)

    apply_update(generation.pk, status("processing", credits=20, cost="0.25", seed=4242))
    apply_update(generation.pk, status("success", credits=20))

    generation.refresh_from_db()
    assert (generation.credits, generation.cost, generation.seed) == (20, "0.25", 4242)
    assert generation.state == State.DOWNLOADING


def test_a_seed_already_known_is_not_replaced(generation):
    apply_update(generation.pk, status("created", seed=11))

    apply_update(generation.pk, status("processing", seed=99))

    generation.refresh_from_db()
    assert generation.seed == 11


# --- stalled ---------------------------------------------------------------------------------


def poll(generation: Generation, answer: dict | None = None) -> timedelta | None:
    """One dispatcher poll of `generation`, the provider answering `answer` (None: no
    answer at all, the provider is unreachable)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if answer is None:
            raise httpx.ConnectError("connection refused")
        assert request.url.path.endswith(f"/ent/v2/tasks/{TASK}/creations")
        return httpx.Response(200, json={"id": TASK, "err_code": "", **answer})

    loaded = Generation.objects.select_related("connection").get(pk=generation.pk)

    async def one_poll() -> timedelta | None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await dispatcher.Dispatcher(client=client).poll(loaded)

    return async_to_sync(one_poll)()


def test_a_generation_polled_past_its_deadline_is_marked_stalled_and_polled_less_often(
    generation, settings
):
    settings.GENERATIONS_STALL_SECONDS = 600
    settings.GENERATIONS_SIMULATOR_POLL = 2
    submitted(generation, ago=timedelta(minutes=11))

    delay = poll(generation, {"state": "processing"})

    generation.refresh_from_db()
    assert generation.stalled
    assert generation.state == State.PROCESSING
    assert generation.history.last().detail.startswith("stalled: no result 11 min after")
    assert delay > timedelta(seconds=2 * 1.2)  # slower than the usual 2 s ±20 %


def test_a_generation_within_its_deadline_is_not_stalled(generation, settings):
    settings.GENERATIONS_STALL_SECONDS = 600
    submitted(generation, ago=timedelta(minutes=9))

    delay = poll(generation, {"state": "processing"})

    generation.refresh_from_db()
    assert not generation.stalled
    assert delay <= timedelta(seconds=settings.GENERATIONS_SIMULATOR_POLL * 1.2)


def test_a_stalled_generation_is_marked_only_once(generation, settings):
    settings.GENERATIONS_STALL_SECONDS = 600
    submitted(generation, ago=timedelta(hours=1))

    poll(generation, {"state": "processing"})
    poll(generation, {"state": "processing"})

    details = generation.history.values_list("detail", flat=True)
    assert sum(detail.startswith("stalled:") for detail in details) == 1


def test_a_stalled_generation_that_succeeds_is_no_longer_stalled(generation, settings):
    settings.GENERATIONS_STALL_SECONDS = 600
    submitted(generation, ago=timedelta(hours=1), stalled=True)

    delay = poll(generation, {"state": "success", "creations": [{"url": "https://x/1.png"}]})

    generation.refresh_from_db()
    assert generation.state == State.DOWNLOADING
    assert not generation.stalled
    assert delay == timedelta(0)


def test_a_provider_unreachable_past_the_deadline_also_shows_as_stalled(
    generation, settings, monkeypatch
):
    settings.GENERATIONS_STALL_SECONDS = 600
    submitted(generation, ago=timedelta(hours=1))

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "_sleep", no_wait)  # the transport's retries, at once

    poll(generation, answer=None)

    generation.refresh_from_db()
    assert generation.stalled
    assert generation.state == State.SUBMITTED


def test_off_peak_generations_wait_48_hours_before_they_count_as_stalled(generation, settings):
    settings.GENERATIONS_STALL_SECONDS = 600
    generation.params = {**generation.params, "off_peak": True}
    generation.save()
    submitted(generation, ago=timedelta(hours=20))

    poll(generation, {"state": "queueing"})

    generation.refresh_from_db()
    assert not generation.stalled
    assert dispatcher.stall_after(generation) == timedelta(hours=48)


def test_without_a_setting_the_deadline_is_at_least_half_an_hour(generation, settings):
    settings.GENERATIONS_STALL_SECONDS = 0

    assert dispatcher.stall_after(generation) == timedelta(minutes=30)


def test_an_impossible_credit_figure_is_not_stored(generation):
    submitted(generation)

    apply_update(generation.pk, status("processing", credits=2**40))

    generation.refresh_from_db()
    assert generation.state == State.PROCESSING
    assert generation.credits is None
