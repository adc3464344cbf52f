"""Every model's limits from the capability tables, as HTTP answers from the simulator.

Every (endpoint, model) in `providers.capabilities.SPECS`: a valid request is accepted,
and each representative invalid one gets 400 with Vidu's reason code. The clock is
frozen (tasks never finish) so nothing is rendered.
"""

from __future__ import annotations

from typing import Any

import pytest

from providers.base import Endpoint
from providers.capabilities import SPECS, ModelSpec, models_for
from tests.simulator.conftest import png_uri

IMAGE = png_uri(128, 128)


@pytest.fixture
def frozen_clock(sim_settings):
    sim_settings.SIMULATOR_IMAGE_SECONDS = 600
    sim_settings.SIMULATOR_VIDEO_SECONDS = 600


def valid_body(spec: ModelSpec) -> dict[str, Any]:
    """The smallest request the spec allows: fewest images, shortest clip, lowest res."""
    body: dict[str, Any] = {"model": spec.model, "prompt": "a quiet harbour"}
    if spec.image_count[0]:
        body["images"] = [IMAGE] * spec.image_count[0]
    if spec.takes_subjects:
        body["subjects"] = [{"name": "Ming", "images": [IMAGE]}]
    if spec.is_video:
        body["duration"] = spec.durations[0]
        body["resolution"] = spec.resolutions_for(spec.durations[0])[0]
    else:
        body["resolution"] = spec.resolutions[0]
    if spec.aspect_ratios:
        body["aspect_ratio"] = spec.aspect_ratios[0]
    return body


def invalid_cases(spec: ModelSpec) -> list[tuple[str, dict[str, Any], str]]:
    """(what, body, expected reason) for each rule the spec has."""
    base = valid_body(spec)
    cases = []
    low, high = spec.image_count
    if high:
        cases.append(
            (
                "too many images",
                {**base, "images": [IMAGE] * (high + 1)},
                "FieldItemCountOutOfRange",
            )
        )
    elif not spec.takes_subjects:
        cases.append(("images where none are taken", {**base, "images": [IMAGE]}, "FieldUnwanted"))
    if low:
        cases.append(("too few images", {**base, "images": []}, "FieldItemCountOutOfRange"))
    if spec.takes_subjects:
        many = [{"name": f"S{n}", "images": []} for n in range(spec.subject_count[1] + 1)]
        many[0]["images"] = [IMAGE]
        cases += [
            ("too many subjects", {**base, "subjects": many}, "FieldItemCountOutOfRange"),
            ("no subjects", {**base, "subjects": []}, "FieldItemCountOutOfRange"),
            (
                "four images in one subject",
                {**base, "subjects": [{"name": "Ming", "images": [IMAGE] * 4}]},
                "FieldItemCountOutOfRange",
            ),
        ]
    if spec.is_video:
        cases.append(
            ("bad duration", {**base, "duration": max(spec.durations) + 1}, "FieldInvalid")
        )
        cases.append(("bad resolution", {**base, "resolution": "4K"}, "FieldInvalid"))
    else:
        cases.append(("bad resolution", {**base, "resolution": "720p"}, "FieldInvalid"))
    if spec.aspect_ratios:
        cases.append(("bad aspect ratio", {**base, "aspect_ratio": "wide"}, "FieldInvalid"))
    cases.append(
        ("prompt too long", {**base, "prompt": "x" * (spec.prompt_max + 1)}, "FieldInvalid")
    )
    if spec.prompt_required:
        cases.append(("missing prompt", {**base, "prompt": ""}, "FieldLacking"))
    if spec.off_peak_audio is not None and spec.audio:
        wrong_audio = not spec.off_peak_audio
        cases.append(
            (
                "off-peak with the wrong audio setting",
                {**base, "off_peak": True, "audio": wrong_audio},
                "FieldInvalid",
            )
        )
    return cases


@pytest.mark.parametrize("endpoint", list(Endpoint), ids=str)
def test_every_model_limit_is_enforced_over_http(frozen_clock, sim, endpoint: Endpoint):
    # One live server per endpoint rather than per model keeps the suite quick; the
    # failure message names the model and the case.
    path = f"/simulator/ent/v2/{endpoint}"
    wrong = []
    for spec in models_for(endpoint):
        accepted = sim.post(path, valid_body(spec))
        if accepted.status_code != 200 or accepted.json()["model"] != spec.model:
            wrong.append(f"{spec.model} valid request: {accepted.status_code} {accepted.text}")
        for what, body, reason in invalid_cases(spec):
            response = sim.post(path, body)
            answer = response.json()
            if response.status_code != 400 or answer.get("reason") != reason:
                wrong.append(f"{spec.model} {what}: {response.status_code} {answer}")
            assert answer["code"] == response.status_code
            assert answer["metadata"]["trace_id"]
    assert not wrong, "\n".join(wrong)


