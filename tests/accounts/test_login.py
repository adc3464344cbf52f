from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


def test_login_page_shows_username_and_password_fields(client, alice):
    response = client.get(reverse("accounts:login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'for="id_username">Username<' in html
    assert 'for="id_password">Password<' in html
    assert ">Log in</button>" in html


def test_logging_in_with_the_right_password_opens_the_projects(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("projects:home")
    assert response.context["user"] == alice


def test_a_wrong_password_says_so_and_keeps_the_username(client, alice):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct username and password" in html
    assert 'value="alice"' in html
    assert not response.wsgi_request.user.is_authenticated


def test_logging_out_ends_the_session(client, alice):
    client.force_login(alice)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("projects:home")).status_code == 302


def test_logout_by_get_is_refused_so_a_link_cannot_log_you_out(client, alice):
    client.force_login(alice)

    client.get(reverse("accounts:logout"))

    assert client.get(reverse("projects:home")).status_code == 200


def test_login_redirects_to_the_page_asked_for(client, alice):
    target = reverse("accounts:people")
    response = client.post(
        f"{reverse('accounts:login')}?next={target}",
        {"username": "alice", "password": PASSWORD, "next": target},
    )

    assert response["Location"] == target


def test_login_refuses_to_redirect_off_site(client, alice):
    response = client.post(
        reverse("accounts:login"),
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("projects:home")


def test_eleven_wrong_passwords_then_the_right_one_is_refused_with_a_reason(client, alice):
    login = reverse("accounts:login")
    for _ in range(11):
        client.post(login, {"username": "alice", "password": "guess"})

    response = client.post(login, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed attempts; try again in 15 minutes." in html
    assert 'value="alice"' in html and ">Log in</button>" in html
    assert client.get(reverse("projects:home")).status_code == 302


def test_a_lockout_holds_one_username_from_one_address_only(client, alice, bob):
    login = reverse("accounts:login")
    for _ in range(10):
        client.post(login, {"username": "alice", "password": "guess"})

    from_elsewhere = Client(REMOTE_ADDR="10.0.0.2")

    assert client.post(login, {"username": "alice", "password": PASSWORD}).status_code == 429
    assert client.post(login, {"username": "bob", "password": PASSWORD}).status_code == 302
    right = {"username": "alice", "password": PASSWORD}
    assert from_elsewhere.post(login, right).status_code == 302


def test_a_few_wrong_passwords_are_forgotten_after_logging_in(client, alice):
    login = reverse("accounts:login")
    for _ in range(9):
        client.post(login, {"username": "alice", "password": "guess"})
    assert client.post(login, {"username": "alice", "password": PASSWORD}).status_code == 302
    client.logout()

    client.post(login, {"username": "alice", "password": "guess"})

    assert client.post(login, {"username": "alice", "password": PASSWORD}).status_code == 302
