"""Static files are answered above the security middleware (studio/settings.py,
MIDDLEWARE) and carry its headers all the same."""

from __future__ import annotations


def test_a_static_file_carries_the_security_headers_and_no_session(client):
    response = client.get("/static/css/gallery.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    # A file opened on its own (an SVG, say) may run and load nothing, nor be framed.
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Set-Cookie" not in response


def test_a_page_still_gets_the_full_policy(client, alice):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
