"""Callbacks over real HTTP reach the one callback view of the URLconf."""

from __future__ import annotations

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
