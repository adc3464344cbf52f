"""The dispatcher (DESIGN §4): concurrency limits, leases and wake-ups."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from django.utils import timezone

from generations.dispatcher import Dispatcher, claim_due
from generations.models import IN_FLIGHT_STATES, Generation, Mode, State
from generations.services import request_generation
from projects.models import Project
from providers import http
from providers.models import ProviderConnection


def make_generation(project, connection, prompt: str = "A heron") -> Generation:
    [generation] = request_generation(
        project=project,
        user=project.owner,
        connection=connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt=prompt,
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
    )
    return generation


def most_in_flight_at_once(generations: list[Generation]) -> int:
    """From the state histories: the most generations in flight at any one moment."""
    events = []
    for generation in generations:
        inside = False
        for change in generation.history.all():
            now_inside = change.state in IN_FLIGHT_STATES
            if now_inside != inside:
                events.append((change.at, 1 if now_inside else -1))
                inside = now_inside
    most = current = 0
    for _at, step in sorted(events):  # at equal times, leaving (-1) sorts first
        current += step
        most = max(most, current)
    return most


def test_a_connection_never_has_more_generations_in_flight_than_its_limit(pipeline):
    pipeline.connection.concurrency_limit = 2
    pipeline.connection.save()
    # 0.6 s each, and the simulator itself would run all five at once.
    generations = [
        make_generation(pipeline.project, pipeline.connection, f"Shot {n} #sim:slow=3")
        for n in range(5)
    ]

    for generation in generations:
        pipeline.wait_for_state(generation, State.READY, State.FAILED)

    assert all(generation.state == State.READY for generation in generations)
    assert most_in_flight_at_once(generations) == 2


def test_two_dispatchers_claiming_at_once_never_claim_the_same_generation(transactional_db, alice):
    connection = ProviderConnection.objects.create(name="Sim", kind="simulator")
    project = Project.objects.create(owner=alice, name="Claims")
    expected = {make_generation(project, connection).pk for _ in range(24)}
    # In lockstep: each round, both ask at the same moment for two more.
    rounds = threading.Barrier(2, timeout=10)
    claimed: dict[str, list[int]] = {"first": [], "second": []}

    def dispatcher(owner: str) -> None:
        try:
            while True:
                rounds.wait()
                ids = claim_due(owner, limit=2)
                claimed[owner] += ids
                if not ids:
                    return
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher, args=(owner,)) for owner in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    first, second = set(claimed["first"]), set(claimed["second"])
    assert len(first) == len(claimed["first"]) and len(second) == len(claimed["second"])
    assert not first & second
    assert first | second == expected
    assert len(first) == len(second) == 12  # both took part in every round


@pytest.fixture
def paused_dispatcher(fast_pipeline):
    """The live studio runs only the simulator's clock; the test drives a dispatcher."""
    fast_pipeline.STUDIO_BACKGROUND_TASKS = ["simulator.clock.run"]
    return fast_pipeline


def tick(dispatcher: Dispatcher) -> int:
    """One round of a dispatcher's loop (claim what is due, work on it)."""

    async def one_tick() -> int:
        async with http.make_client() as client:
            dispatcher.client = client
            return await dispatcher.tick()

    return async_to_sync(one_tick)()


def tick_until_finished(dispatcher: Dispatcher, generation: Generation) -> None:
    """Run the dispatcher's rounds until the generation is finished (then re-read it)."""
    deadline = time.monotonic() + 30
    while not Generation.objects.get(pk=generation.pk).is_terminal:
        assert time.monotonic() < deadline, "the dispatcher never finished the work"
        tick(dispatcher)
        time.sleep(0.05)
    generation.refresh_from_db()


def test_work_whose_lease_expired_is_taken_over_by_another_dispatcher(
    paused_dispatcher, pipeline, settings
):
    generation = make_generation(pipeline.project, pipeline.connection)
    # A dispatcher claims it, then dies without ever letting go.
    assert claim_due("crashed", limit=10) == [generation.pk]
    survivor = Dispatcher()

    assert tick(survivor) == 0  # the lease is still live: hands off
    # Time passes past the lease (written, not waited for).
    Generation.objects.filter(pk=generation.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    tick_until_finished(survivor, generation)

    assert generation.state == State.READY, generation.error_message
    assert generation.lease_owner == ""


def test_new_work_and_callbacks_wake_a_sleeping_dispatcher_at_once(with_callbacks, settings):
    # Left alone, the dispatcher would look at the database only every ten minutes.
    settings.GENERATIONS_TICK_SECONDS = 600
    settings.GENERATIONS_SIMULATOR_FIRST_POLL = 600
    settings.GENERATIONS_SIMULATOR_POLL = 600
    time.sleep(0.3)  # it is now in its long sleep

    generation = make_generation(with_callbacks.project, with_callbacks.connection)

    generation = with_callbacks.wait_for_state(generation, State.READY, State.FAILED)
    assert generation.state == State.READY, generation.error_message
    assert generation.polls >= 1  # looked at again because of a callback, not a timer


def test_an_unreachable_provider_leaves_a_queued_generation_to_retry_later(
    paused_dispatcher, pipeline, settings, monkeypatch
):
    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "_sleep", no_wait)
    pipeline.connection.base_url = "http://127.0.0.1:9/simulator"  # nothing listens there
    pipeline.connection.save()
    generation = make_generation(pipeline.project, pipeline.connection)

    assert tick(Dispatcher()) == 1

    generation.refresh_from_db()
    assert generation.state == State.QUEUED
    assert "will retry: Could not reach http://127.0.0.1:9" in generation.history.last().detail
    assert generation.next_action_at is not None and generation.lease_owner == ""
    # The create never left this machine, so nothing was spent and nothing can be doubled.
    assert not httpx.get(
        f"{pipeline.url}/simulator/ent/v2/tasks",
        params={"payload": str(generation.payload)},
        headers={"Authorization": f"Token {pipeline.connection.api_key}"},
    ).json()["tasks"]


