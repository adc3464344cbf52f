from __future__ import annotations

import httpx
import pytest
from django.urls import reverse

from providers import http
from providers.models import ProviderConnection
from tests.factories import make_user

KEY = "vda_live_9f8e7d6c5b4a3210wxyz"


@pytest.fixture
def staff(db):
    return make_user("stella", is_staff=True)


@pytest.fixture
def connection(db) -> ProviderConnection:
    connection = ProviderConnection(name="Vidu account", kind="vidu")
    connection.set_api_key(KEY)
    connection.save()
    return connection


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def fake_provider(monkeypatch, handler) -> list[httpx.Request]:
    """Route the views' HTTP calls to `handler` instead of the network."""
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    real = http.make_client
    monkeypatch.setattr(
        http, "make_client", lambda **kw: real(transport=httpx.MockTransport(recording))
    )
    return seen


# --- who may see what ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("providers:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", ["providers:list", "providers:new"])
def test_people_who_are_not_staff_get_404(client, alice, name):
    client.force_login(alice)
    assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("providers:edit", "get"),
        ("providers:edit", "post"),
        ("providers:delete", "get"),
        ("providers:delete", "post"),
        ("providers:test", "post"),
    ],
)
def test_charlie_gets_404_for_a_connections_pages(client, charlie, connection, name, method):
    client.force_login(charlie)
    response = getattr(client, method)(reverse(name, args=[connection.pk]))
    assert response.status_code == 404
    assert ProviderConnection.objects.filter(pk=connection.pk).exists()


def test_staff_get_404_for_a_connection_that_does_not_exist(as_staff):
    assert as_staff.get(reverse("providers:edit", args=[99999])).status_code == 404


# --- the list and the key -------------------------------------------------------------------


def test_the_list_shows_connections_with_only_the_last_four_key_characters(as_staff, connection):
    html = as_staff.get(reverse("providers:list")).content.decode()
    assert "Vidu account" in html
    assert "•••• wxyz" in html
    assert KEY not in html
    assert "9f8e7d6c5b4a3210" not in html
    assert "https://api.vidu.com" in html


def test_the_list_says_where_a_key_comes_from(as_staff, monkeypatch, db):
    monkeypatch.setenv("VIDU_API_KEY", "env-key-0123456789")
    monkeypatch.delenv("KKIAI_API_KEY", raising=False)
    ProviderConnection.objects.create(name="From env", kind="vidu")
    ProviderConnection.objects.create(name="Nothing", kind="kkiai")
    html = as_staff.get(reverse("providers:list")).content.decode()
    assert "from environment" in html
    assert "not set" in html
    assert "env-key-0123456789" not in html


def test_the_edit_page_never_renders_the_key(as_staff, connection):
    html = as_staff.get(reverse("providers:edit", args=[connection.pk])).content.decode()
    assert KEY not in html
    assert "wxyz" in html
    assert 'type="password"' in html


def test_a_failed_edit_does_not_echo_the_typed_key(as_staff, connection):
    response = as_staff.post(
        reverse("providers:edit", args=[connection.pk]),
        {"name": "", "kind": "vidu", "api_key": "new-secret-key-000111", "concurrency_limit": 5},
    )
    assert response.status_code == 200
    assert "new-secret-key-000111" not in response.content.decode()


# --- create, edit, delete -------------------------------------------------------------------


