"""Never pay twice, never fail a paid task on a guess (DESIGN §0), step by step.

Each test drives the real dispatcher against a provider replayed through
`httpx.MockTransport`, shaped as its documents say; the end-to-end runs against the
simulator's fault tags are in test_faults.py.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from generations import actions, dispatcher
from generations.models import Generation, Mode, ProviderExchange, State
from generations.services import GenerationRejected, request_generation
from projects.models import Project, ProjectMembership
from providers import http
from providers.models import ProviderConnection
from tests.factories import make_png

KEY = "kk_test_key_0123456789abcdef"
# The dispatcher closes stale connections before each step, as a long-lived process
# must; that needs real transactions, not the test's wrapping one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "_sleep", no_sleep)


class Provider:
    """A provider replayed from a table of handlers; it counts the creates it receives."""

    def __init__(self, routes: dict) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, suffix), handler in self.routes.items():
            if request.method == method and request.url.path.endswith(suffix):
                return handler(request) if callable(handler) else handler
        return httpx.Response(404)  # a gateway without that route: no body at all

    @property
    def creates(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]


def lose_the_answer(request: httpx.Request) -> httpx.Response:
    """The provider made the task, then the connection closed before the answer."""
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def make_connection(kind: str, **fields) -> ProviderConnection:
    connection = ProviderConnection.objects.create(
        name=kind.upper(), kind=kind, base_url=f"https://{kind}.example", **fields
    )
    connection.set_api_key(KEY)
    connection.save()
    return connection


def make_generation(owner, connection, *, mode=Mode.TEXT_TO_IMAGE, model="viduq2") -> Generation:
    project = Project.objects.create(owner=owner, name=f"Money {connection.kind}")
    [generation] = request_generation(
        project=project,
        user=owner,
        connection=connection,
        mode=mode,
        model=model,
        prompt="A heron at dawn",
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
    )
    return generation


class Failures(logging.Handler):
    """The errors the dispatcher logs: a step it gave up on ("retrying soon")."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def step(generation: Generation, provider: Provider) -> Generation:
    """One dispatcher step on this generation, as a claim would run it.

    A step the dispatcher gave up on fails the test with its traceback: every step
    here is meant to complete (the retry after one that did not is another test's)."""
    worker = dispatcher.Dispatcher()
    Generation.objects.filter(pk=generation.pk).update(
        lease_owner=worker.owner, lease_expires_at=timezone.now() + timedelta(minutes=1)
    )

    async def run() -> None:
        transport = httpx.MockTransport(provider)
        async with http.make_client(transport=transport) as client:
            worker.client = client
            await worker.step(generation.pk)

    failures = Failures()
    level = dispatcher.logger.level
    dispatcher.logger.addHandler(failures)
    if not dispatcher.logger.isEnabledFor(logging.ERROR):  # a quieter LOG_LEVEL
        dispatcher.logger.setLevel(logging.ERROR)
    try:
        async_to_sync(run)()
    finally:
        dispatcher.logger.removeHandler(failures)
        dispatcher.logger.setLevel(level)
    for record in failures.records:
        text = logging.Formatter().format(record)
        raise AssertionError(f"the dispatcher step failed:\n{text}")
    generation.refresh_from_db()
    return generation


def age_history(generation: Generation, seconds: float) -> None:
    """As if everything so far happened `seconds` earlier (no waiting on real time)."""
    earlier = timedelta(seconds=seconds)
    for change in generation.history.all():
        change.at -= earlier
        change.save(update_fields=["at"])
    Generation.objects.filter(pk=generation.pk).update(
        created_at=generation.created_at - earlier,
        submitted_at=(generation.submitted_at - earlier) if generation.submitted_at else None,
    )


# --- a create whose answer is lost --------------------------------------------------------


def test_a_lost_answer_on_kkiai_asks_the_designer_and_never_sends_twice(alice):
    provider = Provider({("POST", "/ent/v2/reference2image"): lose_the_answer})
    generation = make_generation(alice, make_connection("kkiai"))

    generation = step(generation, provider)
    assert generation.state == State.SUBMISSION_UNKNOWN
    generation = step(generation, provider)

    assert generation.state == State.NEEDS_ATTENTION
    assert "KKIAI documents no task list" in generation.provider_note
    assert "the connection was dropped" in generation.provider_note
    for _ in range(3):
        generation = step(generation, provider)
    assert len(provider.creates) == 1
    assert generation.state == State.NEEDS_ATTENTION
    assert generation.next_action_at is None


