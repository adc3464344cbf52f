"""Every dialect against the real simulator, over HTTP (the contract test)."""

from __future__ import annotations

import asyncio
import time

import pytest

from providers import http, registry
from providers.base import (
    Endpoint,
    GenerationRequest,
    ImageInput,
    ProviderError,
    TaskLookup,
    TaskState,
)
from tests.factories import make_png

KEY = "sim-test-key-0123456789"

# Where each dialect finds its wire format on the simulator (simulator/urls.py).
MOUNTS = {
    "simulator": "/simulator",
    "vidu": "/simulator",
    "powertokens": "/simulator/vidu",
    "kkiai": "/simulator/kkiai",
    "vtrix": "/simulator/vtrix",
}


@pytest.fixture
def simulator(settings, live_studio):
    return live_studio


@pytest.fixture(autouse=True)
def fast_simulator(settings):
    # Set before live_studio starts (fixture order): the clock reads them as it runs.
    settings.SIMULATOR_IMAGE_SECONDS = 0.3
    settings.SIMULATOR_VIDEO_SECONDS = 30
    settings.SIMULATOR_FAULTS = []
    settings.SIMULATOR_API_KEYS = [KEY]


def connect(kind: str, studio, client):
    return registry.dialect_for(
        kind, base_url=studio.url + MOUNTS[kind], api_key=KEY, client=client
    )


def image_request(prompt: str = "A red lighthouse on a cliff at dusk") -> GenerationRequest:
    return GenerationRequest(
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq2",
        prompt=prompt,
        images=(ImageInput(make_png(256, 256), "image/png", 256, 256),),
        params={"aspect_ratio": "1:1", "resolution": "1080p", "seed": 7},
        payload="gen-live",
    )


async def until_finished(dialect, task_id: str, *, timeout: float = 30):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await dialect.fetch(task_id)
        if status.state in (TaskState.SUCCESS, TaskState.FAILED):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} still {status.raw_state} after {timeout} s")
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("kind", ["simulator", "powertokens", "kkiai", "vtrix"])
async def test_an_image_task_runs_to_success_with_downloadable_results(
    kind, fast_simulator, live_studio, tmp_path
):
    async with http.make_client() as client:
        dialect = connect(kind, live_studio, client)
        created = await dialect.submit(image_request())
        assert created.task_id
        assert created.state in (TaskState.CREATED, TaskState.QUEUEING, TaskState.PROCESSING)

        finished = await until_finished(dialect, created.task_id)
        assert finished.state is TaskState.SUCCESS, finished.message
        assert finished.creations
        if kind == "vtrix":
            assert finished.cost
        else:
            assert finished.credits is not None and finished.credits > 0

        result = await http.download(
            finished.creations[0].url,
            tmp_path / "result",
            max_bytes=50 * 1024 * 1024,
            allow_private=True,
            client=client,
        )
    assert result.content_type in ("image/png", "image/jpeg", "image/webp")
    assert result.size > 0


async def test_a_running_video_task_can_be_cancelled(fast_simulator, live_studio):
    request = GenerationRequest(
        endpoint=Endpoint.TEXT2VIDEO,
        model="viduq2",
        prompt="Waves on a beach",
        params={"duration": 2, "resolution": "540p"},
    )
    async with http.make_client() as client:
        dialect = connect("simulator", live_studio, client)
        created = await dialect.submit(request)
        await dialect.cancel(created.task_id)
        status = await dialect.fetch(created.task_id)
        assert status.state is TaskState.FAILED
        assert status.err_code == "UserCancelled"

        # Cancelling a finished task is refused, in words.
        with pytest.raises(ProviderError) as caught:
            await dialect.cancel(created.task_id)
        assert caught.value.permanent is True


async def test_the_simulator_refuses_the_wrong_authorization_form(fast_simulator, live_studio):
    async with http.make_client() as client:
        # The official (Token) dialect pointed at the Bearer mount.
        wrong = registry.dialect_for(
            "vidu", base_url=live_studio.url + "/simulator/vidu", api_key=KEY, client=client
        )
        with pytest.raises(ProviderError) as caught:
            await wrong.submit(image_request())
    assert caught.value.permanent is True
    assert caught.value.message.startswith("The API key was refused by Vidu")


async def test_a_rejected_request_is_explained(fast_simulator, live_studio):
    request = GenerationRequest(
        endpoint=Endpoint.TEXT2VIDEO, model="viduq2", prompt="x", params={"duration": 99}
    )
    async with http.make_client() as client:
        with pytest.raises(ProviderError) as caught:
            await connect("simulator", live_studio, client).submit(request)
    assert caught.value.permanent is True
    assert caught.value.status == 400
    assert "duration" in caught.value.message


@pytest.mark.parametrize("kind", ["powertokens", "kkiai"])
async def test_resellers_document_no_cancel_and_their_mounts_have_none(
    kind, fast_simulator, live_studio
):
    async with http.make_client() as client:
        dialect = connect(kind, live_studio, client)
        created = await dialect.submit(image_request())
        with pytest.raises(ProviderError) as caught:
            await dialect.cancel(created.task_id)
        answer = await client.post(
            f"{live_studio.url}{MOUNTS[kind]}/ent/v2/tasks/{created.task_id}/cancel",
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert caught.value.code == "CancelUnsupported"
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("kind", "verdict", "words"),
    [
        ("simulator", "accepted", "Reachable, key accepted"),
        ("powertokens", "unchecked", "Reachable at the right address"),
        ("kkiai", "unchecked", "Reachable at the right address"),
        ("vtrix", "unchecked", "Reachable at the right address"),
    ],
)
async def test_test_connection_against_the_simulator(
    kind, verdict, words, fast_simulator, live_studio
):
    async with http.make_client() as client:
        check = await connect(kind, live_studio, client).check()
    assert (check.ok, check.verdict) == (True, verdict), check.message
    assert check.message.startswith(words)


@pytest.mark.parametrize("kind", ["powertokens", "kkiai", "vtrix"])
async def test_test_connection_with_another_key_says_it_was_refused_or_cannot_tell(
    kind, fast_simulator, live_studio
):
    async with http.make_client() as client:
        dialect = registry.dialect_for(
            kind, base_url=live_studio.url + MOUNTS[kind], api_key="made-up", client=client
        )
        check = await dialect.check()
    # The mounts check the method before the key, as many gateways do: never "accepted".
    assert "accepted" not in check.message


async def test_test_connection_at_a_wrong_address_says_so(fast_simulator, live_studio):
    async with http.make_client() as client:
        dialect = registry.dialect_for(
            "kkiai", base_url=live_studio.url + "/simulator/nowhere", api_key=KEY, client=client
        )
        check = await dialect.check()
    assert (check.ok, check.verdict) == (False, "wrong_address")


async def test_a_task_can_be_found_again_through_the_documented_list(fast_simulator, live_studio):
    async with http.make_client() as client:
        dialect = connect("simulator", live_studio, client)
        created = await dialect.submit(image_request())
        since = time.time() - 60
        found = await dialect.find_task(lookup("gen-live", since))
        missing = await dialect.find_task(lookup("never-sent", since))
    assert found is not None
    assert found.task_id == created.task_id
    assert missing is None


def lookup(payload: str, since: float) -> TaskLookup:
    return TaskLookup(
        payload=payload,
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq2",
        prompt="A red lighthouse on a cliff at dusk",
        since=since,
    )