def test_every_model_in_the_tables_is_covered():
    covered = {(spec.endpoint, spec.model) for e in Endpoint for spec in models_for(e)}
    assert covered == set(SPECS)


@pytest.mark.parametrize(
    "spec",
    [spec for spec in SPECS.values() if spec.off_peak_audio is not None and spec.audio][:2],
    ids=lambda s: f"{s.endpoint}-{s.model}",
)
def test_off_peak_with_the_right_audio_setting_is_accepted(frozen_clock, sim, spec):
    body = {**valid_body(spec), "off_peak": True, "audio": spec.off_peak_audio}

    response = sim.post(f"/simulator/ent/v2/{spec.endpoint}", body)

    assert response.status_code == 200, response.text
    assert response.json()["off_peak"] is True


def test_unknown_model_is_field_invalid(frozen_clock, sim):
    for endpoint in ("reference2image", "text2video"):
        response = sim.post(f"/simulator/ent/v2/{endpoint}", {"model": "vidu9", "prompt": "x"})
        assert response.status_code == 400
        assert response.json()["reason"] == "FieldInvalid"
        assert "model" in response.json()["message"]


def test_missing_model_is_field_lacking(frozen_clock, sim):
    response = sim.post("/simulator/ent/v2/text2video", {"prompt": "x"})

    assert response.status_code == 400
    assert response.json()["reason"] == "FieldLacking"


def test_a_non_image_is_image_format_invalid(frozen_clock, sim):
    not_png = "data:image/png;base64,aGVsbG8gd29ybGQ="

    response = sim.post(
        "/simulator/ent/v2/img2video", {"model": "viduq2-turbo", "images": [not_png]}
    )

    assert response.status_code == 400
    assert response.json()["reason"] == "ImageFormatInvalid"
    assert "images[0]" in response.json()["message"]


def test_a_tiny_image_is_refused_by_size(frozen_clock, sim):
    response = sim.post(
        "/simulator/ent/v2/img2video", {"model": "viduq2-turbo", "images": [png_uri(64, 64)]}
    )

    assert response.status_code == 400
    assert response.json()["reason"] == "PageSizeOutOfRange"


def test_bad_json_is_bad_request(frozen_clock, sim):
    response = sim.client.post(
        sim.url + "/simulator/ent/v2/text2video",
        content=b"{not json",
        headers={**sim.headers(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


def test_a_body_over_20_mb_is_refused_with_a_clear_message(frozen_clock, sim):
    huge = b'{"model": "viduq2", "prompt": "' + b"x" * (21 * 1024 * 1024) + b'"}'

    response = sim.client.post(
        sim.url + "/simulator/ent/v2/reference2image",
        content=huge,
        headers={**sim.headers(), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert "20 MB" in response.json()["message"]


def test_vtrix_errors_carry_the_documented_codes(frozen_clock, sim):
    def vtrix(body):
        response = sim.post("/simulator/vtrix/model/v1/generation", body, scheme="Bearer")
        assert response.status_code == 400, response.text
        return response.json()["error"]["code"]

    assert vtrix({"model": "viduq2_reference2image", "images": [IMAGE]}) == "008023003"
    assert (
        vtrix({"model": "viduq2_reference2image", "prompt": "x", "images": [IMAGE] * 8})
        == "008023002"
    )
    assert vtrix({"model": "viduq2_reference2image", "prompt": "x"}) == "008023001"
    assert (
        vtrix({"model": "viduq2_turbo_img2video", "prompt": "x", "images": [IMAGE], "duration": 99})
        == "008023099"
    )
    assert vtrix({"model": "no_such_model", "prompt": "x"}) == "008023099"


def test_odd_numbers_in_a_task_list_query_are_refused_in_words(sim):
    for query in (
        "created_at.from=%C2%B2",
        "created_at.from=99999999999999999999",
        "pager.page=%C2%B2",
    ):
        response = sim.get(f"/simulator/ent/v2/tasks?{query}")
        assert response.status_code == 400, (query, response.status_code)
