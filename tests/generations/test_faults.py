"""The simulator's fault tags, end to end over real HTTP: every generation still ends
ready or with a clear failure, is never submitted twice and never goes backwards."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from generations.models import STATE_RANK, Generation, State
from simulator.models import SimCallback, SimTask


def make_generation(pipeline, prompt: str) -> Generation:
    return pipeline.request_still(prompt)


def finish(pipeline, generation: Generation, timeout: float = 30) -> Generation:
    return pipeline.wait_for_state(
        generation, State.READY, State.FAILED, State.CANCELLED, timeout=timeout
    )


def provider_tasks(pipeline, generation: Generation) -> list[dict]:
    """The simulator's tasks created with this generation's payload, read from its
    table: its task list, like Vidu's, neither shows nor filters by `payload`."""
    tasks = SimTask.objects.filter(payload=str(generation.payload)).order_by("-id")
    return [{"id": task.task_id, "state": task.state} for task in tasks]


def states(generation: Generation) -> list[str]:
    return list(generation.history.values_list("state", flat=True))


def wait_for_all_callbacks(generation: Generation, timeout: float = 15) -> None:
    """Until the simulator has delivered (or given up) every callback for this task."""
    deadline = time.monotonic() + timeout
    while True:
        rows = SimCallback.objects.filter(task__task_id=generation.provider_task_id)
        if rows.exists() and not rows.filter(
            status__in=[SimCallback.Status.PENDING, SimCallback.Status.HELD]
        ):
            return
        assert time.monotonic() < deadline, "the simulator never finished its callbacks"
        time.sleep(0.05)


@pytest.fixture
def callbacks_only(with_callbacks, settings):
    """Polls so rare that only callbacks can move a generation along within a test."""
    settings.GENERATIONS_SIMULATOR_FIRST_POLL = 600
    settings.GENERATIONS_SIMULATOR_POLL = 600
    return with_callbacks


def test_a_provider_that_keeps_answering_429_ends_in_a_plain_busy_message(pipeline, settings):
    settings.GENERATIONS_SUBMIT_ATTEMPTS = 3

    generation = finish(pipeline, make_generation(pipeline, "A heron #sim:429"))

    assert generation.state == State.FAILED
    assert generation.err_code == "TooManyRequests"
    assert generation.error_message == (
        "Vidu simulator is busy: too many requests at once (tried 3 times). Try again later."
    )
    assert provider_tasks(pipeline, generation) == []
    tries = list(generation.history.filter(state=State.SUBMITTING).values_list("at", flat=True))
    assert len(tries) == 3
    # The simulator answers `Retry-After: 1`; the dispatcher waits at least that long.
    gaps = [later - earlier for earlier, later in zip(tries, tries[1:], strict=False)]
    assert min(gaps).total_seconds() >= 0.95


def test_a_create_answered_500_is_found_by_its_payload_and_finishes_once(pipeline):
    generation = finish(pipeline, make_generation(pipeline, "A heron #sim:500"))

    assert generation.state == State.READY, generation.error_message
    history = states(generation)
    assert history.index(State.SUBMISSION_UNKNOWN) < history.index(State.SUBMITTED)
    assert generation.attempts == 1
    [task] = provider_tasks(pipeline, generation)
    assert task["id"] == generation.provider_task_id
    assert generation.outputs.count() == 1


def test_with_every_callback_dropped_polling_still_finishes_the_generation(with_callbacks):
    generation = finish(with_callbacks, make_generation(with_callbacks, "#sim:drop-callbacks"))

    assert generation.state == State.READY, generation.error_message
    assert generation.callback_url
    assert generation.polls >= 1
    assert not SimCallback.objects.filter(task__task_id=generation.provider_task_id).exists()


def test_duplicated_callbacks_change_nothing_twice(callbacks_only):
    generation = make_generation(callbacks_only, "A heron #sim:duplicate-callbacks")
    generation = finish(callbacks_only, generation)
    wait_for_all_callbacks(generation)

    assert generation.state == State.READY, generation.error_message
    sent = SimCallback.objects.filter(task__task_id=generation.provider_task_id)
    assert Counter(sent.values_list("state", flat=True)) == {"processing": 2, "success": 2}
    assert all(count == 1 for count in Counter(states(generation)).values()), states(generation)
    assert generation.outputs.count() == 1


