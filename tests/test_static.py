"""Static files are answered on the event loop, above the session and the security
middleware, so they carry their own headers."""

from __future__ import annotations


def test_a_static_file_is_answered_with_nosniff_and_no_session(client):
    response = client.get("/static/css/gallery.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response
