"""Money safety end to end: the studio's dispatcher against the simulator's faults, over
real HTTP, on the official mount and on the resellers' mounts, each only as lenient as
its documents. One create per generation whatever is lost, and no task the provider
may still deliver is marked failed by an answer its documents do not give."""

from __future__ import annotations

import pytest

from generations.models import Generation, Mode, State
from generations.services import request_generation
from providers import registry
from providers.models import ProviderConnection
from simulator.models import SimTask

ENDED = (State.READY, State.FAILED, State.CANCELLED, State.NEEDS_ATTENTION)


@pytest.fixture
def reseller_pipeline(pipeline, settings):
    """Polls on the simulator's quick clock for the reseller kinds pointed at it."""
    settings.GENERATIONS_RECONCILE_GRACE_SECONDS = 1
    return pipeline


def reseller(pipeline, kind: str, mount: str) -> ProviderConnection:
    connection = ProviderConnection(
        name=f"{kind} (simulated)", kind=kind, base_url=f"{pipeline.url}/simulator/{mount}"
    )
    connection.set_api_key(registry.env_key("simulator"))
    connection.save()
    return connection


def generate(pipeline, connection, prompt: str, *, mode=Mode.TEXT_TO_IMAGE, model="viduq2"):
    params = {"resolution": "1080p", "aspect_ratio": "1:1"} if not mode.is_video else {}
    [generation] = request_generation(
        project=pipeline.project,
        user=pipeline.project.owner,
        connection=connection,
        mode=mode,
        model=model,
        prompt=prompt,
        params=params,
    )
    return generation


def tasks_made(generation: Generation) -> int:
    """Creates the simulator accepted for this generation (every payload it was sent)."""
    payloads = {str(generation.payload)}
    for detail in generation.history.values_list("detail", flat=True):
        if "payload was " in detail:
            payloads.add(detail.rsplit("payload was ", 1)[1].strip(")"))
    return SimTask.objects.filter(payload__in=payloads).count()


@pytest.mark.parametrize(
    "fault", ["#sim:lose-answer", "#sim:junk=empty", "#sim:junk=html", "#sim:junk=list", "#sim:500"]
)
def test_vidu_finds_a_create_whose_answer_was_lost_and_finishes_it_once(pipeline, fault):
    generation = generate(pipeline, pipeline.connection, f"A heron {fault}")

    done = pipeline.wait_for_state(generation, *ENDED, timeout=45)

    assert done.state == State.READY, (done.state, done.provider_note, done.error_message)
    assert tasks_made(done) == 1
    assert done.attempts == 1
    history = list(done.history.values_list("state", flat=True))
    assert history.index(State.SUBMISSION_UNKNOWN) < history.index(State.SUBMITTED)


@pytest.mark.parametrize("fault", ["#sim:lose-answer", "#sim:junk=html", "#sim:500"])
def test_on_kkiai_a_lost_create_waits_for_the_designer_and_is_never_sent_twice(
    reseller_pipeline, fault
):
    kkiai = reseller(reseller_pipeline, "kkiai", "kkiai")
    generation = generate(reseller_pipeline, kkiai, f"A heron {fault}")

    waiting = reseller_pipeline.wait_for_state(generation, *ENDED, timeout=45)

    assert waiting.state == State.NEEDS_ATTENTION
    assert "KKIAI documents no task list" in waiting.provider_note
    assert tasks_made(waiting) == 1


def test_a_kkiai_task_whose_queries_answer_404_for_a_while_is_still_delivered(
    reseller_pipeline,
):
    kkiai = reseller(reseller_pipeline, "kkiai", "kkiai")
    generation = generate(reseller_pipeline, kkiai, "A heron #sim:query-404=1500")

    done = reseller_pipeline.wait_for_state(generation, *ENDED, timeout=45)

    assert done.state == State.READY, (done.state, done.provider_note, done.error_message)
    assert tasks_made(done) == 1
    details = " ".join(done.history.values_list("detail", flat=True))
    assert "answered 404 (no such route)" in details
    assert done.provider_log.filter(status=404).exists()


def test_a_vidu_task_whose_queries_answer_404_for_a_while_is_still_delivered(pipeline):
    generation = generate(pipeline, pipeline.connection, "A heron #sim:query-404=1500")

    done = pipeline.wait_for_state(generation, *ENDED, timeout=45)

    assert done.state == State.READY, (done.state, done.provider_note, done.error_message)
    assert not done.history.filter(state=State.FAILED).exists()


def test_a_powertokens_video_is_followed_on_its_documented_video_route(reseller_pipeline):
    powertokens = reseller(reseller_pipeline, "powertokens", "vidu")
    generation = generate(
        reseller_pipeline,
        powertokens,
        "A heron takes off",
        mode=Mode.TEXT_TO_VIDEO,
        model="viduq3-turbo",
    )

    done = reseller_pipeline.wait_for_state(generation, *ENDED, timeout=60)

    assert done.state == State.READY, (done.state, done.provider_note, done.error_message)
    queries = done.provider_log.filter(method="GET").values_list("url", flat=True)
    assert any("/simulator/vidu/v1/videos/" in url for url in queries)
    assert done.credits is not None  # "credits" as a string, read all the same


def test_a_vtrix_reference_image_goes_through_its_documented_id(reseller_pipeline):
    from generations.services import InputImage
    from providers.base import ImageInput
    from tests.factories import make_png

    vtrix = reseller(reseller_pipeline, "vtrix", "vtrix")
    [generation] = request_generation(
        project=reseller_pipeline.project,
        user=reseller_pipeline.project.owner,
        connection=vtrix,
        mode=Mode.REFERENCE_TO_IMAGE,
        model="viduq2",
        prompt="A heron like this one",
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
        inputs=[InputImage(role="image", image=ImageInput(make_png(), "image/png", 256, 256))],
    )

    done = reseller_pipeline.wait_for_state(generation, *ENDED, timeout=45)

    assert done.state == State.READY, (done.state, done.provider_note, done.error_message)
    create = done.provider_log.get(method="POST")
    assert '"model": "viduq2_reference2image"' in create.request_body
