from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse


def logs_in(client, username: str, password: str) -> bool:
    """Through the login form, as a person does (and as login throttling needs)."""
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code == 302


def test_the_owner_adds_a_person_who_can_then_log_in(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)

    response = client.post(
        reverse("accounts:people"),
        {"username": "dana", "password": "a long enough passphrase"},
        follow=True,
    )

    assert "dana can now log in" in response.content.decode()
    client.logout()
    assert logs_in(client, "dana", "a long enough passphrase")
    assert not get_user_model().objects.get(username="dana").is_staff


def test_a_taken_username_is_refused_whatever_its_case(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)

    response = client.post(
        reverse("accounts:people"), {"username": "ALICE", "password": "a long enough passphrase"}
    )

    assert response.status_code == 200
    assert "Someone already has this username." in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_people_page_is_not_found_for_someone_who_is_not_staff(client, charlie):
    client.force_login(charlie)

    assert client.get(reverse("accounts:people")).status_code == 404
    response = client.post(
        reverse("accounts:people"), {"username": "eve", "password": "a long enough passphrase"}
    )
    assert response.status_code == 404
    assert not get_user_model().objects.filter(username="eve").exists()


def test_everyone_can_change_their_own_password(client, charlie):
    client.force_login(charlie)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": "an even better passphrase",
            "new_password2": "an even better passphrase",
        },
        follow=True,
    )

    assert "Your password has been changed." in response.content.decode()
    client.logout()
    assert logs_in(client, "charlie", "an even better passphrase")


def test_changing_password_needs_the_old_one(client, charlie):
    client.force_login(charlie)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "an even better passphrase",
            "new_password2": "an even better passphrase",
        },
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_admin_site_lists_every_model(admin_client):
    from django.apps import apps
    from django.contrib import admin

    html = admin_client.get(reverse("admin:index")).content.decode()

    for model in apps.get_models():
        # Django's own bookkeeping tables are not things anyone edits by hand.
        if model._meta.app_label in {"sessions", "contenttypes", "admin"}:
            continue
        # django-axes lists its attempts itself; their expiry times belong to them.
        if model._meta.label in {"auth.Permission", "axes.AccessAttemptExpiration"}:
            continue
        assert admin.site.is_registered(model), f"{model._meta.label} is not in the admin"
        assert str(model._meta.verbose_name_plural).capitalize() in html


def test_staff_see_people_in_the_navigation_and_others_do_not(client, alice, charlie):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert ">People</a>" in client.get(reverse("projects:home")).content.decode()

    client.force_login(charlie)
    assert ">People</a>" not in client.get(reverse("projects:home")).content.decode()