@pytest.mark.parametrize("junk", [b"", b"<html><body>502</body></html>", b"[]"])
def test_a_2xx_create_answer_that_cannot_be_read_is_never_sent_again(alice, junk):
    provider = Provider({("POST", "/ent/v2/reference2image"): httpx.Response(200, content=junk)})
    generation = make_generation(alice, make_connection("kkiai"))

    for _ in range(4):
        generation = step(generation, provider)

    assert len(provider.creates) == 1
    assert generation.state == State.NEEDS_ATTENTION


def test_vidu_finds_a_lost_create_through_its_documented_list_and_query(alice, settings):
    found = {"id": "vt-9", "state": "processing", "payload": ""}

    def create(request: httpx.Request) -> httpx.Response:
        found["payload"] = json.loads(request.content)["payload"]
        raise httpx.ReadTimeout("timed out")

    provider = Provider(
        {
            ("POST", "/ent/v2/reference2image"): create,
            # Documented list items carry no payload [V-list].
            ("GET", "/ent/v2/tasks"): lambda r: httpx.Response(
                200,
                json={
                    "tasks": [{"id": "vt-9", "model": "viduq2", "prompt": "A heron at dawn"}],
                    "next_page_token": "",
                },
            ),
            ("GET", "/ent/v2/tasks/vt-9/creations"): lambda r: httpx.Response(200, json=found),
        }
    )
    generation = make_generation(alice, make_connection("vidu"))

    generation = step(generation, provider)
    assert generation.state == State.SUBMISSION_UNKNOWN
    generation = step(generation, provider)

    assert generation.state == State.PROCESSING
    assert generation.provider_task_id == "vt-9"
    assert len(provider.creates) == 1
    assert "found in the provider's task list" in " ".join(
        generation.history.values_list("detail", flat=True)
    )


def test_vidu_with_no_such_task_in_its_list_asks_the_designer_after_a_grace(alice, settings):
    settings.GENERATIONS_RECONCILE_GRACE_SECONDS = 60
    empty = httpx.Response(200, json={"tasks": [], "next_page_token": ""})
    provider = Provider(
        {
            ("POST", "/ent/v2/reference2image"): httpx.Response(502, text="Bad gateway"),
            ("GET", "/ent/v2/tasks"): empty,
        }
    )
    generation = make_generation(alice, make_connection("vidu"))
    generation = step(generation, provider)
    generation = step(generation, provider)
    assert generation.state == State.SUBMISSION_UNKNOWN  # a create may still appear

    age_history(generation, 61)
    generation = step(generation, provider)

    assert generation.state == State.NEEDS_ATTENTION
    assert "probably not created" in generation.provider_note
    assert len(provider.creates) == 1


def test_a_refused_connection_proves_nothing_was_created_and_is_retried(alice, settings):
    answers = iter([httpx.ConnectError("[Errno 111] Connection refused")] * 3)

    def create(request):
        try:
            raise next(answers)
        except StopIteration:
            return httpx.Response(200, json={"task_id": "k-1", "state": "created"})

    provider = Provider({("POST", "/ent/v2/reference2image"): create})
    generation = make_generation(alice, make_connection("kkiai"))

    generation = step(generation, provider)
    assert generation.state == State.QUEUED  # nothing reached KKIAI: safe to send again
    generation = step(generation, provider)
    assert generation.state == State.SUBMITTED
    assert generation.provider_task_id == "k-1"


# --- the designer decides ------------------------------------------------------------------


@pytest.fixture
def waiting(alice) -> Generation:
    provider = Provider({("POST", "/ent/v2/reference2image"): lose_the_answer})
    generation = make_generation(alice, make_connection("kkiai"))
    step(generation, provider)
    return step(generation, provider)


def test_check_again_looks_once_more_without_sending(alice, waiting):
    actions.check_again(generation=waiting, user=alice)
    waiting.refresh_from_db()
    assert waiting.state == State.SUBMISSION_UNKNOWN
    assert waiting.next_action_at is not None

    provider = Provider({})
    waiting = step(waiting, provider)
    assert provider.creates == []
    assert waiting.state == State.NEEDS_ATTENTION


def test_submit_again_sends_a_second_create_only_on_the_explicit_click(alice, waiting):
    first_payload = waiting.payload
    actions.submit_again(generation=waiting, user=alice)
    waiting.refresh_from_db()
    assert waiting.state == State.QUEUED
    assert waiting.payload != first_payload
    assert "may be charged" not in waiting.provider_note
    assert "accepted a possible second charge" in waiting.history.last().detail

    provider = Provider(
        {("POST", "/ent/v2/reference2image"): httpx.Response(200, json={"task_id": "k-2"})}
    )
    waiting = step(waiting, provider)
    assert waiting.state == State.SUBMITTED
    assert waiting.provider_task_id == "k-2"


