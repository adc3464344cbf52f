"""First run on PostgreSQL: however many owner forms arrive at once, one owner."""

from __future__ import annotations

import pytest

from tests.scaled import test_services
from tests.scaled.test_services import manage

pytestmark = pytest.mark.scaled

fresh_database_url = test_services.fresh_database_url

# Twelve threads, each with its own connection, submit the first-run form's service at
# the same moment (a barrier), as twelve browsers did.
CONCURRENT_SETUP = """
import threading
from django.contrib.auth.models import User
from django.db import connection
from accounts.services import OwnerAlreadyExists, create_owner

start = threading.Barrier(12)

def submit(n):
    start.wait()
    try:
        create_owner(username=f"owner{n}", password="a long enough passphrase")
    except OwnerAlreadyExists:
        pass
    finally:
        connection.close()

threads = [threading.Thread(target=submit, args=(n,)) for n in range(12)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(User.objects.filter(is_superuser=True).count(), User.objects.count())
"""


def test_twelve_simultaneous_first_run_forms_make_exactly_one_owner(fresh_database_url, tmp_path):
    env = {"DATABASE_URL": fresh_database_url, "STUDIO_DATA_DIR": str(tmp_path)}
    migrated = manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr

    done = manage("shell", "-v", "0", "-c", CONCURRENT_SETUP, **env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
