"""Callbacks over real HTTP reach the one callback view of the URLconf."""

from __future__ import annotations

import threading

import httpx


def test_a_get_is_refused_with_the_allowed_method(live_studio):
    response = httpx.get(f"{live_studio.url}/callbacks/simulator/some-token/")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_an_unknown_token_answers_a_small_json_404(live_studio):
    response = httpx.post(f"{live_studio.url}/callbacks/simulator/no-such-token/", json={})

    assert response.status_code == 404
    assert response.json() == {"error": "Unknown callback."}


def test_a_huge_body_is_refused_without_being_read_whole(live_studio):
    response = httpx.post(
        f"{live_studio.url}/callbacks/simulator/no-such-token/", content=b"x" * (2 * 1024 * 1024)
    )

    assert response.status_code == 413


def test_a_huge_chunked_body_with_no_length_is_refused_too(live_studio):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MiB in all, sent without a Content-Length

    response = httpx.post(f"{live_studio.url}/callbacks/simulator/no-such-token/", content=chunks())

    assert response.status_code == 413


def test_a_forged_callback_for_a_real_generation_is_refused(with_callbacks):
    from generations.models import Mode, State
    from generations.services import request_generation
    from providers.models import CallbackNonce

    [generation] = request_generation(
        project=with_callbacks.project,
        user=with_callbacks.project.owner,
        connection=with_callbacks.connection,
        mode=Mode.TEXT_TO_IMAGE,
        model="viduq2",
        prompt="A lighthouse #sim:slow=100",
        params={"aspect_ratio": "1:1"},
    )
    with_callbacks.wait_for_state(generation, State.SUBMITTED, State.QUEUEING, State.PROCESSING)
    generation.refresh_from_db()

    response = httpx.post(
        generation.callback_url,
        json={"state": "success"},
        headers={
            "Date": "Tue, 06 May 2025 12:09:42 GMT",
            "x-request-nonce": "n-1",
            "X-HMAC-SIGNED-HEADERS": "Date;x-request-nonce",
            "X-HMAC-SIGNATURE": "Zm9yZ2Vk",
            "X-HMAC-ALGORITHM": "hmac-sha256",
            "X-HMAC-ACCESS-KEY": "vidu",
        },
    )

    assert response.status_code == 401
    # Refused before anything was written: the forged nonce was not even remembered.
    # (`poke` says nothing here: the simulator's genuine callbacks set it too.)
    assert not CallbackNonce.objects.filter(nonce="n-1").exists()
    generation.refresh_from_db()
    assert generation.state != State.READY


def test_callbacks_do_their_database_work_in_lasting_threads_that_keep_a_connection(
    live_studio, monkeypatch
):
    from django.db import connection

    from generations import services

    seen: list[tuple[str, object]] = []
    answer = services.receive_callback

    def recording(**callback):
        result = answer(**callback)
        # The connection itself, held so that no later one can reuse its id.
        seen.append((threading.current_thread().name, connection.connection))
        return result

    monkeypatch.setattr(services, "receive_callback", recording)
    for _ in range(8):
        response = httpx.post(f"{live_studio.url}/callbacks/simulator/no-such-token/", json={})
        assert response.status_code == 404

    assert len(seen) == 8
    assert all(name.startswith("callbacks") for name, _ in seen)
    # Each thread kept the one connection it opened for all its callbacks.
    connections_of: dict[str, set[int]] = {}
    for name, opened in seen:
        connections_of.setdefault(name, set()).add(id(opened))
    assert all(len(opened) == 1 for opened in connections_of.values())
    assert len(connections_of) < len(seen)
