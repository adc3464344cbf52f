"""The simulator's switch, its per-install key and production settings, each read by a
fresh interpreter from the environment a deployment would give it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "test-only-" + "x" * 50,
    "STUDIO_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "ALLOWED_HOSTS": "studio.example.com",
}
# What the snippet prints: the settings that matter and a few answers of the app.
PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from providers import registry

    connection.ensure_connection()
    # Error pages link static files; no collectstatic has made a manifest here.
    plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": plain}}).enable()
    client = Client(raise_request_exception=False)
    print(json.dumps({
        "enabled": settings.SIMULATOR_ENABLED,
        "key": settings.SIMULATOR_API_KEY,
        "keys": settings.SIMULATOR_API_KEYS,
        "env_key": registry.env_key("simulator"),
        "tasks": settings.STUDIO_BACKGROUND_TASKS,
        "simulator": client.get("/simulator/ent/v2/credits", HTTP_HOST="127.0.0.1").status_code,
        "made_up_key": client.get(
            "/simulator/ent/v2/credits",
            HTTP_HOST="127.0.0.1",
            HTTP_AUTHORIZATION="Token sim-local-key",
        ).status_code,
        "public_simulator": client.get(
            "/simulator/ent/v2/credits", HTTP_HOST="studio.example.com", secure=True
        ).status_code,
        "login": client.get("/accounts/login/", HTTP_HOST="studio.example.com").status_code,
    }))
    """
)


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SIMULATOR_", "STUDIO_", "DATABASE_URL", "DEBUG", "ALLOWED_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "studio.settings",
            "STUDIO_DATA_DIR": str(data_dir),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def probe(data_dir: Path, **env: str) -> dict:
    result = run(["-c", PROBE], data_dir, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_starts_with_no_data_folder_and_the_simulator_off(tmp_path):
    data_dir = tmp_path / "not" / "yet" / "there"

    seen = probe(data_dir, **PRODUCTION)

    assert data_dir.is_dir()  # SQLite's folder was made
    assert seen["enabled"] is False
    assert seen["keys"] == []
    assert "simulator.clock.run" not in seen["tasks"]
    assert seen["public_simulator"] == 404
    assert not (data_dir / "simulator_key").exists()


def test_turned_on_in_production_it_has_its_own_key_and_skips_the_ssl_redirect(tmp_path):
    data_dir = tmp_path / "data"

    seen = probe(data_dir, **PRODUCTION, STUDIO_SIMULATOR="on")
    again = probe(data_dir, **PRODUCTION, STUDIO_SIMULATOR="on")

    key = (data_dir / "simulator_key").read_text().strip()
    assert seen["enabled"] is True
    assert len(key) > 32 and key != "sim-local-key"
    assert seen["key"] == seen["env_key"] == again["key"] == key
    assert seen["keys"] == [key]
    assert "simulator.clock.run" in seen["tasks"]
    # The studio's own connection (http://127.0.0.1/simulator) gets the simulator's own
    # 401 for a missing key, not a redirect to https; pages are still redirected.
    assert seen["simulator"] == 401
    # The once-published default key, like any other, is refused.
    assert seen["made_up_key"] == 401
    assert seen["login"] == 301


def test_a_key_from_the_environment_wins_over_the_generated_one(tmp_path):
    seen = probe(tmp_path, STUDIO_SIMULATOR="on", SIMULATOR_API_KEY="from-env-0123456789")

    assert seen["key"] == seen["env_key"] == "from-env-0123456789"
    assert seen["keys"] == ["from-env-0123456789"]
    assert not (tmp_path / "simulator_key").exists()


def test_debug_turns_the_simulator_on_unless_told_off(tmp_path):
    on = probe(tmp_path / "a", DEBUG="true")
    off = probe(tmp_path / "b", DEBUG="true", STUDIO_SIMULATOR="off")

    assert on["enabled"] is True and on["simulator"] == 401
    assert on["made_up_key"] == 401
    assert off["enabled"] is False and off["simulator"] == 404


def test_the_standalone_command_says_how_to_turn_the_simulator_on(tmp_path):
    result = run(["manage.py", "vidu_simulator", "--port", "1"], tmp_path, **PRODUCTION)

    assert result.returncode != 0
    assert "STUDIO_SIMULATOR=on" in result.stderr


def test_processes_starting_together_agree_on_one_key(tmp_path):
    data_dir = tmp_path / "shared"
    read_key = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SIMULATOR_API_KEY)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "STUDIO_DATA_DIR": str(data_dir),
    }
    env.pop("SIMULATOR_API_KEY", None)
    env["STUDIO_SIMULATOR"] = "on"
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", read_key], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]

    keys = {process.communicate(timeout=120)[0].strip().splitlines()[-1] for process in starting}

    assert keys == {(data_dir / "simulator_key").read_text().strip()}
    assert [path.name for path in data_dir.iterdir() if path.name.startswith(".")] == []
