"""Provider callbacks: only a fresh, correctly signed, never-seen callback for a known
generation does anything, and even then its body is only a hint (DESIGN §3, §6)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from generations.models import Generation, Mode, State
from generations.services import request_generation
from projects.models import Project
from providers import signing
from providers.models import ProviderConnection

# The callback view's database work runs in a thread of its own (`in_lasting_thread`), on a
# connection of its own: it sees only what the test has committed.
pytestmark = pytest.mark.django_db(transaction=True)

TASK = "task-77"
LATER = timezone.now() + timedelta(hours=1)


@pytest.fixture
def generation(alice) -> Generation:
    """A generation the provider is working on, waiting for its next poll in an hour."""
    connection = ProviderConnection.objects.create(
        name="Sim", kind="simulator", callbacks_enabled=True
    )
    connection.set_api_key("sim-key-for-callbacks")
    connection.save()
    project = Project.objects.create(owner=alice, name="Callbacks")
    [generation] = request_generation(
        project=project,
        user=alice,
        connection=connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A heron",
        params={},
    )
    Generation.objects.filter(pk=generation.pk).update(
        state=State.PROCESSING,
        provider_task_id=TASK,
        callback_url=f"http://testserver/callbacks/simulator/{generation.callback_token}/",
        next_action_at=LATER,
    )
    generation.refresh_from_db()
    return generation


@pytest.fixture
def client() -> Client:
    # No session and CSRF enforced, as for a provider calling from outside.
    return Client(enforce_csrf_checks=True)


def body(state: str = "success", task_id: str = TASK) -> str:
    return json.dumps({"id": task_id, "state": state, "err_code": "", "creations": []})


def path_of(generation: Generation) -> str:
    return f"/callbacks/simulator/{generation.callback_token}/"


def post(client: Client, path: str, headers: dict[str, str], content: str | None = None):
    return client.post(
        path, data=content or body(), content_type="application/json", headers=headers
    )


def signed(generation: Generation, **overrides) -> dict[str, str]:
    return signing.callback_headers(
        secret=generation.connection.api_key, callback_url=generation.callback_url, **overrides
    )


def untouched(generation: Generation) -> bool:
    """The generation is exactly as the fixture left it: no state change, no poke."""
    fresh = Generation.objects.get(pk=generation.pk)
    return (
        fresh.state == State.PROCESSING
        and fresh.next_action_at == LATER
        and not fresh.poke
        and fresh.history.count() == 1
    )


def test_a_correctly_signed_callback_asks_the_dispatcher_to_look_now(client, generation):
    response = post(client, path_of(generation), signed(generation))

    assert response.status_code == 200
    fresh = Generation.objects.get(pk=generation.pk)
    assert fresh.poke
    assert fresh.next_action_at <= timezone.now()
    # Only a hint: the state moves when the dispatcher has re-read the task.
    assert fresh.state == State.PROCESSING


def test_a_callback_repeating_the_state_we_have_is_answered_without_a_look(client, generation):
    headers = signed(generation)
    response = post(client, path_of(generation), headers, body(state="processing"))

    assert response.status_code == 200
    assert untouched(generation)  # states only move forward: a re-read could teach nothing
    # Still a used nonce: the same callback again is a replay.
    assert post(client, path_of(generation), headers, body(state="success")).status_code == 401


def test_a_callback_repeating_the_state_we_have_puts_the_next_poll_off(
    client, generation, settings
):
    settings.GENERATIONS_SIMULATOR_POLL = 30
    Generation.objects.filter(pk=generation.pk).update(
        next_action_at=timezone.now() + timedelta(seconds=5)
    )
    before = timezone.now()
    response = post(client, path_of(generation), signed(generation), body(state="processing"))

    assert response.status_code == 200
    fresh = Generation.objects.get(pk=generation.pk)
    # The provider is at work on it: the safety-net poll waits a whole interval from now.
    interval = timedelta(seconds=30)
    assert before + interval <= fresh.next_action_at <= timezone.now() + interval
    assert (fresh.state, fresh.poke) == (State.PROCESSING, False)


@pytest.mark.parametrize(
    "held",
    [{"poke": True}, {"lease_owner": "d1", "lease_expires_at": LATER}],
    ids=["poked", "leased"],
)
def test_a_repeated_state_leaves_a_look_already_planned_alone(client, generation, held):
    now = timezone.now()
    Generation.objects.filter(pk=generation.pk).update(next_action_at=now, **held)
    response = post(client, path_of(generation), signed(generation), body(state="processing"))

    assert response.status_code == 200
    assert Generation.objects.get(pk=generation.pk).next_action_at == now


@pytest.mark.parametrize("state", ["success", "failed", "a-state-nobody-documented"])
def test_a_callback_hinting_at_news_or_at_the_unknown_is_looked_at(client, generation, state):
    response = post(client, path_of(generation), signed(generation), body(state=state))

    assert response.status_code == 200
    assert Generation.objects.get(pk=generation.pk).poke


def without_final_newline(generation: Generation) -> dict[str, str]:
    headers = signed(generation)
    text = signing.signing_string(
        method="POST",
        callback_url=generation.callback_url,
        date=headers["Date"],
        signed_headers=[(name, headers[name]) for name in signing.SIGNED_HEADERS],
    )
    headers["X-HMAC-SIGNATURE"] = signing.sign(generation.connection.api_key, text[:-1])
    return headers


def reordered(generation: Generation) -> dict[str, str]:
    return {**signed(generation), "X-HMAC-SIGNED-HEADERS": "x-request-nonce;Date"}


def without_signature(generation: Generation) -> dict[str, str]:
    headers = signed(generation)
    del headers["X-HMAC-SIGNATURE"]
    return headers


def for_another_url(generation: Generation) -> dict[str, str]:
    return signing.callback_headers(
        secret=generation.connection.api_key,
        callback_url="http://testserver/callbacks/simulator/some-other-token/",
    )


REFUSED = {
    "signed with another key": lambda g: signing.callback_headers(
        secret="not-the-key", callback_url=g.callback_url
    ),
    "signed headers listed in another order": reordered,
    "signature without the final newline": without_final_newline,
    "dated 301 s ago": lambda g: signed(g, now=time.time() - 301),
    # The Date header has whole seconds (rounded down): 301 s ahead could arrive as 300.
    "dated 305 s ahead": lambda g: signed(g, now=time.time() + 305),
    "no signature": without_signature,
    "signed for another callback URL": for_another_url,
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_callback_that_fails_verification_is_refused_and_changes_nothing(
    client, generation, case
):
    response = post(client, path_of(generation), REFUSED[case](generation))

    assert response.status_code == 401
    assert untouched(generation)


def test_a_replayed_callback_is_refused_and_changes_nothing(client, generation):
    headers = signed(generation)
    assert post(client, path_of(generation), headers).status_code == 200
    Generation.objects.filter(pk=generation.pk).update(poke=False, next_action_at=LATER)

    response = post(client, path_of(generation), headers)

    assert response.status_code == 401
    assert untouched(generation)


def test_a_callback_about_another_task_is_refused(client, generation):
    response = post(client, path_of(generation), signed(generation), body(task_id="task-other"))

    assert response.status_code == 400
    assert untouched(generation)


def test_an_unknown_token_answers_404(client, generation):
    response = post(client, "/callbacks/simulator/no-such-token/", signed(generation))

    assert response.status_code == 404


def test_a_token_under_another_provider_kind_answers_404(client, generation):
    response = post(client, f"/callbacks/vidu/{generation.callback_token}/", signed(generation))

    assert response.status_code == 404
    assert untouched(generation)


def test_get_on_a_callback_url_is_not_allowed(client, generation):
    assert client.get(path_of(generation)).status_code == 405


def test_the_callback_answers_without_calling_the_provider(client, generation):
    # Nothing listens on port 9: any provider call inside the request would fail.
    generation.connection.base_url = "http://127.0.0.1:9/simulator"
    generation.connection.save()

    response = post(client, path_of(generation), signed(generation))

    assert response.status_code == 200
    assert Generation.objects.get(pk=generation.pk).poke


# --- over real HTTP, against the simulator -----------------------------------------------------


def simulator_task(pipeline, task_id: str) -> dict:
    response = httpx.get(
        f"{pipeline.url}/simulator/ent/v2/tasks/{task_id}/creations",
        headers={"Authorization": f"Token {pipeline.connection.api_key}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_signed_callback_naming_a_foreign_result_url_downloads_only_the_providers_file(
    with_callbacks, settings
):
    settings.GENERATIONS_SIMULATOR_FIRST_POLL = 600  # only a callback can move it along
    settings.GENERATIONS_SIMULATOR_POLL = 600
    [generation] = request_generation(
        project=with_callbacks.project,
        user=with_callbacks.project.owner,
        connection=with_callbacks.connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A heron #sim:drop-callbacks",
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
    )
    generation = with_callbacks.wait_for_state(generation, State.SUBMITTED, State.PROCESSING)
    deadline = time.monotonic() + 20
    while (task := simulator_task(with_callbacks, generation.provider_task_id))["state"] != (
        "success"
    ):
        assert time.monotonic() < deadline, task
        time.sleep(0.05)

    forged = {
        "id": generation.provider_task_id,
        "state": "success",
        "creations": [{"id": "evil", "url": "https://evil.example/x.png"}],
    }
    response = httpx.post(
        generation.callback_url,
        json=forged,
        headers=signing.callback_headers(
            secret=with_callbacks.connection.api_key, callback_url=generation.callback_url
        ),
    )
    assert response.status_code == 200

    generation = with_callbacks.wait_for_state(generation, State.READY, State.FAILED)
    assert generation.state == State.READY, generation.error_message
    [output] = generation.outputs.all()
    [creation] = task["creations"]
    providers_file = httpx.get(creation["url"]).content
    assert output.sha256 == hashlib.sha256(providers_file).hexdigest()
    assert output.provider_creation_id == creation["id"]


@pytest.mark.parametrize("credits", ["1e999", "-1e999", "NaN", str(10**30)])
def test_a_signed_callback_with_an_impossible_number_of_credits_is_answered(
    client, generation, credits
):
    content = (
        f'{{"id": "{TASK}", "state": "success", "err_code": "", "credits": {credits}, '
        '"creations": []}'
    )

    response = post(client, path_of(generation), signed(generation), content)

    assert response.status_code == 200
    assert Generation.objects.get(pk=generation.pk).credits is None
