"""Static files pass through the security middleware like every other answer."""

from __future__ import annotations


def test_a_static_file_carries_the_security_headers_and_no_session(client):
    response = client.get("/static/css/gallery.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "Set-Cookie" not in response
