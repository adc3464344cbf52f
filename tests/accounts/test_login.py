from __future__ import annotations

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
