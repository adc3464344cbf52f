"""The project websocket: who may listen, what reaches whom, and the re-sync on connect."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client

from generations.models import Mode, State
from generations.services import request_generation
from studio.asgi import application
from tests.generations.gallery_factories import (
    make_generation,
    make_project,
    move,
    simulator_connection,
)

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new in-memory layer per test: its queues belong to the test's event loop."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(project_id: int, user=None, *, origin: tuple = ORIGIN) -> WebsocketCommunicator:
    headers = [origin, (b"host", b"127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", session_cookie(user)))
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/", headers=headers)


async def sync(communicator: WebsocketCommunicator, ids: list[int], **extra) -> str:
    """Send the page's sync; return the HTML answered before the closing `synced` frame."""
    await communicator.send_to(text_data=json.dumps({"type": "sync", "ids": ids, **extra}))
    frames = []
    while (frame := await communicator.receive_from(timeout=2)) != '{"type": "synced"}':
        frames.append(frame)
    return "".join(frames)


async def refused_with(communicator: WebsocketCommunicator) -> int | None:
    connected, _ = await communicator.connect()
    if not connected:
        return None
    message = await communicator.receive_output(timeout=2)
    await communicator.wait()
    return message.get("code") if message["type"] == "websocket.close" else None


async def test_anonymous_visitor_is_refused_with_4403(alice):
    project = await database_sync_to_async(make_project)(alice)

    assert await refused_with(socket(project.pk)) == 4403


async def test_stranger_is_refused_like_a_missing_project(alice, charlie):
    project = await database_sync_to_async(make_project)(alice)
    cookie_user = charlie

    foreign = await refused_with(await database_sync_to_async(socket)(project.pk, cookie_user))
    missing = await refused_with(await database_sync_to_async(socket)(project.pk + 999, alice))

    assert foreign == missing == 4403


async def test_another_sites_origin_is_refused_before_the_handshake(alice):
    project = await database_sync_to_async(make_project)(alice)
    communicator = await database_sync_to_async(socket)(
        project.pk, alice, origin=(b"origin", b"http://evil.example")
    )

    connected, _ = await communicator.connect()

    assert not connected


async def test_a_viewer_member_is_accepted_and_stays_connected(alice, bob):
    project = await database_sync_to_async(make_project)(alice, viewer=bob)
    communicator = await database_sync_to_async(socket)(project.pk, bob)

    connected, _ = await communicator.connect()

    assert connected
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_state_change_reaches_only_that_projects_sockets(alice):
    harbour = await database_sync_to_async(make_project)(alice, "Harbour")
    forest = await database_sync_to_async(make_project)(alice, "Forest")
    generation = await database_sync_to_async(make_generation)(harbour)
    on_harbour = await database_sync_to_async(socket)(harbour.pk, alice)
    on_forest = await database_sync_to_async(socket)(forest.pk, alice)
    await on_harbour.connect()
    await on_forest.connect()
    assert f'id="generation-{generation.pk}"' in await sync(on_harbour, [generation.pk])

    await database_sync_to_async(move)(generation.pk, State.PROCESSING)

    html = await on_harbour.receive_from(timeout=2)
    assert f'id="generation-{generation.pk}"' in html
    assert 'data-state="processing"' in html
    assert await on_forest.receive_nothing(timeout=0.3)
    await on_harbour.disconnect()
    await on_forest.disconnect()


async def test_a_new_generation_is_pushed_to_the_top_of_a_live_list(alice):
    project = await database_sync_to_async(make_project)(alice)
    communicator = await database_sync_to_async(socket)(project.pk, alice)
    await communicator.connect()
    assert await sync(communicator, [], live=True) == ""
    assert await communicator.receive_nothing(timeout=0.2)

    def request_one():
        [generation] = request_generation(
            project=project,
            user=alice,
            connection=simulator_connection(),
            mode=Mode.TEXT_TO_IMAGE,
            model="viduq2",
            prompt="A heron at dawn",
            params={"aspect_ratio": "1:1"},
        )
        return generation

    generation = await database_sync_to_async(request_one)()

    html = await communicator.receive_from(timeout=2)
    assert html.startswith('<div hx-swap-oob="afterbegin:[data-live-cards]">')
    assert f'data-generation="{generation.pk}"' in html
    await communicator.disconnect()


async def test_reconnecting_page_gets_its_cards_as_they_are_now_plus_missed_new_ones(alice):
    project = await database_sync_to_async(make_project)(alice)
    shown = await database_sync_to_async(make_generation)(project, "shown", state=State.READY)
    missed = await database_sync_to_async(make_generation)(project, "missed while away")
    communicator = await database_sync_to_async(socket)(project.pk, alice)
    await communicator.connect()

    html = await sync(communicator, [shown.pk], newest=shown.pk, live=True)

    card, _, new = html.partition('<div hx-swap-oob="afterbegin:[data-live-cards]">')
    assert f'data-generation="{shown.pk}" data-state="ready"' in card
    assert f'data-generation="{missed.pk}" data-state="queued"' in new
    await communicator.disconnect()


async def test_sync_never_answers_another_projects_cards(alice, charlie):
    theirs = await database_sync_to_async(make_project)(charlie, "Theirs")
    secret = await database_sync_to_async(make_generation)(theirs, "secret prompt")
    mine = await database_sync_to_async(make_project)(alice)
    communicator = await database_sync_to_async(socket)(mine.pk, alice)
    await communicator.connect()

    assert await sync(communicator, [secret.pk]) == ""
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_card_first_seen_in_a_resync_keeps_getting_updates(alice):
    project = await database_sync_to_async(make_project)(alice)
    missed = await database_sync_to_async(make_generation)(project, "missed while away")
    communicator = await database_sync_to_async(socket)(project.pk, alice)
    await communicator.connect()
    assert f'data-generation="{missed.pk}"' in await sync(communicator, [], live=True)

    await database_sync_to_async(move)(missed.pk, State.SUBMITTED)

    html = await communicator.receive_from(timeout=2)
    assert f'data-generation="{missed.pk}" data-state="submitted"' in html
    await communicator.disconnect()
