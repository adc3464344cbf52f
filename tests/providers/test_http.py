from __future__ import annotations

import hashlib

import httpx
import pytest

from providers import http
from providers.base import ProviderError
from tests.factories import make_png

URL = "https://api.example.test/ent/v2/tasks/1/creations"


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Record the waits instead of waiting."""
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(http, "_sleep", fake_sleep)
    return waited


@pytest.fixture
def public_dns(monkeypatch) -> None:
    """Every host resolves to a public address (no real DNS in tests)."""

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    monkeypatch.setattr(http, "_resolve", resolve)


def client_for(handler) -> httpx.AsyncClient:
    return http.make_client(transport=httpx.MockTransport(handler))


def replies(*answers):
    """A handler answering each request with the next item (a response or an exception)."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        answer = answers[min(len(calls), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    handler.calls = calls
    return handler


def test_client_has_explicit_timeouts():
    client = http.make_client()
    assert client.timeout.connect == 5
    assert client.timeout.read == 30
    assert client.timeout.write == 30
    assert client.timeout.pool == 5
    assert client.follow_redirects is False


async def test_read_retries_a_429_after_the_retry_after_it_names(sleeps):
    handler = replies(
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(200, json={"state": "success"}),
    )
    async with client_for(handler) as client:
        response = await http.send_read(client, "GET", URL)
    assert response.status_code == 200
    assert len(handler.calls) == 2
    assert sleeps == [7.0]


