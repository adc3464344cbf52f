from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.services import OwnerAlreadyExists, create_owner


def test_first_visit_with_no_user_offers_to_create_the_owner(client, db):
    response = client.get(reverse("projects:home"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:setup")
    assert "Create owner account" in response.content.decode()


def test_creating_the_owner_logs_them_in_with_every_permission(client, db):
    response = client.post(
        reverse("accounts:setup"),
        {"username": "maya", "password": "a long enough passphrase"},
        follow=True,
    )

    owner = get_user_model().objects.get()
    assert owner.username == "maya"
    assert owner.is_superuser and owner.is_staff
    assert response.context["user"] == owner
    assert response.redirect_chain[-1][0] == reverse("projects:home")


def test_a_weak_owner_password_is_refused_with_a_reason(client, db):
    response = client.post(reverse("accounts:setup"), {"username": "maya", "password": "123"})

    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_setup_is_gone_once_anyone_exists(client, alice):
    assert client.get(reverse("accounts:setup")).status_code == 404
    response = client.post(
        reverse("accounts:setup"), {"username": "mallory", "password": "a long enough passphrase"}
    )

    assert response.status_code == 404
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_login_page_stops_offering_setup_once_an_owner_exists(client, alice):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "Create owner account" not in response.content.decode()


def test_a_second_owner_cannot_be_created_by_a_late_form(db):
    create_owner(username="first", password="a long enough passphrase")

    with pytest.raises(OwnerAlreadyExists):
        create_owner(username="second", password="a long enough passphrase")

    assert list(get_user_model().objects.values_list("username", flat=True)) == ["first"]
