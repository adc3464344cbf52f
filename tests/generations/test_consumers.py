"""The project websocket: who may listen, what reaches whom, and the re-sync on connect."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from generations.consumers import ProjectConsumer
from generations.models import Mode, State
from generations.services import request_generation
from projects.models import ProjectMembership
from projects.realtime import project_access_changed, push_html
from projects.services import add_member
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


@pytest.mark.parametrize(
    ("origin", "host", "accepted"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://127.0.0.1:8666", "127.0.0.1:8000", False),  # another program on the host
        ("https://127.0.0.1:8000", "127.0.0.1:8000", False),  # plain ws under an https page
        ("http://127.0.0.1", "127.0.0.1:80", True),
        ("null", "127.0.0.1:8000", False),
    ],
)
async def test_the_origin_must_match_by_scheme_host_and_port(alice, origin, host, accepted):
    project = await database_sync_to_async(make_project)(alice)
    cookie = await database_sync_to_async(session_cookie)(alice)
    headers = [(b"origin", origin.encode()), (b"host", host.encode()), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(
        application, f"/ws/projects/{project.pk}/", headers=headers
    )

    connected, _ = await communicator.connect()

    assert connected is accepted
    if connected:
        await communicator.disconnect()


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


def socket_of(browser: Client, project_id: int) -> WebsocketCommunicator:
    """A socket opened by the page in `browser`: same session cookie."""
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    headers = [ORIGIN, (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/", headers=headers)


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    message = await communicator.receive_output(timeout=2)
    return message.get("code") if message["type"] == "websocket.close" else None


async def test_a_removed_members_open_socket_closes_and_receives_no_more_cards(alice, bob):
    project = await database_sync_to_async(make_project)(alice, viewer=bob)
    generation = await database_sync_to_async(make_generation)(project, "private prompt")
    on_bob = await database_sync_to_async(socket)(project.pk, bob)
    on_alice = await database_sync_to_async(socket)(project.pk, alice)
    for communicator in (on_bob, on_alice):
        await communicator.connect()
        await sync(communicator, [generation.pk])
    owner = Client()
    await database_sync_to_async(owner.force_login)(alice)
    membership = await database_sync_to_async(ProjectMembership.objects.get)(user=bob)
    remove = reverse("projects:remove_member", args=[project.pk, membership.pk])

    await database_sync_to_async(owner.post)(remove)

    assert await closed_with(on_bob) == 4403
    await database_sync_to_async(move)(generation.pk, State.PROCESSING)
    assert 'data-state="processing"' in await on_alice.receive_from(timeout=2)
    assert await on_bob.receive_nothing(timeout=0.3)
    await on_alice.disconnect()


async def test_a_member_whose_role_changes_keeps_their_socket(alice, bob):
    project = await database_sync_to_async(make_project)(alice, viewer=bob)
    on_bob = await database_sync_to_async(socket)(project.pk, bob)
    await on_bob.connect()

    await database_sync_to_async(add_member)(project=project, username="bob", role="editor")
    await database_sync_to_async(project_access_changed)(user_id=bob.pk, project_id=project.pk)

    assert await on_bob.receive_nothing(timeout=0.3)
    await on_bob.disconnect()


async def test_logging_out_closes_the_sockets_of_that_session_only(alice):
    project = await database_sync_to_async(make_project)(alice)
    generation = await database_sync_to_async(make_generation)(project)
    laptop, phone = Client(), Client()
    for browser in (laptop, phone):
        await database_sync_to_async(browser.force_login)(alice)
    on_laptop = await database_sync_to_async(socket_of)(laptop, project.pk)
    on_phone = await database_sync_to_async(socket_of)(phone, project.pk)
    for communicator in (on_laptop, on_phone):
        await communicator.connect()
        await sync(communicator, [generation.pk])

    await database_sync_to_async(laptop.post)(reverse("accounts:logout"))

    assert await closed_with(on_laptop) == 4403
    await database_sync_to_async(move)(generation.pk, State.PROCESSING)
    assert 'data-state="processing"' in await on_phone.receive_from(timeout=2)
    assert await on_laptop.receive_nothing(timeout=0.3)
    await on_phone.disconnect()


async def test_watch_replaces_what_a_socket_keeps_instead_of_adding_to_it(alice, monkeypatch):
    opened = []
    connect = ProjectConsumer.connect

    async def remember(self):
        opened.append(self)
        await connect(self)

    monkeypatch.setattr(ProjectConsumer, "connect", remember)
    project = await database_sync_to_async(make_project)(alice)
    dropped = await database_sync_to_async(make_generation)(project, "scrolled away")
    kept = await database_sync_to_async(make_generation)(project, "still shown")
    communicator = await database_sync_to_async(socket)(project.pk, alice)
    await communicator.connect()
    await sync(communicator, [dropped.pk, kept.pk])

    # A page (or anyone with a socket) sending ever new ids: 100 × 1,000 of them.
    for n in range(100):
        ids = list(range(10**6 + n * 1000, 10**6 + (n + 1) * 1000))
        await communicator.send_json_to({"type": "watch", "ids": ids})
    await communicator.send_json_to({"type": "watch", "ids": [kept.pk]})
    async with asyncio.timeout(5):  # the messages are handled in order; wait for the last
        while opened[0].watched != {kept.pk} and len(opened[0].watched) < 100_000:
            await asyncio.sleep(0.01)

    assert opened[0].watched == {kept.pk}
    await database_sync_to_async(move)(dropped.pk, State.PROCESSING)
    await database_sync_to_async(move)(kept.pk, State.PROCESSING)
    assert f'data-generation="{kept.pk}"' in await communicator.receive_from(timeout=2)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_activity_lines_reach_only_the_pages_that_show_the_feed(alice):
    project = await database_sync_to_async(make_project)(alice)
    feed_page = await database_sync_to_async(socket)(project.pk, alice)
    gallery_page = await database_sync_to_async(socket)(project.pk, alice)
    for page, shows_feed in ((feed_page, True), (gallery_page, False)):
        await page.connect()
        await sync(page, [], feed=shows_feed)

    await database_sync_to_async(push_html)(project.pk, '<li id="line">Bob kept</li>', feed=True)
    await database_sync_to_async(push_html)(project.pk, '<span id="status">Approved</span>')

    assert await feed_page.receive_from(timeout=2) == '<li id="line">Bob kept</li>'
    assert await feed_page.receive_from(timeout=2) == '<span id="status">Approved</span>'
    assert await gallery_page.receive_from(timeout=2) == '<span id="status">Approved</span>'
    assert await gallery_page.receive_nothing(timeout=0.2)
    await feed_page.disconnect()
    await gallery_page.disconnect()