async def test_read_retries_a_503_with_retry_after_as_a_date(sleeps, monkeypatch):
    monkeypatch.setattr(http.time, "time", lambda: 1_700_000_000.0)
    handler = replies(
        httpx.Response(503, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:24 GMT"}),
        httpx.Response(200, json={}),
    )
    async with client_for(handler) as client:
        await http.send_read(client, "GET", URL)
    assert sleeps == [pytest.approx(4.0)]


async def test_read_backs_off_with_capped_jitter_then_returns_the_last_answer(sleeps):
    handler = replies(httpx.Response(502))
    async with client_for(handler) as client:
        response = await http.send_read(client, "GET", URL, attempts=4)
    assert response.status_code == 502
    assert len(handler.calls) == 4
    assert len(sleeps) == 3
    for attempt, waited in enumerate(sleeps):
        assert 0 <= waited <= min(http.BACKOFF_CAP, http.BACKOFF_BASE * 2**attempt)


async def test_read_does_not_wait_for_a_long_retry_after(sleeps):
    handler = replies(httpx.Response(429, headers={"Retry-After": "3600"}))
    async with client_for(handler) as client:
        response = await http.send_read(client, "GET", URL)
    assert response.status_code == 429
    assert len(handler.calls) == 1
    assert sleeps == []


async def test_read_retries_network_failures_and_then_says_it_could_not_reach(sleeps):
    handler = replies(httpx.ReadTimeout("timed out"))
    async with client_for(handler) as client:
        with pytest.raises(ProviderError) as caught:
            await http.send_read(client, "GET", URL, attempts=3)
    assert len(handler.calls) == 3
    assert caught.value.message == "Could not reach https://api.example.test (timed out)"
    assert caught.value.permanent is False


async def test_read_does_not_retry_a_client_error(sleeps):
    handler = replies(httpx.Response(401, json={"reason": "Unauthorized"}))
    async with client_for(handler) as client:
        response = await http.send_read(client, "GET", URL)
    assert response.status_code == 401
    assert len(handler.calls) == 1


async def test_create_is_not_retried_after_a_read_timeout(sleeps):
    handler = replies(httpx.ReadTimeout("timed out"), httpx.Response(200, json={}))
    async with client_for(handler) as client:
        with pytest.raises(ProviderError) as caught:
            await http.send_create(client, URL, json={"model": "viduq2"}, provider="Vidu")
    assert len(handler.calls) == 1
    assert caught.value.submission_unknown is True
    assert caught.value.permanent is False


async def test_create_is_not_retried_after_a_500(sleeps):
    handler = replies(httpx.Response(500), httpx.Response(200, json={}))
    async with client_for(handler) as client:
        with pytest.raises(ProviderError) as caught:
            await http.send_create(client, URL, json={})
    assert len(handler.calls) == 1
    assert caught.value.submission_unknown is True
    assert caught.value.status == 500


async def test_create_is_retried_when_the_connection_never_opened(sleeps):
    handler = replies(
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.Response(200, json={"task_id": "1"}),
    )
    async with client_for(handler) as client:
        response = await http.send_create(client, URL, json={})
    assert response.status_code == 200
    assert len(handler.calls) == 3


async def test_create_that_never_connects_is_a_plain_unreachable_error(sleeps):
    handler = replies(httpx.ConnectError("[Errno 111] Connection refused"))
    async with client_for(handler) as client:
        with pytest.raises(ProviderError) as caught:
            await http.send_create(client, URL, json={})
    assert caught.value.message == "Could not reach https://api.example.test (connection refused)"
    assert caught.value.submission_unknown is False


async def test_create_answers_a_429_without_retrying(sleeps):
    handler = replies(httpx.Response(429, headers={"Retry-After": "5"}))
    async with client_for(handler) as client:
        response = await http.send_create(client, URL, json={})
    assert response.status_code == 429
    assert len(handler.calls) == 1
    assert http.retry_after_seconds(response) == 5


async def test_errors_never_carry_the_authorization_header(sleeps):
    handler = replies(httpx.ReadTimeout("timed out"))
    async with client_for(handler) as client:
        with pytest.raises(ProviderError) as caught:
            await http.send_create(
                client, URL, headers={"Authorization": "Token vda_supersecret_1234"}, json={}
            )
    assert "supersecret" not in str(caught.value)
    assert "supersecret" not in repr(caught.value.args)


# --- download --------------------------------------------------------------------------


def serving(body: bytes, content_type: str = "image/png", status: int = 200):
    def handler(request: httpx.Request) -> httpx.Response:
        handler.calls.append(request)
        return httpx.Response(status, headers={"Content-Type": content_type}, content=body)

    handler.calls = []
    return handler


async def test_download_writes_the_file_and_reports_size_hash_and_type(tmp_path, public_dns):
    png = make_png(200, 200)
    dest = tmp_path / "out" / "result.png"
    async with client_for(serving(png)) as client:
        result = await http.download(
            "https://cdn.example.test/a.png", dest, max_bytes=10_000_000, client=client
        )
    assert dest.read_bytes() == png
    assert result.size == len(png)
    assert result.sha256 == hashlib.sha256(png).hexdigest()
    assert result.content_type == "image/png"
    assert [p.name for p in dest.parent.iterdir()] == ["result.png"]


async def test_download_past_the_size_cap_leaves_no_file(tmp_path, public_dns):
    dest = tmp_path / "result.png"
    async with client_for(serving(make_png(600, 600))) as client:
        with pytest.raises(http.DownloadError) as caught:
            await http.download(
                "https://cdn.example.test/a.png", dest, max_bytes=1000, client=client
            )
    assert caught.value.permanent is True
    assert "larger than" in caught.value.message
    assert list(tmp_path.iterdir()) == []


async def test_download_refuses_a_body_that_is_not_media(tmp_path, public_dns):
    dest = tmp_path / "result.png"
    page = b"<html><body>Access denied</body></html>"
    async with client_for(serving(page, "application/octet-stream")) as client:
        with pytest.raises(http.DownloadError) as caught:
            await http.download(
                "https://cdn.example.test/a.png", dest, max_bytes=10_000, client=client
            )
    assert caught.value.code == "DownloadWrongType"
    assert list(tmp_path.iterdir()) == []


async def test_download_refuses_a_declared_type_that_is_not_accepted(tmp_path, public_dns):
    async with client_for(serving(make_png(), "text/html")) as client:
        with pytest.raises(http.DownloadError, match="text/html"):
            await http.download(
                "https://cdn.example.test/a.png", tmp_path / "x", max_bytes=10**7, client=client
            )


async def test_download_accepts_only_the_allowed_types(tmp_path, public_dns):
    async with client_for(serving(make_png())) as client:
        with pytest.raises(http.DownloadError):
            await http.download(
                "https://cdn.example.test/a.png",
                tmp_path / "x.mp4",
                max_bytes=10**7,
                allowed_types={"video/mp4"},
                client=client,
            )


async def test_download_recognises_mp4_by_its_ftyp_box(tmp_path, public_dns):
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
    async with client_for(serving(mp4, "video/mp4")) as client:
        result = await http.download(
            "https://cdn.example.test/a.mp4", tmp_path / "a.mp4", max_bytes=10**6, client=client
        )
    assert result.content_type == "video/mp4"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/a.png",
        "https://10.1.2.3/a.png",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/a.png",
        "https://192.168.0.10/a.png",
    ],
)
async def test_download_refuses_private_addresses(tmp_path, url):
    handler = serving(make_png())
    async with client_for(handler) as client:
        with pytest.raises(http.DownloadError, match="private address"):
            await http.download(url, tmp_path / "x.png", max_bytes=10**7, client=client)
    assert handler.calls == []


