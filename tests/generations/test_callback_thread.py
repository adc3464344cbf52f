"""The callback's database work runs in lasting threads that keep their SQLite
connection (generations/views/callbacks.py): what lets one process take a burst of
provider callbacks."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from generations.views.callbacks import in_lasting_thread

pytestmark = pytest.mark.django_db(transaction=True)


def where_and_what() -> tuple[int, object, int]:
    """The thread, its open database connection, and what it sees."""
    count = get_user_model().objects.count()
    return threading.get_ident(), connection.connection, count


async def test_the_work_runs_off_the_loop_and_each_thread_keeps_its_connection(alice):
    run = in_lasting_thread(where_and_what)

    calls = [await run() for _ in range(10)]
    calls += await asyncio.gather(*(run() for _ in range(10)))

    assert threading.get_ident() not in {thread for thread, _, _ in calls}
    assert {count for _, _, count in calls} == {1}  # it sees what the test committed
    kept: dict[int, set[int]] = {}
    for thread, raw, _ in calls:
        kept.setdefault(thread, set()).add(id(raw))
    # Every thread used one connection for all its calls: opened once, never closed.
    assert all(len(opened) == 1 for opened in kept.values())
    assert len(kept) < len(calls)


async def test_an_error_in_the_work_reaches_the_caller():
    def refuse() -> None:
        raise PermissionError("no")

    with pytest.raises(PermissionError):
        await in_lasting_thread(refuse)()