def test_mark_failed_ends_it_without_asking_the_provider(alice, waiting):
    actions.mark_failed(generation=waiting, user=alice)
    waiting.refresh_from_db()
    assert waiting.state == State.FAILED
    assert waiting.err_code == "MarkedFailed"
    assert "check the provider account" in waiting.error_message


def test_submit_again_is_refused_unless_a_decision_is_needed(alice, waiting):
    actions.mark_failed(generation=waiting, user=alice)
    waiting.refresh_from_db()
    with pytest.raises(actions.ActionRefused):
        actions.submit_again(generation=waiting, user=alice)


def test_the_decision_page_offers_the_three_choices_in_words(client, alice, waiting):
    client.force_login(alice)
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert "Needs attention: the provider may have this task" in page
    assert ">Check again</button>" in page
    assert ">Submit again (may be charged twice)</button>" in page
    assert ">Mark failed</button>" in page
    assert "KKIAI documents no task list" in page


def test_viewers_see_the_reason_but_cannot_decide(client, bob, waiting):
    ProjectMembership.objects.create(project=waiting.project, user=bob, role="viewer")
    client.force_login(bob)
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert "KKIAI documents no task list" in page
    assert "Check again</button>" not in page
    for name in ("check", "resubmit", "mark-failed"):
        response = client.post(f"{waiting.get_absolute_url()}{name}/")
        assert response.status_code in (403, 404)
    waiting.refresh_from_db()
    assert waiting.state == State.NEEDS_ATTENTION


def test_editors_decide_through_the_buttons(client, alice, waiting):
    client.force_login(alice)
    response = client.post(f"{waiting.get_absolute_url()}resubmit/")
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == State.QUEUED


def test_a_stranger_cannot_decide(client, charlie, waiting):
    client.force_login(charlie)
    for name in ("check", "resubmit", "mark-failed"):
        assert client.post(f"{waiting.get_absolute_url()}{name}/").status_code == 404


# --- polling: never fail a task the provider may still deliver -------------------------------


@pytest.fixture
def kkiai_task(alice) -> Generation:
    provider = Provider(
        {("POST", "/ent/v2/reference2image"): httpx.Response(200, json={"task_id": "k-7"})}
    )
    generation = make_generation(alice, make_connection("kkiai"))
    return step(generation, provider)


def test_a_poll_that_meets_no_route_keeps_the_task_and_says_what_kkiai_answered(kkiai_task):
    provider = Provider({})  # every query route answers a bare 404

    generation = step(kkiai_task, provider)

    assert generation.state == State.SUBMITTED
    assert generation.provider_task_id == "k-7"
    assert "answered 404 (no such route)" in generation.provider_note
    assert generation.quiet_since is not None
    assert generation.next_action_at is not None
    assert "poll: KKIAI answered 404" in generation.history.last().detail


def test_a_kkiai_task_answering_404_for_a_while_still_finishes(kkiai_task):
    generation = step(kkiai_task, Provider({}))
    done = {"id": "k-7", "state": "success", "creations": [{"url": "https://cdn.kk/1.png"}]}
    provider = Provider({("GET", "/ent/v2/tasks/k-7/creations"): httpx.Response(200, json=done)})

    generation = step(generation, provider)

    assert generation.state == State.DOWNLOADING
    assert generation.provider_note == ""
    assert generation.quiet_since is None


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"reason": "InternalServiceFailure"}),
        httpx.Response(404, text="<html>Not Found</html>"),
        httpx.Response(401, json={"reason": "Unauthorized"}),
        httpx.ReadTimeout("timed out"),
    ],
    ids=["5xx", "html-404", "key-refused", "timeout"],
)
def test_no_undocumented_poll_answer_fails_a_paid_task(kkiai_task, answer):
    def query(request):
        if isinstance(answer, Exception):
            raise answer
        return answer

    provider = Provider({("GET", "/ent/v2/tasks/k-7/creations"): query})
    generation = step(kkiai_task, provider)
    assert generation.state == State.SUBMITTED
    assert generation.provider_note.startswith("Last answer at ")


