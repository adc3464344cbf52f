"""Settings come from the environment, and a bad value stops start-up with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Fq9!zR2@" * 6,
    "STUDIO_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "studio.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://studio.example.com",
}


def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    leaky = {
        "DATABASE_URL",
        "REDIS_URL",
        "DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "STUDIO_BACKGROUND_TASKS",
        "STUDIO_SIMULATOR",
    }
    clean = {k: v for k, v in os.environ.items() if k not in leaky}
    clean |= {"STUDIO_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be a whole number"),
        ("SECURE_HSTS_SECONDS", "-5", "SECURE_HSTS_SECONDS must be at least 0"),
        ("SIMULATOR_IMAGE_SECONDS", "fast", "SIMULATOR_IMAGE_SECONDS must be a number"),
        (
            "DATABASE_URL",
            "mysql://root@localhost/studio",
            "DATABASE_URL must be a URL starting with",
        ),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a URL starting with"),
        ("STUDIO_ENCRYPTION_KEY", "not-a-fernet-key", "STUDIO_ENCRYPTION_KEY must be a Fernet key"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, variable, value, message):
    result = run_manage(tmp_path, "check", **{variable: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_bad_database_url_is_not_echoed_since_it_may_hold_a_password(tmp_path):
    result = run_manage(tmp_path, "check", DATABASE_URL="mysql://root:hunter2@db/studio")

    assert result.returncode != 0
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "STUDIO_ENCRYPTION_KEY", "ALLOWED_HOSTS"])
def test_production_requires_its_secrets_and_hosts(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = run_manage(tmp_path, "check", **env)

    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is false" in result.stderr


def test_embedded_defaults_generate_a_secret_key_once_into_the_data_folder(tmp_path):
    first = run_manage(
        tmp_path,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    second = run_manage(
        tmp_path,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert second.stdout.strip() == key
    assert (tmp_path / "data" / "secret_key").read_text().strip() == key


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_embedded_default_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "from django.db import connection; connection.ensure_connection();"
        "c = connection.cursor();"
        "[print(c.execute(f'PRAGMA {name}').fetchone()[0])"
        " for name in ('journal_mode', 'synchronous', 'foreign_keys', 'busy_timeout')];"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = run_manage(tmp_path, "shell", "-v", "0", "-c", code)

    assert result.returncode == 0, result.stderr
    # WAL, synchronous NORMAL (1), foreign keys on, a 20 s wait for the write lock.
    assert result.stdout.split() == ["wal", "1", "1", "20000", "IMMEDIATE"]


def test_background_loops_set_empty_run_none_in_the_web_process(tmp_path):
    """A web process beside `manage.py dispatcher` processes, as the scaled shape runs it:
    set empty, no loop of its own (a web process killed mid-render or mid-send would
    otherwise leave work leased to nobody); unset, the embedded default runs them all."""
    code = "from django.conf import settings; print(','.join(settings.STUDIO_BACKGROUND_TASKS))"
    emptied = run_manage(tmp_path, "shell", "-v", "0", "-c", code, STUDIO_BACKGROUND_TASKS="")
    unset = run_manage(tmp_path, "shell", "-v", "0", "-c", code, DEBUG="true")

    assert emptied.returncode == 0 and unset.returncode == 0, emptied.stderr + unset.stderr
    assert emptied.stdout.strip() == ""
    assert unset.stdout.strip().split(",") == [
        "simulator.clock.run",
        "generations.dispatcher.run",
        "storyboards.renders.run",
    ]
