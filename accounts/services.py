from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import connection, transaction

# PostgreSQL names advisory locks by number; any constant that nothing else uses.
FIRST_RUN_LOCK = 0x5374_7564  # "Stud"


class OwnerAlreadyExists(Exception):
    """Someone finished the first-run set-up first."""


def studio_has_users() -> bool:
    return get_user_model().objects.exists()


def create_owner(*, username: str, password: str) -> AbstractUser:
    """Create the studio's first account, with every permission.

    First-run forms submitted at the same moment wait for each other, and each checks
    again once it is its turn, so exactly one creates the owner.
    """
    user_model = get_user_model()
    with transaction.atomic():
        _wait_for_other_first_runs()
        if user_model.objects.exists():
            raise OwnerAlreadyExists
        return user_model.objects.create_superuser(username=username, password=password)


def _wait_for_other_first_runs() -> None:
    """Hold the first-run lock until this transaction ends.

    SQLite needs nothing here: its IMMEDIATE transactions take the write lock at BEGIN.
    On PostgreSQL, select_for_update() on the empty user table locked no row at all, and
    8 of 12 simultaneous forms each made an owner.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FIRST_RUN_LOCK])


def add_person(*, username: str, password: str) -> AbstractUser:
    """Add a person who can log in; what they can see is given per project and library."""
    return get_user_model().objects.create_user(username=username, password=password)