def test_callbacks_out_of_order_never_move_a_generation_backwards(callbacks_only):
    generation = make_generation(callbacks_only, "A heron #sim:reorder-callbacks")
    generation = finish(callbacks_only, generation)
    wait_for_all_callbacks(generation)

    assert generation.state == State.READY, generation.error_message
    # The simulator holds `processing` back until after `success` (its own tests check
    # the order); here: both came, and neither moved the generation backwards.
    sent = SimCallback.objects.filter(task__task_id=generation.provider_task_id)
    assert Counter(sent.values_list("state", flat=True)) == {"processing": 1, "success": 1}
    ranks = [STATE_RANK[State(state)] for state in states(generation)]
    assert ranks == sorted(ranks)
    assert len(set(states(generation))) == len(states(generation))


def test_a_task_that_fails_for_lack_of_credits_says_so(pipeline):
    generation = make_generation(pipeline, "A heron #sim:fail=CreditInsufficient")
    generation = finish(pipeline, generation)

    assert generation.state == State.FAILED
    assert generation.err_code == "CreditInsufficient"
    assert generation.error_message == "Not enough credits on this Vidu simulator account"
    assert generation.outputs.count() == 0


def test_result_links_that_expired_are_retried_then_fail_with_a_clear_message(pipeline, settings):
    settings.GENERATIONS_DOWNLOAD_ATTEMPTS = 2

    generation = finish(pipeline, make_generation(pipeline, "A heron #sim:expire-urls=0"))

    assert generation.state == State.FAILED
    assert generation.err_code == "DownloadFailed"
    assert generation.download_attempts == 2
    assert generation.error_message.startswith("The result could not be downloaded (tried 2 times)")
    assert "the link may have expired" in generation.error_message
    assert generation.outputs.count() == 0


def test_result_links_still_valid_when_fetched_are_downloaded(pipeline):
    generation = finish(pipeline, make_generation(pipeline, "A heron #sim:expire-urls=60000"))

    assert generation.state == State.READY, generation.error_message
    assert generation.outputs.count() == 1


def test_a_slow_task_past_its_deadline_shows_as_stalled_until_it_is_ready(pipeline, settings):
    settings.GENERATIONS_STALL_SECONDS = 0.5
    generation = make_generation(pipeline, "A heron #sim:slow=15")  # 3 s instead of 0.2 s

    deadline = time.monotonic() + 20
    while not Generation.objects.get(pk=generation.pk).stalled:
        assert time.monotonic() < deadline, "never marked stalled"
        time.sleep(0.05)
    generation = finish(pipeline, generation)

    assert generation.state == State.READY, generation.error_message
    assert not generation.stalled
    details = list(generation.history.values_list("detail", flat=True))
    assert sum(detail.startswith("stalled:") for detail in details) == 1
    assert generation.polls >= 2


EXPECTED = {
    "A heron": (State.READY, ""),
    "A heron #sim:500": (State.READY, ""),
    "A heron #sim:timeout=1500": (State.READY, ""),
    "A heron #sim:latency=300": (State.READY, ""),
    "A heron #sim:duplicate-callbacks": (State.READY, ""),
    "A heron #sim:reorder-callbacks": (State.READY, ""),
    "A heron #sim:drop-callbacks": (State.READY, ""),
    "A heron #sim:late-callbacks=800": (State.READY, ""),
    "A heron #sim:slow=3": (State.READY, ""),
    "A heron #sim:fail=AuditSubmitIllegal": (State.FAILED, "AuditSubmitIllegal"),
    "A heron #sim:fail": (State.FAILED, "InternalServiceFailure"),
    "A heron #sim:429": (State.FAILED, "TooManyRequests"),
    "A heron #sim:expire-urls=0": (State.FAILED, "DownloadFailed"),
}


def test_every_generation_ends_ready_or_clearly_failed_and_is_never_submitted_twice(
    with_callbacks, settings
):
    settings.GENERATIONS_SUBMIT_ATTEMPTS = 2
    settings.GENERATIONS_DOWNLOAD_ATTEMPTS = 2
    with_callbacks.connection.concurrency_limit = 10
    with_callbacks.connection.save()
    generations = {prompt: make_generation(with_callbacks, prompt) for prompt in EXPECTED}

    for prompt, generation in generations.items():
        generation = finish(with_callbacks, generation, timeout=45)
        state, err_code = EXPECTED[prompt]
        assert (generation.state, generation.err_code) == (state, err_code), (
            prompt,
            generation.error_message,
        )
        assert len(provider_tasks(with_callbacks, generation)) <= 1, prompt
        assert states(generation).count(State.SUBMITTED) <= 1, prompt
        if state == State.READY:
            assert generation.outputs.count() == 1, prompt
        else:
            assert generation.error_message and generation.outputs.count() == 0, prompt