@pytest.mark.parametrize("claimed_by_another", [True, False], ids=["claimed", "unclaimed"])
def test_a_dispatcher_whose_lease_ran_out_before_sending_never_sends(
    paused_dispatcher, pipeline, monkeypatch, claimed_by_another
):
    from generations import services
    from simulator.models import SimTask

    generation = make_generation(pipeline.project, pipeline.connection)
    build_request = services.provider_request

    def slow_to_build(generation, **kwargs):
        # While this dispatcher builds its request its lease runs out, and another may
        # claim the work: it sees no create sent yet.
        Generation.objects.filter(pk=generation.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        if claimed_by_another:
            assert claim_due("the other", limit=10) == [generation.pk]
        return build_request(generation, **kwargs)

    monkeypatch.setattr(services, "provider_request", slow_to_build)
    tick(Dispatcher())

    assert SimTask.objects.count() == 0  # the slow one sent nothing
    generation.refresh_from_db()
    assert generation.sending_at is None
    if claimed_by_another:
        assert generation.lease_owner == "the other"
        # The other dies too.
        Generation.objects.filter(pk=generation.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        # Not left submitting with nothing planned: the next look queues it again.
        assert generation.next_action_at is not None
        assert generation.next_action_at <= timezone.now()

    # Whoever takes it over sends it once and finishes it.
    monkeypatch.setattr(services, "provider_request", build_request)
    tick_until_finished(Dispatcher(), generation)
    assert generation.state == State.READY, generation.error_message
    assert SimTask.objects.count() == 1


@pytest.mark.parametrize("moved_on_to", ["ready", "failed", "a new create"])
def test_a_create_answer_arriving_after_the_generation_moved_on_changes_nothing(
    paused_dispatcher, pipeline, moved_on_to
):
    """A dispatcher that outlived its lease hears its create's answer late: meanwhile
    another found the task and finished it, the designer marked it failed, or the
    designer sent it again (a new payload, its create now on its way)."""
    import uuid

    from generations import dispatcher
    from providers.base import ProviderError, TaskState, TaskStatus

    generation = make_generation(pipeline.project, pipeline.connection)
    stale = Generation.objects.get(pk=generation.pk)
    stale.state, stale.attempts = State.SUBMITTING, 1  # as the slow dispatcher last saw it
    if moved_on_to == "ready":
        tick_until_finished(Dispatcher(), generation)
    elif moved_on_to == "failed":
        Generation.objects.filter(pk=generation.pk).update(state=State.FAILED)
    else:
        Generation.objects.filter(pk=generation.pk).update(
            state=State.SUBMITTING, payload=uuid.uuid4(), sending_at=timezone.now()
        )
    generation.refresh_from_db()
    before = (generation.state, generation.payload, generation.next_action_at)
    steps = generation.history.count()

    if generation.provider_task_id:
        # The task it already follows, found again by another look: nothing to add.
        same = TaskStatus(task_id=generation.provider_task_id, state=TaskState.SUCCESS)
        assert dispatcher._submitted(stale, same) is False
        assert generation.history.count() == steps
    late_answer = TaskStatus(task_id="late-task", state=TaskState.CREATED)
    assert dispatcher._submitted(stale, late_answer) is False
    for error in (
        ProviderError("timed out", submission_unknown=True),
        ProviderError("busy", status=429),
        ProviderError("bad request", permanent=True),
    ):
        # Not ours any more: the next look (whoever's) sees where it stands.
        assert dispatcher._submit_failed(stale, error) == timedelta(0)

    generation.refresh_from_db()
    assert (generation.state, generation.payload, generation.next_action_at) == before
    assert generation.provider_task_id != "late-task"
    # The late task id is kept where the designer can see it: it may have been paid for.
    [kept] = generation.history.all()[steps:]
    assert "late-task" in kept.detail and kept.state == before[0]


def test_a_late_answer_to_a_create_the_designer_was_asked_about_is_followed(
    paused_dispatcher, pipeline
):
    from generations import dispatcher
    from providers.base import TaskState, TaskStatus

    generation = make_generation(pipeline.project, pipeline.connection)
    Generation.objects.filter(pk=generation.pk).update(
        state=State.NEEDS_ATTENTION, next_action_at=None, sending_at=timezone.now()
    )
    stale = Generation.objects.get(pk=generation.pk)

    answer = TaskStatus(task_id="found-late", state=TaskState.CREATED)
    assert dispatcher._submitted(stale, answer) is True

    generation.refresh_from_db()
    assert generation.state == State.SUBMITTED
    assert generation.provider_task_id == "found-late"
    # No lease and nothing planned before: it is due now, not left for a callback.
    assert generation.next_action_at is not None
    assert generation.next_action_at <= timezone.now()