def test_polls_that_keep_failing_back_off(kkiai_task, settings):
    settings.GENERATIONS_SIMULATOR_POLL = 2
    settings.GENERATIONS_POLL_SECONDS = 30
    step(kkiai_task, Provider({}))
    Generation.objects.filter(pk=kkiai_task.pk).update(
        quiet_since=timezone.now() - timedelta(minutes=4)
    )
    kkiai_task.refresh_from_db()
    loaded = Generation.objects.select_related("connection").get(pk=kkiai_task.pk)

    async def one_poll():
        async with http.make_client(transport=httpx.MockTransport(Provider({}))) as client:
            return await dispatcher.Dispatcher(client=client).poll(loaded)

    delay = async_to_sync(one_poll)()
    assert delay >= timedelta(minutes=4)  # well past the usual 30 s


def test_past_the_deadline_a_silent_provider_shows_stalled_and_stops(kkiai_task, settings):
    settings.GENERATIONS_STALL_SECONDS = 600
    age_history(kkiai_task, 601)
    kkiai_task.refresh_from_db()

    generation = step(kkiai_task, Provider({}))

    assert generation.stalled
    assert generation.state == State.SUBMITTED
    assert actions.can_check_again(generation)
    assert "Check again" in generation.history.last().detail

    actions.check_again(generation=generation, user=None)
    generation.refresh_from_db()
    assert not generation.stalled
    assert generation.next_action_at is not None


def test_a_documented_task_not_found_fails_only_after_the_grace(kkiai_task, settings):
    settings.GENERATIONS_NOT_FOUND_GRACE_SECONDS = 120
    missing = httpx.Response(404, json={"code": 404, "reason": "TaskNotFound", "message": "no"})
    provider = Provider({("GET", "/ent/v2/tasks/k-7/creations"): missing})

    generation = step(kkiai_task, provider)
    assert generation.state == State.SUBMITTED

    age_history(generation, 121)
    generation = step(generation, provider)
    assert generation.state == State.FAILED
    assert generation.err_code == "TaskNotFound"


# --- the provider log ------------------------------------------------------------------------


def test_every_request_and_answer_is_kept_in_the_provider_log_with_keys_hidden(
    alice, client, settings
):
    provider = Provider(
        {
            ("POST", "/ent/v2/reference2image"): lambda r: httpx.Response(
                200, json={"task_id": "k-8", "state": "created", "echo": r.headers["Authorization"]}
            )
        }
    )
    connection = make_connection("kkiai")
    project = Project.objects.create(owner=alice, name="Log")
    from generations.services import InputImage
    from providers.base import ImageInput

    [generation] = request_generation(
        project=project,
        user=alice,
        connection=connection,
        mode=Mode.REFERENCE_TO_IMAGE,
        model="viduq2",
        prompt="A heron like this",
        params={"resolution": "1080p", "aspect_ratio": "1:1"},
        inputs=[InputImage(role="image", image=ImageInput(make_png(), "image/png", 256, 256))],
    )
    generation = step(generation, provider)
    step(generation, Provider({}))

    log = list(ProviderExchange.objects.filter(generation=generation))
    create = log[0]
    assert create.method == "POST"
    assert create.status == 200
    assert create.url == "https://kkiai.example/ent/v2/reference2image"
    assert KEY not in create.request_body + create.response_body
    assert "data:image/png;base64," in create.request_body
    assert "KB)" in create.request_body  # the image is shortened, not 300 KB of base64
    assert len(create.request_body) < 2000
    assert [entry.status for entry in log[1:]] == [404, 404, 404]

    client.force_login(alice)
    page = client.get(generation.get_absolute_url()).content.decode()
    assert "Provider log" in page
    assert "/ent/v2/reference2image" in page
    assert KEY not in page


# --- what each connection offers -----------------------------------------------------------


def test_a_model_the_connection_does_not_offer_is_refused_before_anything_is_sent(alice):
    connection = make_connection("kkiai")
    project = Project.objects.create(owner=alice, name="Offer")
    with pytest.raises(GenerationRejected) as refused:
        request_generation(
            project=project,
            user=alice,
            connection=connection,
            mode=Mode.TEXT_TO_VIDEO,
            model="viduq3-pro",
            prompt="A heron takes off",
            params={},
        )
    assert refused.value.errors[0].field == "model"
    assert "KKIAI does not offer viduq3-pro for text to video" in str(refused.value)
    assert not Generation.objects.filter(project=project).exists()


def test_staff_can_enable_an_undocumented_pair_as_an_experiment(alice):
    connection = make_connection("kkiai", experimental=["text2video:viduq3-pro"])
    generation = make_generation(alice, connection, mode=Mode.TEXT_TO_VIDEO, model="viduq3-pro")
    assert generation.state == State.QUEUED
