"""Database work for an async view runs in a lasting thread that keeps its SQLite
connection (studio/db.py): what lets one process take a burst of provider callbacks."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from studio.db import in_lasting_thread

pytestmark = pytest.mark.django_db(transaction=True)


def where_and_what() -> tuple[int, object, int]:
    """The thread, its open database connection, and what it sees."""
    count = get_user_model().objects.count()
    return threading.get_ident(), connection.connection, count


async def test_the_work_runs_off_the_loop_and_keeps_its_connection_between_calls(alice):
    run = in_lasting_thread(where_and_what)

    first, second = await run(), await run()

    assert first[0] != threading.get_ident()  # not on the event loop's thread
    assert first[2] == 1  # it sees what the test committed
    assert first[0] == second[0] and first[1] is second[1]  # the same connection, kept


async def test_an_error_in_the_work_reaches_the_caller():
    def refuse() -> None:
        raise PermissionError("no")

    with pytest.raises(PermissionError):
        await in_lasting_thread(refuse)()
