"""The scaled-out configuration on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from channels_redis.core import RedisChannelLayer

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.scaled


@pytest.fixture
def fresh_database_url(scaled_services):
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    admin_url = scaled_services["database_url"]
    name = f"studio_scaled_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_studio_migrates_and_serves_its_data_on_postgresql(fresh_database_url, tmp_path):
    env = {"DATABASE_URL": fresh_database_url, "STUDIO_DATA_DIR": str(tmp_path)}

    migrated = manage("migrate", "--noinput", **env)
    created = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from accounts.services import create_owner;"
        "create_owner(username='maya', password='a long enough passphrase')",
        **env,
    )
    engine = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.db import connection; from django.contrib.auth.models import User;"
        "print(connection.vendor, User.objects.get().username)",
        **env,
    )

    assert migrated.returncode == 0, migrated.stderr
    assert created.returncode == 0, created.stderr
    assert engine.stdout.split() == ["postgresql", "maya"]


def test_a_message_sent_by_one_process_reaches_a_group_listener_in_another(
    scaled_services, tmp_path
):
    group = f"project.test-{uuid.uuid4().hex[:8]}"

    async def listen_then_receive() -> dict:
        layer = RedisChannelLayer(hosts=[scaled_services["redis_url"]])
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        sender = await asyncio.create_subprocess_exec(
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "from asgiref.sync import async_to_sync; from channels.layers import get_channel_layer;"
            f"async_to_sync(get_channel_layer().group_send)('{group}',"
            " {'type': 'card.update', 'html': '<article>ready</article>'})",
            cwd=ROOT,
            env={
                **os.environ,
                "REDIS_URL": scaled_services["redis_url"],
                "STUDIO_DATA_DIR": str(tmp_path),
            },
        )
        assert await sender.wait() == 0
        message = await asyncio.wait_for(layer.receive(channel), timeout=10)
        await layer.group_discard(group, channel)
        await layer.flush()
        return message

    message = asyncio.run(listen_then_receive())

    assert message == {"type": "card.update", "html": "<article>ready</article>"}