def test_staff_can_add_a_connection_with_an_encrypted_key(as_staff):
    response = as_staff.post(
        reverse("providers:new"),
        {
            "name": "PowerTokens",
            "kind": "powertokens",
            "base_url": "",
            "api_key": "pt-key-abcdefgh1234",
            "concurrency_limit": 3,
            "callbacks_enabled": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    created = ProviderConnection.objects.get(name="PowerTokens")
    assert created.api_key == "pt-key-abcdefgh1234"
    assert "pt-key-abcdefgh1234" not in created.api_key_ciphertext
    assert created.concurrency_limit == 3
    assert created.effective_base_url == "https://api.powertokens.ai/vidu"


def edit(client, connection, **changes):
    data = {
        "name": connection.name,
        "kind": connection.kind,
        "base_url": connection.base_url,
        "api_key": "",
        "concurrency_limit": connection.concurrency_limit,
        "is_active": "on",
        **changes,
    }
    return client.post(reverse("providers:edit", args=[connection.pk]), data)


def test_a_blank_key_field_keeps_the_stored_key(as_staff, connection):
    assert edit(as_staff, connection, concurrency_limit=2).status_code == 302
    connection.refresh_from_db()
    assert connection.api_key == KEY
    assert connection.concurrency_limit == 2


def test_a_new_key_replaces_the_stored_one(as_staff, connection):
    edit(as_staff, connection, api_key="replacement-key-9999")
    connection.refresh_from_db()
    assert connection.api_key == "replacement-key-9999"
    assert connection.key_display == "•••• 9999"


def test_the_stored_key_can_be_removed(as_staff, connection, monkeypatch):
    monkeypatch.delenv("VIDU_API_KEY", raising=False)
    edit(as_staff, connection, clear_api_key="on")
    connection.refresh_from_db()
    assert connection.api_key_ciphertext == ""
    assert connection.key_display == "not set"


def test_a_real_provider_needs_an_https_address(as_staff, connection):
    response = edit(as_staff, connection, base_url="http://api.vidu.com")
    assert response.status_code == 200
    assert "Use an https address" in response.content.decode()


def test_the_simulator_may_use_a_local_http_address(as_staff):
    simulator = ProviderConnection.objects.create(name="Local simulator", kind="simulator")
    assert edit(as_staff, simulator, base_url="http://127.0.0.1:8001/simulator").status_code == 302


def test_delete_asks_first_then_deletes(as_staff, connection):
    page = as_staff.get(reverse("providers:delete", args=[connection.pk]))
    assert "Delete Vidu account?" in page.content.decode()
    assert ProviderConnection.objects.filter(pk=connection.pk).exists()

    response = as_staff.post(reverse("providers:delete", args=[connection.pk]))
    assert response.status_code == 302
    assert not ProviderConnection.objects.filter(pk=connection.pk).exists()


# --- test connection -------------------------------------------------------------------------


def test_testing_a_connection_reports_credits_over_htmx(as_staff, connection, monkeypatch):
    seen = fake_provider(
        monkeypatch,
        lambda r: httpx.Response(200, json={"remains": [{"credit_remain": 480}]}),
    )
    response = as_staff.post(
        reverse("providers:test", args=[connection.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reachable, key accepted (480 credits left)" in html
    assert f'id="test-result-{connection.pk}"' in html
    assert "<html" not in html
    assert seen[0].url == "https://api.vidu.com/ent/v2/credits"
    assert seen[0].headers["Authorization"] == f"Token {KEY}"


def test_testing_without_javascript_reports_through_a_message(as_staff, connection, monkeypatch):
    fake_provider(monkeypatch, lambda r: httpx.Response(401, json={"reason": "Unauthorized"}))
    response = as_staff.post(reverse("providers:test", args=[connection.pk]), follow=True)
    html = response.content.decode()
    assert "Reachable, but Vidu refused the key" in html
    assert KEY not in html


def test_testing_an_unreachable_provider_says_so(as_staff, connection, monkeypatch):
    def refuse(request):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    fake_provider(monkeypatch, refuse)
    response = as_staff.post(
        reverse("providers:test", args=[connection.pk]), HTTP_HX_REQUEST="true"
    )
    assert "Could not reach https://api.vidu.com (connection refused)" in response.content.decode()


def test_testing_a_reseller_at_a_made_up_address_says_the_address_is_wrong(as_staff, monkeypatch):
    connection = ProviderConnection(name="KKIAI", kind="kkiai", base_url="https://kk.example/x")
    connection.set_api_key("made-up-key-1234567890")
    connection.save()
    seen = fake_provider(monkeypatch, lambda r: httpx.Response(404, text="Not Found"))
    response = as_staff.post(
        reverse("providers:test", args=[connection.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Wrong address: https://kk.example has no KKIAI API here" in html
    assert "key accepted" not in html
    assert [r.url.path for r in seen] == ["/x/ent/v2/reference2image"]
    assert seen[0].method == "GET"  # nothing that could create (or charge for) a task


def test_testing_a_reseller_never_claims_the_key_was_accepted(as_staff, monkeypatch):
    connection = ProviderConnection(name="PowerTokens", kind="powertokens")
    connection.set_api_key("made-up-key-1234567890")
    connection.save()
    fake_provider(monkeypatch, lambda r: httpx.Response(405))
    response = as_staff.post(
        reverse("providers:test", args=[connection.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Reachable at the right address" in html
    assert "has no free call that checks it" in html
    assert "key accepted" not in html


@pytest.mark.parametrize("kind", ["powertokens", "kkiai", "vtrix"])
def test_callbacks_are_not_offered_where_they_cannot_be_verified(as_staff, kind):
    connection = ProviderConnection.objects.create(name=kind, kind=kind, callbacks_enabled=True)
    page = as_staff.get(reverse("providers:edit", args=[connection.pk])).content.decode()
    assert 'name="callbacks_enabled"' not in page
    assert "its callbacks are signed with its own upstream key" in page

    response = edit(as_staff, connection, callbacks_enabled="on")
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.callbacks_enabled is False


def test_callbacks_are_offered_on_the_official_api(as_staff, connection):
    page = as_staff.get(reverse("providers:edit", args=[connection.pk])).content.decode()
    assert 'name="callbacks_enabled"' in page


def test_staff_enable_an_undocumented_model_as_an_experiment(as_staff):
    connection = ProviderConnection.objects.create(name="KK", kind="kkiai")
    page = as_staff.get(reverse("providers:edit", args=[connection.pk])).content.decode()
    assert "Experimental models" in page
    assert 'value="text2video:viduq3-pro"' in page
    assert 'value="reference2image:viduq2"' not in page  # documented: always offered

    response = edit(as_staff, connection, experimental=["text2video:viduq3-pro", "bogus:x"])
    assert response.status_code == 200  # an unknown pair is refused by the form
    response = edit(as_staff, connection, experimental=["text2video:viduq3-pro"])
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.experimental == ["text2video:viduq3-pro"]
    assert connection.offer_for("text2video", "viduq3-pro").experimental


def test_testing_a_connection_without_a_key_says_where_to_put_one(as_staff, monkeypatch):
    monkeypatch.delenv("VTRIX_API_KEY", raising=False)
    connection = ProviderConnection.objects.create(name="Vtrix", kind="vtrix")
    seen = fake_provider(monkeypatch, lambda r: httpx.Response(200))
    response = as_staff.post(
        reverse("providers:test", args=[connection.pk]), HTTP_HX_REQUEST="true"
    )
    assert "No API key" in response.content.decode()
    assert "VTRIX_API_KEY" in response.content.decode()
    assert seen == []


def test_testing_the_built_in_simulator_for_real(as_staff, live_studio, settings):
    settings.SIMULATOR_URL = live_studio.url + "/simulator"
    # get_or_create: an earlier live test's flush may have removed the migration's row.
    simulator, _ = ProviderConnection.objects.get_or_create(
        name="Vidu simulator", defaults={"kind": "simulator"}
    )
    response = as_staff.post(reverse("providers:test", args=[simulator.pk]), HTTP_HX_REQUEST="true")
    assert "Reachable, key accepted" in response.content.decode()


# --- admin -----------------------------------------------------------------------------------


def test_the_admin_never_shows_the_key(client, connection):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:providers_providerconnection_changelist"))
    change = client.get(reverse("admin:providers_providerconnection_change", args=[connection.pk]))
    for page in (listing, change):
        assert page.status_code == 200
        html = page.content.decode()
        assert KEY not in html
        assert "•••• wxyz" in html
