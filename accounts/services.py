from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction


class OwnerAlreadyExists(Exception):
    """Someone finished the first-run set-up first."""


def studio_has_users() -> bool:
    return get_user_model().objects.exists()


def create_owner(*, username: str, password: str) -> AbstractUser:
    """Create the studio's first account, with every permission.

    Checked again inside the transaction so that two first-run forms submitted at the
    same moment cannot both create an owner.
    """
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.select_for_update().exists():
            raise OwnerAlreadyExists
        return user_model.objects.create_superuser(username=username, password=password)


def add_person(*, username: str, password: str) -> AbstractUser:
    """Add a person who can log in; what they can see is given per project and library."""
    return get_user_model().objects.create_user(username=username, password=password)
