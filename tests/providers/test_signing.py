from __future__ import annotations

from collections.abc import Callable

import pytest

from providers.signing import (
    SignatureError,
    callback_headers,
    sign,
    signing_string,
    verify_callback,
)

URL = "https://studio.example/callbacks/vidu/3f9a2c/"
SECRET = "vidu-api-key-of-the-connection"
NOW = 1_746_533_382.0  # Tue, 06 May 2025 12:09:42 GMT


def nonce_store() -> Callable[[str], bool]:
    seen: set[str] = set()

    def seen_nonce(nonce: str) -> bool:
        if nonce in seen:
            return True
        seen.add(nonce)
        return False

    return seen_nonce


def verify(headers: dict[str, str], **overrides) -> None:
    arguments = {
        "method": "POST",
        "callback_url": URL,
        "secret": SECRET,
        "now": NOW,
        "seen_nonce": nonce_store(),
    }
    verify_callback(headers, **{**arguments, **overrides})


def reason_for(headers: dict[str, str], **overrides) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(headers, **overrides)
    return caught.value.reason


def test_signing_string_matches_vidus_worked_example_byte_for_byte():
    text = signing_string(
        method="POST",
        callback_url="http://127.0.0.1:8080/vidu/callback?name=james&age=36",
        date="Tue, 06 May 2025 12:09:42 GMT",
        signed_headers=[
            ("Date", "Tue, 06 May 2025 12:09:42 GMT"),
            ("x-request-nonce", "123e4567-e89b-12d3-a456-426614174000"),
        ],
    )

    assert text == (
        "POST\n"
        "/vidu/callback\n"
        "name=james&age=36\n"
        "vidu\n"
        "Tue, 06 May 2025 12:09:42 GMT\n"
        "Date:Tue, 06 May 2025 12:09:42 GMT\n"
        "x-request-nonce:123e4567-e89b-12d3-a456-426614174000\n"
    )


def test_signing_string_uses_slash_for_an_empty_path_and_keeps_no_query():
    text = signing_string(
        method="post", callback_url="https://studio.example", date="D", signed_headers=[]
    )

    assert text == "POST\n/\n\nvidu\nD\n"


def test_signature_is_base64_hmac_sha256_of_the_string():
    # Computed independently: printf abc | openssl dgst -sha256 -hmac key -binary | base64
    assert sign("key", "abc") == "nBluMtwBdfhvSxy4konWYZ3mvuaZ5MN45oMJ7Zehpqs="


def test_callback_headers_carry_the_documented_names_and_values():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW, nonce="n-1")

    assert headers["Date"] == "Tue, 06 May 2025 12:09:42 GMT"
    assert headers["x-request-nonce"] == "n-1"
    assert headers["X-HMAC-SIGNED-HEADERS"] == "Date;x-request-nonce"
    assert headers["X-HMAC-ALGORITHM"] == "hmac-sha256"
    assert headers["X-HMAC-ACCESS-KEY"] == "vidu"


def test_callback_headers_make_a_fresh_nonce_each_time():
    first = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    second = callback_headers(secret=SECRET, callback_url=URL, now=NOW)

    assert first["x-request-nonce"] != second["x-request-nonce"]


def test_signed_callback_verifies():
    verify(callback_headers(secret=SECRET, callback_url=URL, now=NOW))


def test_verification_ignores_header_name_case():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)

    verify({name.upper(): value for name, value in headers.items()})


def test_callback_signed_with_another_key_is_refused():
    headers = callback_headers(secret="someone-elses-key", callback_url=URL, now=NOW)

    assert reason_for(headers) == "bad_signature"


def test_callback_signed_for_another_url_is_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL + "other/", now=NOW)

    assert reason_for(headers) == "bad_signature"


def test_signed_headers_listed_in_another_order_than_signed_are_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    headers["X-HMAC-SIGNED-HEADERS"] = "x-request-nonce;Date"

    assert reason_for(headers) == "bad_signature"


def test_signature_computed_without_the_final_newline_is_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW, nonce="n-1")
    text = signing_string(
        method="POST",
        callback_url=URL,
        date=headers["Date"],
        signed_headers=[("Date", headers["Date"]), ("x-request-nonce", "n-1")],
    )
    headers["X-HMAC-SIGNATURE"] = sign(SECRET, text.removesuffix("\n"))

    assert reason_for(headers) == "bad_signature"


def test_signature_made_with_vidu_as_the_secret_is_refused():
    headers = callback_headers(secret="vidu", callback_url=URL, now=NOW)

    assert reason_for(headers) == "bad_signature"


@pytest.mark.parametrize("offset", [-301, 301])
def test_date_more_than_five_minutes_off_is_refused(offset):
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW + offset)

    assert reason_for(headers) == "stale_date"


@pytest.mark.parametrize("offset", [-299, 299])
def test_date_within_five_minutes_is_accepted(offset):
    verify(callback_headers(secret=SECRET, callback_url=URL, now=NOW + offset))


def test_unreadable_date_is_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    headers["Date"] = "yesterday"

    assert reason_for(headers) == "bad_date"


def test_replayed_nonce_is_refused_the_second_time():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    seen_nonce = nonce_store()

    verify(headers, seen_nonce=seen_nonce)
    with pytest.raises(SignatureError) as caught:
        verify(headers, seen_nonce=seen_nonce)

    assert caught.value.reason == "replayed_nonce"


def test_nonce_is_not_recorded_for_a_forged_callback():
    recorded: list[str] = []
    headers = callback_headers(secret="forger", callback_url=URL, now=NOW)

    with pytest.raises(SignatureError):
        verify(headers, seen_nonce=lambda nonce: recorded.append(nonce) or False)

    assert recorded == []


@pytest.mark.parametrize(
    "name",
    [
        "Date",
        "x-request-nonce",
        "X-HMAC-SIGNED-HEADERS",
        "X-HMAC-SIGNATURE",
        "X-HMAC-ALGORITHM",
        "X-HMAC-ACCESS-KEY",
    ],
)
def test_callback_missing_a_header_is_refused(name):
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    del headers[name]

    assert reason_for(headers) == "missing_header"


def test_wrong_algorithm_is_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    headers["X-HMAC-ALGORITHM"] = "hmac-sha1"

    assert reason_for(headers) == "bad_algorithm"


def test_wrong_access_key_is_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    headers["X-HMAC-ACCESS-KEY"] = "someone"

    assert reason_for(headers) == "bad_access_key"


def test_signature_that_leaves_out_the_nonce_is_refused():
    headers = callback_headers(secret=SECRET, callback_url=URL, now=NOW)
    headers["X-HMAC-SIGNED-HEADERS"] = "Date"
    text = signing_string(
        method="POST",
        callback_url=URL,
        date=headers["Date"],
        signed_headers=[("Date", headers["Date"])],
    )
    headers["X-HMAC-SIGNATURE"] = sign(SECRET, text)

    assert reason_for(headers) == "unsigned_required_header"
