from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from django.core.files.base import ContentFile

from tests.factories import make_png, make_user


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher() -> Iterator[None]:
    """Tests make hundreds of users; full PBKDF2 for each would cost minutes. The
    hasher is a setting like any other, so production keeps its strong default."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    """Every test writes its files under its own temporary folder, never into data/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_cards_kept() -> None:
    """Ready cards are cached in memory by what they show; a test starts with none kept
    from the one before (whose rolled-back rows may share its ids)."""
    from django.core.cache import caches

    caches["cards"].clear()


@pytest.fixture
def memory_storage(settings):
    """Media kept in memory by a storage with no local paths, as S3 would keep it."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.storage.NoPathStorage"}}
    from django.core.files.storage import default_storage

    return default_storage


@pytest.fixture
def alice(db):
    """The owner of whatever a test makes."""
    return make_user("alice")


@pytest.fixture
def bob(db):
    """A collaborator, given access by the test that needs one."""
    return make_user("bob")


@pytest.fixture
def charlie(db):
    """A stranger: every id of alice's must answer 404 to him."""
    return make_user("charlie")


@pytest.fixture
def world(alice):
    from generations.models import Generation, GenerationInput, GenerationOutput, Mode
    from library.models import LibraryShare
    from projects.models import ProjectMembership
    from providers.models import ProviderConnection
    from tests.library.factories import make_library, make_project, make_subject, make_subject_image

    """One of everything, all alice's; a dict from URL parameter name to an id."""
    friend = make_user("dana")
    project = make_project(owner=alice)
    membership = ProjectMembership.objects.create(project=project, user=friend, role="viewer")
    library = make_library(owner=alice)
    share = LibraryShare.objects.create(library=library, user=friend, role="viewer")
    project.libraries.add(library)
    subject = make_subject(library=library)
    image = make_subject_image(subject=subject)
    connection = ProviderConnection.objects.create(name="Simulator", kind="simulator")
    generation = Generation.objects.create(
        project=project,
        created_by=alice,
        connection=connection,
        mode=Mode.IMAGE_TO_VIDEO,
        model="viduq2-turbo",
        prompt="@Mia waves",
    )
    snapshot = GenerationInput(
        generation=generation,
        role="start",
        sha256="0" * 64,
        content_type="image/png",
        width=256,
        height=256,
    )
    snapshot.file.save("start.png", ContentFile(make_png()), save=True)
    output = GenerationOutput(
        generation=generation,
        kind="image",
        content_type="image/png",
        sha256="1" * 64,
        size=10,
        width=256,
        height=256,
    )
    output.file.save("result.png", ContentFile(make_png()), save=False)
    output.thumbnail.save("thumb.png", ContentFile(make_png()), save=False)
    output.poster.save("poster.png", ContentFile(make_png()), save=True)
    from storyboards.models import Shot, Storyboard, Take

    storyboard = Storyboard.objects.create(project=project, created_by=alice, title="Board")
    shot = Shot.objects.create(
        storyboard=storyboard, position=0, prompt="@Mia waves", model="viduq2"
    )
    take = Take.objects.create(shot=shot, generation=generation)
    from review.links import create_link

    link = create_link(storyboard=storyboard, user=alice)  # a review link
    from review.models import Comment

    comment = Comment.objects.create(project=project, shot=shot, body="Brighter, please")
    return {
        "project_id": project.pk,
        "membership_id": membership.pk,
        "library_id": library.pk,
        "share_id": share.pk,
        "subject_id": subject.pk,
        "image_id": image.pk,
        "generation_id": generation.pk,
        "input_id": snapshot.pk,
        "output_id": output.pk,
        "pk": connection.pk,  # provider connections: staff only
        "storyboard_id": storyboard.pk,
        "shot_id": shot.pk,
        "take_id": take.pk,
        "link_id": link.pk,
        "token": link.token,  # review links' guest pages
        "comment_id": comment.pk,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveStudio:
    """The real ASGI application served by uvicorn on a loopback port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            "studio.asgi:application",
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_level="warning",
            ws_per_message_deflate=False,
            # A connection a page left open must not hold the stop up for ever.
            timeout_graceful_shutdown=3,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the studio did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and end the background loops, or fail: a server left running
        in this process would go on claiming the next tests' generations."""
        self.server.should_exit = True
        self.thread.join(timeout=15)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=15)
        if self.thread.is_alive():
            raise RuntimeError("the live studio did not stop")


def serve_again(studio: LiveStudio) -> None:
    """After `studio.stop()`, serve the app again on the same port: a server restart.

    A new uvicorn server (with a new lifespan, so fresh background loops) replaces the
    stopped one in `studio`, so the fixture's teardown stops this one.
    """
    fresh = LiveStudio(studio.port)
    fresh.start()
    studio.server, studio.thread = fresh.server, fresh.thread


@pytest.fixture
def live_studio(transactional_db, settings) -> Iterator[LiveStudio]:
    """Studio over real HTTP and websockets, sharing the test database.

    Uses the in-memory test database Django shares between threads, so a test can
    create rows and the server sees them (and the other way round).
    """
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    studio = LiveStudio(_free_port())
    studio.start()
    yield studio
    studio.stop()


# --- Browser ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's Chromium driven by Playwright; skipped where absent unless CI requires it.

    Module-scoped: Playwright's sync API keeps an event loop running in this thread
    while it is open, which async tests that follow must not inherit.
    """
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
        if os.environ.get("STUDIO_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # The ORM calls tests make between page actions are plain synchronous code, but
    # Django sees Playwright's loop and would refuse them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium_browser, live_studio):
    """A fresh browser tab (its own cookies) pointed at the live studio."""
    context = chromium_browser.new_context(
        base_url=live_studio.url, viewport={"width": 1280, "height": 800}
    )
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- Scaled-out services --------------------------------------------------------------------


@pytest.fixture(scope="session")
def scaled_services() -> dict[str, str]:
    """PostgreSQL and Redis URLs from TEST_DATABASE_URL and TEST_REDIS_URL.

    Unset: the scaled-out tests skip, saying how to enable them. Set but unreachable:
    they fail, since CI sets them on purpose.
    """
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not database_url or not redis_url:
        pytest.skip(
            "scaled-out test: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
            " and TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run it"
        )
    return {"database_url": database_url, "redis_url": redis_url}
