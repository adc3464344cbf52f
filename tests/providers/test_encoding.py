from __future__ import annotations

import io
import json
import random

import pytest
from PIL import Image

from providers.base import Endpoint, GenerationRequest, ImageInput, SubjectInput
from providers.encoding import (
    BodyTooLarge,
    estimated_body_bytes,
    fit_body_budget,
    to_data_uri,
)
from providers.validation import check_image, decode_data_uri
from tests.factories import make_png

BUDGET = 20 * 1024 * 1024


def noise(width: int, height: int, *, mode: str = "RGB", seed: int = 0) -> ImageInput:
    """A PNG of random pixels: as large as a PNG of that size gets."""
    channels = len(mode)
    pixels = random.Random(seed).randbytes(width * height * channels)
    buffer = io.BytesIO()
    Image.frombytes(mode, (width, height), pixels).save(buffer, format="PNG", compress_level=1)
    return ImageInput(buffer.getvalue(), "image/png", width, height)


def small(width: int = 256, height: int = 256) -> ImageInput:
    return ImageInput(make_png(width, height), "image/png", width, height)


def wire_body(request: GenerationRequest) -> bytes:
    """The JSON body an official-dialect create call would send."""
    body = {
        "model": request.model,
        "prompt": request.prompt,
        "images": [to_data_uri(image) for image in request.images],
        "subjects": [
            {"name": subject.name, "images": [to_data_uri(image) for image in subject.images]}
            for subject in request.subjects
        ],
        "payload": request.payload,
        **request.params,
    }
    return json.dumps(body).encode()


def aspect(image: ImageInput) -> float:
    return image.width / image.height


def test_data_uri_carries_type_and_bytes():
    image = small()

    assert to_data_uri(image).startswith("data:image/png;base64,")
    assert decode_data_uri(to_data_uri(image)) == ("image/png", image.data)


def test_body_estimate_is_never_below_the_real_body_and_close_to_it():
    request = GenerationRequest(
        endpoint=Endpoint.REFERENCE2VIDEO,
        model="viduq3",
        prompt="@Fox et @Ours partagent un thé — 狐狸",
        subjects=(
            SubjectInput("Fox", (small(), small(300, 200))),
            SubjectInput("Ours", (small(),)),
        ),
        params={"duration": 8, "audio": True},
        payload="generation-42",
    )

    actual = len(wire_body(request))

    assert actual <= estimated_body_bytes(request) <= actual + 2048


def test_a_request_within_budget_is_returned_untouched():
    request = GenerationRequest(Endpoint.IMG2VIDEO, "viduq3-pro", "", images=(small(),))

    assert fit_body_budget(request) is request


def test_images_over_20_mb_of_body_are_shrunk_to_fit_keeping_their_shape():
    wide, tall = noise(3000, 1500, seed=1), noise(1200, 2400, mode="RGBA", seed=2)
    request = GenerationRequest(
        Endpoint.REFERENCE2IMAGE, "viduq2", "a poster", images=(wide, tall, small())
    )
    assert len(wire_body(request)) > BUDGET

    fitted = fit_body_budget(request)

    assert len(wire_body(fitted)) <= BUDGET
    assert len(fitted.images) == 3
    for before, after in zip(request.images, fitted.images, strict=True):
        assert after.width <= before.width
        assert aspect(after) == pytest.approx(aspect(before), rel=0.01)
        decoded, error = check_image(after.data)
        assert error is None
        assert (decoded.width, decoded.height) == (after.width, after.height)
    assert fitted.images[2] is request.images[2]  # already small: left alone


def test_subject_images_are_shrunk_too_and_keep_their_subject():
    request = GenerationRequest(
        Endpoint.REFERENCE2VIDEO,
        "viduq3",
        "@Fox runs",
        subjects=(SubjectInput("Fox", (noise(2800, 2100, seed=3), noise(2100, 2800, seed=4))),),
    )
    assert len(wire_body(request)) > BUDGET

    fitted = fit_body_budget(request)

    assert len(wire_body(fitted)) <= BUDGET
    assert fitted.subjects[0].name == "Fox"
    assert [aspect(image) for image in fitted.subjects[0].images] == pytest.approx(
        [4 / 3, 3 / 4], rel=0.01
    )


def test_images_are_never_shrunk_below_128_pixels():
    request = GenerationRequest(
        Endpoint.IMG2VIDEO, "viduq3-pro", "", images=(noise(2048, 512, seed=5),)
    )

    fitted = fit_body_budget(request, budget_bytes=20_000)
    # 512x128 at the lowest quality is about 16 kB; fitting 12 kB would take 384x96.
    with pytest.raises(BodyTooLarge):
        fit_body_budget(request, budget_bytes=12_000)

    assert (fitted.images[0].width, fitted.images[0].height) == (512, 128)


def test_a_request_that_cannot_fit_says_how_far_over_it_is():
    request = GenerationRequest(
        Endpoint.REFERENCE2IMAGE,
        "viduq2",
        "a poster",
        images=(noise(1000, 1000),),
        payload="x" * (3 * 1024 * 1024),
    )

    with pytest.raises(BodyTooLarge, match=r"limit is 2\.0 MB, 1\.0 MB over") as caught:
        fit_body_budget(request, budget_bytes=2 * 1024 * 1024)

    assert 1024 * 1024 <= caught.value.over_bytes < 1.1 * 1024 * 1024
