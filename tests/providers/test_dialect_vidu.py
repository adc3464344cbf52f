"""The official dialect and the resellers that mirror it, against replayed seed answers."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from providers import http, registry, signing
from providers.base import (
    CallbackRequest,
    Endpoint,
    GenerationRequest,
    ImageInput,
    ProviderError,
    SubjectInput,
    TaskLookup,
    TaskState,
)
from tests.factories import make_png
from tests.providers.replay import Replay, answer

KEY = "vda_test_key_0123456789abcd"

# Seed 000 (PowerTokens reference2image) and seed 001 (KKIAI, with its extra fields).
SEED_000 = {
    "task_id": "your_task_id_here",
    "state": "created",
    "model": "viduq2",
    "images": ["your_image_url1", "your_image_url2", "your_image_url3"],
    "prompt": "your_prompt",
    "seed": 0,
    "aspect_ratio": "16:9",
    "resolution": "2K",
    "payload": "",
    "credits": 2,
    "created_at": "2025-09-08T09:53:22.083033428Z",
}
SEED_001 = {
    "task_id": "911092490931552256",
    "state": "created",
    "model": "viduq2",
    "prompt": "一只可爱的小猫坐在窗台上,阳光洒在它的身上,温馨的画面",
    "images": [],
    "seed": 616519648,
    "aspect_ratio": "auto",
    "callback_url": "",
    "payload": "",
    "cus_priority": 0,
    "credits": 6,
    "created_at": "2026-01-20T07:08:12.262592985Z",
    "watermark": False,
}
# Seed 002 (PowerTokens reference2video): credits as the string "15".
SEED_002 = {
    "task_id": "your_task_id_here",
    "state": "created",
    "model": "viduq3",
    "prompt": "@1 and @2 are cooking together, and both say they love hot pot.",
    "duration": 8,
    "seed": 123456789,
    "resolution": "1080p",
    "movement_amplitude": "auto",
    "payload": "",
    "off_peak": False,
    "credits": "15",
    "created_at": "2025-01-01T15:41:31.968916Z",
}
SUCCESS = {
    "id": "task-1",
    "state": "success",
    "err_code": "",
    "credits": 6,
    "payload": "gen-42",
    "creations": [
        {
            "id": "c1",
            "url": "https://cdn.vidu.test/out.png",
            "cover_url": "https://cdn.vidu.test/cover.png",
            "watermarked_url": "",
        }
    ],
}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    async def fake_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "_sleep", fake_sleep)


def image(width: int = 256, height: int = 256) -> ImageInput:
    return ImageInput(make_png(width, height), "image/png", width, height)


def r2i(**extra) -> GenerationRequest:
    return GenerationRequest(
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq2",
        prompt="A cute kitten playing on grass",
        images=(image(),),
        params={"aspect_ratio": "16:9", "resolution": "2K", "seed": 42, "model": "ignored"},
        **extra,
    )


def dialect(kind: str, replay: Replay, base_url: str = ""):
    return registry.dialect_for(kind, base_url=base_url, api_key=KEY, client=replay.client())


# --- create -------------------------------------------------------------------------------


async def test_official_create_posts_the_vidu_body_with_a_token_header():
    replay = Replay({("POST", "/ent/v2/reference2image"): answer(200, SEED_000)})
    status = await dialect("vidu", replay).submit(r2i(payload="gen-42"))

    sent = replay.last
    assert str(sent.url) == "https://api.vidu.com/ent/v2/reference2image"
    assert sent.headers["Authorization"] == f"Token {KEY}"
    body = replay.last_json()
    assert body["model"] == "viduq2"
    assert body["prompt"] == "A cute kitten playing on grass"
    assert body["images"][0].startswith("data:image/png;base64,")
    assert base64.b64decode(body["images"][0].split(",", 1)[1]) == make_png(256, 256)
    assert body["resolution"] == "2K"
    assert body["seed"] == 42
    assert body["payload"] == "gen-42"
    assert "callback_url" not in body

    assert status.task_id == "your_task_id_here"
    assert status.state is TaskState.CREATED
    assert status.credits == 2


async def test_create_sends_the_callback_url_only_when_given():
    replay = Replay({("POST", "/ent/v2/reference2image"): answer(200, SEED_000)})
    await dialect("vidu", replay).submit(
        r2i(callback_url="https://studio.example/callbacks/vidu/abc/")
    )
    assert replay.last_json()["callback_url"] == "https://studio.example/callbacks/vidu/abc/"


async def test_official_dialect_can_point_at_vidu_cn():
    replay = Replay({("POST", "/ent/v2/reference2image"): answer(200, SEED_000)})
    await dialect("vidu", replay, base_url="https://api.vidu.cn").submit(r2i())
    assert replay.last.url.host == "api.vidu.cn"
    assert "https://api.vidu.cn" in registry.base_url_choices("vidu")


async def test_reference2video_sends_named_subjects():
    replay = Replay({("POST", "/vidu/ent/v2/reference2video"): answer(200, SEED_002)})
    request = GenerationRequest(
        endpoint=Endpoint.REFERENCE2VIDEO,
        model="viduq3",
        prompt="@XiaoMing and @XiaoHong are cooking together",
        subjects=(
            SubjectInput("XiaoMing", (image(),)),
            SubjectInput("XiaoHong", (image(300, 300), image(200, 200))),
        ),
        params={"duration": 5, "audio": None},
    )
    status = await dialect("powertokens", replay).submit(request)

    body = replay.last_json()
    assert [s["name"] for s in body["subjects"]] == ["XiaoMing", "XiaoHong"]
    assert len(body["subjects"][1]["images"]) == 2
    assert all(uri.startswith("data:image/") for s in body["subjects"] for uri in s["images"])
    assert "images" not in body
    assert body["duration"] == 5
    assert "audio" not in body  # None means "Vidu's default"
    assert status.credits == 15  # "15" in the seed


async def test_powertokens_base_url_already_includes_vidu_and_uses_bearer():
    replay = Replay({("POST", "/vidu/ent/v2/reference2image"): answer(200, SEED_000)})
    await dialect("powertokens", replay).submit(r2i())
    assert str(replay.last.url) == "https://api.powertokens.ai/vidu/ent/v2/reference2image"
    assert replay.last.headers["Authorization"] == f"Bearer {KEY}"


async def test_kkiai_create_tolerates_its_extra_fields():
    replay = Replay({("POST", "/ent/v2/reference2image"): answer(200, SEED_001)})
    status = await dialect("kkiai", replay).submit(r2i())
    assert str(replay.last.url) == "https://www.kkiai.com/ent/v2/reference2image"
    assert replay.last.headers["Authorization"] == f"Bearer {KEY}"
    assert status.task_id == "911092490931552256"
    assert status.state is TaskState.CREATED
    assert status.credits == 6
    assert status.seed == 616519648


async def test_simulator_dialect_uses_the_official_wire_at_the_simulator_address(settings):
    settings.SIMULATOR_URL = "http://127.0.0.1:8123/simulator"
    replay = Replay({("POST", "/simulator/ent/v2/reference2image"): answer(200, SEED_000)})
    await dialect("simulator", replay).submit(r2i())
    assert str(replay.last.url) == "http://127.0.0.1:8123/simulator/ent/v2/reference2image"
    assert replay.last.headers["Authorization"] == f"Token {KEY}"


async def test_an_oversized_request_is_refused_before_sending():
    request = GenerationRequest(
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq2",
        prompt="x",
        images=(image(),),
        payload="p" * (21 * 1024 * 1024),
    )
    replay = Replay()
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).submit(request)
    assert caught.value.permanent is True
    assert replay.requests == []


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "message", "permanent"),
    [
        (
            400,
            {"code": 400, "reason": "CreditInsufficient", "message": "credit insufficient"},
            "Not enough credits on this Vidu account",
            True,
        ),
        (
            401,
            {"code": 401, "reason": "Unauthorized", "message": ""},
            "The API key was refused by Vidu",
            True,
        ),
        (
            403,
            {"code": 403, "reason": "Forbidden", "message": ""},
            "Vidu refused this request with this API key (forbidden)",
            True,
        ),
        (
            429,
            {"code": 429, "reason": "QuotaExceeded", "message": ""},
            "Vidu is busy: too many tasks at once",
            False,
        ),
        (
            400,
            {"code": 400, "reason": "FieldInvalid", "message": "duration: must be 1-10"},
            "Vidu rejected the request: a parameter is invalid: duration: must be 1-10",
            True,
        ),
        (
            400,
            {"code": 400, "reason": "TaskPromptPolicyViolation"},
            "The prompt was blocked by Vidu's moderation",
            True,
        ),
        (401, "<html>nope</html>", "The API key was refused by Vidu", True),
        (418, {"err_code": "SomethingNew"}, "Vidu rejected the request (418)", True),
    ],
)
async def test_create_errors_become_plain_messages(status, body, message, permanent):
    replay = Replay({("POST", "/ent/v2/reference2image"): answer(status, body)})
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).submit(r2i())
    assert caught.value.message == message
    assert caught.value.permanent is permanent
    assert caught.value.submission_unknown is False


async def test_a_busy_answer_carries_retry_after():
    replay = Replay(
        {
            ("POST", "/ent/v2/reference2image"): answer(
                429, {"reason": "TooManyRequests"}, **{"Retry-After": "12"}
            )
        }
    )
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).submit(r2i())
    assert caught.value.retry_after == 12
    assert caught.value.permanent is False


async def test_a_server_error_on_create_means_the_submission_is_unknown():
    calls = Replay({("POST", "/ent/v2/reference2image"): answer(502, {})})
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", calls).submit(r2i())
    assert caught.value.submission_unknown is True
    assert len(calls.requests) == 1


async def test_reseller_errors_name_the_reseller():
    replay = Replay(
        {("POST", "/vidu/ent/v2/reference2image"): answer(400, {"reason": "CreditInsufficient"})}
    )
    with pytest.raises(ProviderError, match="Not enough credits on this PowerTokens account"):
        await dialect("powertokens", replay).submit(r2i())


async def test_a_key_echoed_in_an_error_body_is_redacted():
    body = {"reason": "Unauthorized", "message": f"invalid token {KEY}"}
    replay = Replay({("POST", "/ent/v2/reference2image"): answer(401, body)})
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).submit(r2i())
    assert KEY not in str(caught.value)
    assert KEY not in caught.value.message


# --- query -------------------------------------------------------------------------------------


async def test_fetch_reads_state_and_creations():
    replay = Replay({("GET", "/ent/v2/tasks/task-1/creations"): answer(200, SUCCESS)})
    status = await dialect("vidu", replay).fetch("task-1")
    assert replay.last.headers["Authorization"] == f"Token {KEY}"
    assert status.state is TaskState.SUCCESS
    assert status.creations[0].url == "https://cdn.vidu.test/out.png"
    assert status.creations[0].cover_url == "https://cdn.vidu.test/cover.png"
    assert status.creations[0].id == "c1"
    assert status.payload == "gen-42"


async def test_fetch_without_an_id_in_the_answer_keeps_the_one_asked_for():
    body = {"state": "processing", "err_code": "", "credits": 0, "creations": []}
    replay = Replay({("GET", "/ent/v2/tasks/t-9/creations"): answer(200, body)})
    status = await dialect("vidu", replay).fetch("t-9")
    assert status.task_id == "t-9"
    assert status.state is TaskState.PROCESSING


@pytest.mark.parametrize("raw", ["created", "queueing", "processing", "success", "failed"])
async def test_every_documented_state_maps(raw):
    replay = Replay({("GET", "/ent/v2/tasks/t/creations"): answer(200, {"state": raw})})
    status = await dialect("vidu", replay).fetch("t")
    assert status.state is TaskState(raw)


async def test_an_unknown_state_is_kept_raw_and_logged(caplog):
    replay = Replay({("GET", "/ent/v2/tasks/t/creations"): answer(200, {"state": "scheduled"})})
    with caplog.at_level(logging.WARNING):
        status = await dialect("vidu", replay).fetch("t")
    assert status.state is None
    assert status.raw_state == "scheduled"
    assert "scheduled" in caplog.text


async def test_a_failed_task_explains_its_error_code():
    body = {"id": "t", "state": "failed", "err_code": "CreationPolicyViolation"}
    replay = Replay({("GET", "/ent/v2/tasks/t/creations"): answer(200, body)})
    status = await dialect("vidu", replay).fetch("t")
    assert status.state is TaskState.FAILED
    assert status.err_code == "CreationPolicyViolation"
    assert status.message == "The result was blocked by Vidu's moderation"


async def test_fetch_retries_a_busy_provider_then_reads_the_task():
    answers = iter([answer(503, {}), answer(200, SUCCESS)])
    replay = Replay({("GET", "/ent/v2/tasks/task-1/creations"): lambda r: next(answers)})
    status = await dialect("vidu", replay).fetch("task-1")
    assert status.state is TaskState.SUCCESS
    assert len(replay.requests) == 2


async def test_fetch_of_an_unknown_task_says_the_provider_has_no_such_task():
    body = {"code": 404, "reason": "TaskNotFound", "message": "task not found"}
    replay = Replay({("GET", "/ent/v2/tasks/nope/creations"): answer(404, body)})
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).fetch("nope")
    assert caught.value.task_missing is True
    assert caught.value.code == "TaskNotFound"


async def test_a_bare_404_on_a_query_does_not_say_the_task_is_missing():
    replay = Replay()  # every route answers 404 with no body
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).fetch("t-1")
    assert caught.value.task_missing is False


async def test_powertokens_queries_a_video_task_on_its_video_route_first():
    body = {"id": "pt-2", "status": "completed", "metadata": {"url": "https://cdn.pt.test/v.mp4"}}
    replay = Replay({("GET", "/vidu/v1/videos/pt-2"): answer(200, body)})
    status = await dialect("powertokens", replay, base_url="https://pt-b.example/vidu").fetch(
        "pt-2", endpoint=Endpoint.IMG2VIDEO
    )
    assert [r.url.path for r in replay.requests] == ["/vidu/v1/videos/pt-2"]
    assert status.state is TaskState.SUCCESS
    assert status.creations[0].url == "https://cdn.pt.test/v.mp4"


async def test_powertokens_falls_back_and_remembers_the_route_per_kind_of_task():
    body = {
        "id": "pt-1",
        "state": "success",
        "credits": "15",
        "creations": [{"url": "https://cdn.pt.test/v.mp4"}],
    }
    replay = Replay({("GET", "/vidu/ent/v2/tasks/pt-1/creations"): answer(200, body)})
    pt = dialect("powertokens", replay, base_url="https://pt-a.example/vidu")
    status = await pt.fetch("pt-1", endpoint=Endpoint.REFERENCE2VIDEO)
    assert [r.url.path for r in replay.requests] == [
        "/vidu/ent/v2/tasks/pt-1",
        "/vidu/v1/videos/pt-1",
        "/vidu/ent/v2/tasks/pt-1/creations",
    ]
    assert status.state is TaskState.SUCCESS
    assert status.credits == 15

    replay.requests.clear()
    await pt.fetch("pt-1", endpoint=Endpoint.REFERENCE2VIDEO)
    assert [r.url.path for r in replay.requests] == ["/vidu/ent/v2/tasks/pt-1/creations"]
    # An image task has its own route, learned on its own.
    replay.requests.clear()
    await pt.fetch("pt-1", endpoint=Endpoint.REFERENCE2IMAGE)
    assert [r.url.path for r in replay.requests] == [
        "/vidu/v1/images/pt-1",
        "/vidu/ent/v2/tasks/pt-1",
        "/vidu/ent/v2/tasks/pt-1/creations",
    ]


async def test_powertokens_reads_the_gateway_result_shapes():
    shapes = [
        {"id": "a", "status": "completed", "video_url": "https://cdn.pt.test/1.mp4"},
        {"id": "a", "status": "completed", "output": {"video_url": "https://cdn.pt.test/2.mp4"}},
        {"id": "a", "status": "succeeded", "metadata": {"url": "https://cdn.pt.test/3.mp4"}},
    ]
    urls = []
    for n, body in enumerate(shapes):
        replay = Replay({("GET", "/vidu/v1/videos/a"): answer(200, body)})
        base = f"https://pt-shape-{n}.example/vidu"
        status = await dialect("powertokens", replay, base_url=base).fetch(
            "a", endpoint=Endpoint.TEXT2VIDEO
        )
        urls.append(status.creations[0].url)
    assert urls == [f"https://cdn.pt.test/{n}.mp4" for n in (1, 2, 3)]


async def test_a_reseller_answering_404_on_every_route_keeps_the_task():
    replay = Replay()
    with pytest.raises(ProviderError) as caught:
        await dialect("kkiai", replay, base_url="https://kk-a.example").fetch("k-1")
    assert caught.value.task_missing is False
    assert caught.value.permanent is False
    assert caught.value.code == "NoQueryRoute"
    assert [r.url.path for r in replay.requests] == [
        "/ent/v2/tasks/k-1/creations",
        "/v1/videos/k-1",
        "/v1/video/query",
    ]


async def test_powertokens_does_not_fall_back_when_the_task_is_unknown():
    body = {"code": 404, "reason": "TaskNotFound"}
    replay = Replay({("GET", "/vidu/ent/v2/tasks/x"): answer(404, body)})
    with pytest.raises(ProviderError) as caught:
        await dialect("powertokens", replay, base_url="https://pt-c.example/vidu").fetch(
            "x", endpoint=Endpoint.REFERENCE2VIDEO
        )
    assert caught.value.task_missing is True
    assert len(replay.requests) == 1


LOOKUP = TaskLookup(
    payload="gen-42",
    endpoint=Endpoint.REFERENCE2IMAGE,
    model="viduq2",
    prompt="A heron",
    since=1_767_225_600.0,
)


async def test_a_lost_create_is_found_through_the_documented_list_and_query():
    # The documented list items carry no payload [V-list]; the query answer does [V-get].
    pages = {
        "0": {
            "tasks": [
                {"id": "a", "model": "viduq2", "prompt": "Something else"},
                {"id": "v", "model": "viduq3", "prompt": "A heron"},
            ],
            "next_page_token": "1",
        },
        "1": {
            "tasks": [{"id": "b", "model": "viduq2", "prompt": "A heron"}],
            "next_page_token": "",
        },
    }
    queries = {
        "a": {"id": "a", "state": "success", "payload": "other"},
        "b": {"id": "b", "state": "processing", "payload": "gen-42"},
    }

    def listing(request):
        return answer(200, pages[request.url.params["pager.page"]])

    def query(request):
        return answer(200, queries[request.url.path.split("/")[-2]])

    replay = Replay(
        {
            ("GET", "/ent/v2/tasks"): listing,
            ("GET", "/ent/v2/tasks/a/creations"): query,
            ("GET", "/ent/v2/tasks/b/creations"): query,
        }
    )
    found = await dialect("vidu", replay).find_task(LOOKUP)
    assert found.task_id == "b"
    assert found.state is TaskState.PROCESSING
    listed = [r for r in replay.requests if r.url.path == "/ent/v2/tasks"]
    assert listed[0].url.params["created_at.from"] == "2026-01-01T00:00:00Z"
    # The same prompt is confirmed first; the other model is never queried.
    assert [r.url.path for r in replay.requests[2:]] == ["/ent/v2/tasks/b/creations"]


async def test_a_lost_create_missing_from_the_list_is_not_found():
    replay = Replay({("GET", "/ent/v2/tasks"): answer(200, {"tasks": [], "next_page_token": ""})})
    assert await dialect("vidu", replay).find_task(LOOKUP) is None


@pytest.mark.parametrize("kind", ["powertokens", "kkiai", "vtrix"])
async def test_resellers_document_no_way_to_look_a_lost_create_up(kind):
    replay = Replay()
    with pytest.raises(ProviderError) as caught:
        await dialect(kind, replay).find_task(LOOKUP)
    assert caught.value.permanent is True
    assert caught.value.code == "LookupUnsupported"
    assert replay.requests == []


@pytest.mark.parametrize(
    ("content", "kind"),
    [(b"", "empty"), (b"<html>Bad gateway</html>", "html"), (b"[]", "list")],
)
async def test_a_2xx_create_answer_that_cannot_be_read_is_submission_unknown(content, kind):
    replay = Replay({("POST", "/ent/v2/reference2image"): httpx.Response(200, content=content)})
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).submit(
            GenerationRequest(endpoint=Endpoint.REFERENCE2IMAGE, model="viduq2", prompt="x")
        )
    assert caught.value.submission_unknown is True
    assert len(replay.requests) == 1


# --- cancel ------------------------------------------------------------------------------------


async def test_cancel_posts_to_the_cancel_path():
    replay = Replay({("POST", "/ent/v2/tasks/t-1/cancel"): answer(200, {})})
    await dialect("vidu", replay).cancel("t-1")
    assert replay.last_json() == {"id": "t-1"}


async def test_cancel_refused_in_this_state_is_permanent():
    body = {
        "code": 400,
        "reason": "BadRequest",
        "message": "task state is scheduled, can not cancel",
        "metadata": {"trace_id": "x"},
    }
    replay = Replay({("POST", "/ent/v2/tasks/t-1/cancel"): answer(400, body)})
    with pytest.raises(ProviderError) as caught:
        await dialect("vidu", replay).cancel("t-1")
    assert caught.value.permanent is True
    assert "can not cancel" in caught.value.message


# --- callbacks ---------------------------------------------------------------------------------

CALLBACK_URL = "https://studio.example/callbacks/vidu/tok123/"
NOW = 1_746_533_382.0


def signed_callback(body: bytes, *, secret: str = KEY, nonce: str = "n-1") -> CallbackRequest:
    headers = signing.callback_headers(
        secret=secret, callback_url=CALLBACK_URL, now=NOW, nonce=nonce
    )
    return CallbackRequest(method="POST", headers=headers, body=body)


def test_a_signed_callback_is_read_as_a_hint():
    seen: set[str] = set()

    def seen_nonce(nonce: str) -> bool:
        known = nonce in seen
        seen.add(nonce)
        return known

    vidu = dialect("vidu", Replay())
    body = b'{"id": "task-1", "state": "success", "creations": [{"url": "https://c/x.png"}]}'
    status = vidu.parse_callback(
        signed_callback(body), callback_url=CALLBACK_URL, now=NOW, seen_nonce=seen_nonce
    )
    assert status.task_id == "task-1"
    assert status.state is TaskState.SUCCESS

    with pytest.raises(ProviderError) as caught:
        vidu.parse_callback(
            signed_callback(body), callback_url=CALLBACK_URL, now=NOW, seen_nonce=seen_nonce
        )
    assert caught.value.permanent is True


def test_a_callback_signed_with_another_key_is_refused():
    vidu = dialect("vidu", Replay())
    with pytest.raises(ProviderError, match="Callback refused"):
        vidu.parse_callback(
            signed_callback(b"{}", secret="someone-elses-key"),
            callback_url=CALLBACK_URL,
            now=NOW,
            seen_nonce=lambda n: False,
        )


def test_a_callback_reading_status_instead_of_state_is_understood():
    vidu = dialect("simulator", Replay())
    status = vidu.parse_callback(
        signed_callback(b'{"task_id": "t", "status": "processing"}', nonce="n-2"),
        callback_url=CALLBACK_URL,
        now=NOW,
        seen_nonce=lambda n: False,
    )
    assert status.state is TaskState.PROCESSING


@pytest.mark.parametrize("kind", ["powertokens", "kkiai", "vtrix"])
def test_reseller_callbacks_cannot_be_verified(kind):
    reseller = dialect(kind, Replay())
    assert reseller.verifiable_callbacks is False
    with pytest.raises(ProviderError) as caught:
        reseller.parse_callback(
            signed_callback(b"{}"), callback_url=CALLBACK_URL, now=NOW, seen_nonce=lambda n: False
        )
    assert caught.value.permanent is True


@pytest.mark.parametrize("kind", ["vidu", "simulator"])
def test_vidu_callbacks_are_verifiable(kind):
    assert dialect(kind, Replay()).verifiable_callbacks is True


# --- test connection ---------------------------------------------------------------------------


async def test_check_reports_the_credits_left():
    body = {
        "remains": [
            {"type": "metered", "credit_remain": 1200},
            {"type": "test", "credit_remain": "34"},
        ]
    }
    replay = Replay({("GET", "/ent/v2/credits"): answer(200, body)})
    check = await dialect("vidu", replay).check()
    assert check.ok is True
    assert check.message == "Reachable, key accepted (1,234 credits left)"


async def test_check_says_when_the_key_is_refused():
    replay = Replay({("GET", "/ent/v2/credits"): answer(401, {"reason": "Unauthorized"})})
    check = await dialect("vidu", replay).check()
    assert (check.ok, check.verdict) == (False, "refused")
    assert check.message == "Reachable, but Vidu refused the key"


async def test_check_says_when_the_address_is_wrong():
    replay = Replay()  # no /ent/v2/credits here: a 404 with no body
    check = await dialect("vidu", replay, base_url="https://vidu.example/wrong").check()
    assert (check.ok, check.verdict) == (False, "wrong_address")
    assert check.message.startswith("Wrong address: https://vidu.example has no Vidu API here")


async def test_check_says_when_the_provider_cannot_be_reached():
    replay = Replay({("GET", "/ent/v2/credits"): httpx.ConnectError("[Errno 111] refused")})
    check = await dialect("vidu", replay, base_url="https://vidu.example").check()
    assert check.verdict == "network"
    assert check.message == (
        "Network or TLS error: Could not reach https://vidu.example (connection refused)"
    )


@pytest.mark.parametrize(
    ("kind", "path", "status", "verdict"),
    [
        ("powertokens", "/vidu/ent/v2/reference2image", 405, "unchecked"),
        ("powertokens", "/vidu/ent/v2/reference2image", 404, "wrong_address"),
        ("powertokens", "/vidu/ent/v2/reference2image", 401, "refused"),
        ("kkiai", "/ent/v2/reference2image", 405, "unchecked"),
        ("kkiai", "/ent/v2/reference2image", 404, "wrong_address"),
        ("kkiai", "/ent/v2/reference2image", 401, "refused"),
    ],
)
async def test_reseller_check_probes_a_route_that_must_exist(kind, path, status, verdict):
    replay = Replay({("GET", path): httpx.Response(status)})
    check = await dialect(kind, replay).check()
    assert check.verdict == verdict
    assert check.ok is (verdict == "unchecked")
    assert replay.last.url.path == path
    assert replay.last.headers["Authorization"] == f"Bearer {KEY}"
    if verdict == "unchecked":
        # Never "accepted": nothing free checks a reseller's key.
        assert "accepted" not in check.message
        assert "first generation" in check.message