async def test_download_refuses_a_name_that_resolves_to_a_private_address(tmp_path, monkeypatch):
    async def resolve(host: str, port: int) -> list[str]:
        return ["10.0.0.5"]

    monkeypatch.setattr(http, "_resolve", resolve)
    handler = serving(make_png())
    async with client_for(handler) as client:
        with pytest.raises(http.DownloadError, match="private address"):
            await http.download(
                "https://internal.example.test/a.png",
                tmp_path / "x",
                max_bytes=10**7,
                client=client,
            )
    assert handler.calls == []


async def test_download_refuses_plain_http(tmp_path, public_dns):
    handler = serving(make_png())
    async with client_for(handler) as client:
        with pytest.raises(http.DownloadError, match="only https"):
            await http.download(
                "http://cdn.example.test/a.png", tmp_path / "x", max_bytes=10**7, client=client
            )
    assert handler.calls == []


async def test_download_from_the_simulator_may_use_loopback_http(tmp_path):
    async with client_for(serving(make_png())) as client:
        result = await http.download(
            "http://127.0.0.1:8000/simulator/files/a.png",
            tmp_path / "x.png",
            max_bytes=10**7,
            allow_private=True,
            client=client,
        )
    assert result.content_type == "image/png"


async def test_download_rechecks_every_redirect(tmp_path, public_dns, monkeypatch):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://10.0.0.1/secret"})

    async def resolve(host: str, port: int) -> list[str]:
        return ["10.0.0.1"] if host == "10.0.0.1" else ["93.184.215.14"]

    monkeypatch.setattr(http, "_resolve", resolve)
    async with client_for(handler) as client:
        with pytest.raises(http.DownloadError, match="private address"):
            await http.download(
                "https://cdn.example.test/a.png", tmp_path / "x", max_bytes=10**7, client=client
            )


async def test_download_of_an_expired_link_says_so(tmp_path, public_dns):
    async with client_for(serving(b"expired", "application/xml", status=403)) as client:
        with pytest.raises(http.DownloadError, match="may have expired"):
            await http.download(
                "https://cdn.example.test/a.png", tmp_path / "x", max_bytes=10**7, client=client
            )
    assert list(tmp_path.iterdir()) == []


async def test_download_that_breaks_midway_leaves_no_partial_file(tmp_path, public_dns):
    class BrokenStream(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield make_png()[:50]
            raise httpx.ReadError("connection reset")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "image/png"}, stream=BrokenStream())

    dest = tmp_path / "result.png"
    async with client_for(handler) as client:
        with pytest.raises(http.DownloadError) as caught:
            await http.download(
                "https://cdn.example.test/a.png", dest, max_bytes=10**7, client=client
            )
    assert caught.value.permanent is False
    assert list(tmp_path.iterdir()) == []


async def test_a_failed_download_keeps_an_earlier_complete_file(tmp_path, public_dns):
    dest = tmp_path / "result.png"
    dest.write_bytes(b"previous")
    async with client_for(serving(b"not an image", "image/png")) as client:
        with pytest.raises(http.DownloadError):
            await http.download(
                "https://cdn.example.test/a.png", dest, max_bytes=10**7, client=client
            )
    assert dest.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]
