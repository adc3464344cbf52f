from __future__ import annotations

import pytest

from providers.base import Endpoint
from providers.capabilities import (
    UnknownModel,
    defaults_for,
    estimate_credits,
    from_vtrix_model_id,
    get_spec,
    models_for,
    vtrix_model_id,
)

R2I = Endpoint.REFERENCE2IMAGE
R2V = Endpoint.REFERENCE2VIDEO
I2V = Endpoint.IMG2VIDEO
T2V = Endpoint.TEXT2VIDEO
SE2V = Endpoint.START_END2VIDEO

DOCUMENTED_MODELS = {
    R2I: ["viduq2", "viduq1"],
    R2V: ["viduq3", "viduq3-turbo", "viduq2", "viduq2-pro", "viduq1", "vidu2.0"],
    I2V: [
        "viduq3-pro",
        "viduq3-turbo",
        "viduq3-pro-fast",
        "viduq2-pro-fast",
        "viduq2-pro",
        "viduq2-turbo",
        "viduq1",
        "viduq1-classic",
        "vidu2.0",
    ],
    T2V: ["viduq3-turbo", "viduq3-pro", "viduq2", "viduq1"],
    SE2V: [
        "viduq3-pro",
        "viduq3-turbo",
        "viduq2-pro-fast",
        "viduq2-pro",
        "viduq2-turbo",
        "viduq1",
        "viduq1-classic",
        "vidu2.0",
    ],
}
ALL_PAIRS = [
    (endpoint, model) for endpoint, models in DOCUMENTED_MODELS.items() for model in models
]


@pytest.mark.parametrize("endpoint", list(Endpoint))
def test_each_endpoint_offers_exactly_the_documented_models(endpoint):
    assert [spec.model for spec in models_for(endpoint)] == DOCUMENTED_MODELS[endpoint]


def test_unknown_model_names_the_models_to_choose_from():
    with pytest.raises(UnknownModel, match="viduq2, viduq1"):
        get_spec(R2I, "viduq3")


def test_viduq3_mix_is_not_offered_for_subjects():
    with pytest.raises(UnknownModel):
        get_spec(R2V, "viduq3-mix")


def test_an_unknown_endpoint_is_an_unknown_model():
    with pytest.raises(UnknownModel):
        get_spec("upscale", "viduq2")


def test_endpoint_may_be_given_as_its_name():
    assert get_spec("start-end2video", "viduq1").endpoint == SE2V


def test_viduq1_reference2image_needs_one_to_seven_images_while_viduq2_takes_none_to_seven():
    assert get_spec(R2I, "viduq1").image_count == (1, 7)
    assert get_spec(R2I, "viduq2").image_count == (0, 7)


@pytest.mark.parametrize("model", DOCUMENTED_MODELS[I2V])
def test_img2video_takes_exactly_one_image(model):
    assert get_spec(I2V, model).image_count == (1, 1)


@pytest.mark.parametrize("model", DOCUMENTED_MODELS[SE2V])
def test_start_end2video_takes_exactly_two_images(model):
    assert get_spec(SE2V, model).image_count == (2, 2)


@pytest.mark.parametrize("model", DOCUMENTED_MODELS[T2V])
def test_text2video_takes_no_images(model):
    assert get_spec(T2V, model).image_count == (0, 0)


@pytest.mark.parametrize("model", ["viduq3", "viduq3-turbo", "viduq2", "viduq1", "vidu2.0"])
def test_reference2video_takes_one_to_seven_subjects_of_at_most_three_images(model):
    spec = get_spec(R2V, model)

    assert spec.subject_count == (1, 7)
    assert spec.images_per_subject == 3
    assert spec.subject_images_total == (1, 7)
    assert spec.image_count == (0, 0)


def test_viduq2_pro_takes_at_most_four_image_subjects():
    assert get_spec(R2V, "viduq2-pro").subject_count == (1, 4)


@pytest.mark.parametrize("endpoint, model", ALL_PAIRS)
def test_only_reference2video_takes_subjects(endpoint, model):
    assert get_spec(endpoint, model).takes_subjects == (endpoint == R2V)


@pytest.mark.parametrize("model", DOCUMENTED_MODELS[R2I])
def test_reference2image_prompt_is_required_and_at_most_2000_characters(model):
    spec = get_spec(R2I, model)

    assert spec.prompt_required
    assert spec.prompt_max == 2000


@pytest.mark.parametrize(
    "endpoint, model", [(R2V, "viduq3"), (I2V, "viduq3-pro"), (T2V, "viduq3-turbo")]
)
def test_q3_video_prompts_may_be_5000_characters(endpoint, model):
    assert get_spec(endpoint, model).prompt_max == 5000


def test_frames_endpoints_do_not_need_a_prompt_but_text_and_reference_ones_do():
    assert not get_spec(I2V, "viduq3-pro").prompt_required
    assert not get_spec(SE2V, "viduq2-pro").prompt_required
    assert get_spec(T2V, "viduq2").prompt_required
    assert get_spec(R2V, "viduq2").prompt_required


def test_viduq3_reference2video_runs_3_to_16_seconds_default_5_with_audio_on():
    spec = get_spec(R2V, "viduq3")

    assert spec.durations == tuple(range(3, 17))
    assert spec.default_duration == 5
    assert spec.audio and spec.audio_default


@pytest.mark.parametrize(
    "endpoint, model, low, high",
    [
        (R2V, "viduq2", 1, 10),
        (R2V, "viduq2-pro", 1, 10),
        (I2V, "viduq3-pro-fast", 1, 16),
        (I2V, "viduq2-turbo", 1, 10),
        (T2V, "viduq3-pro", 1, 16),
        (T2V, "viduq2", 1, 10),
        (SE2V, "viduq3-turbo", 1, 16),
        (SE2V, "viduq2-pro", 1, 8),
    ],
)
def test_duration_ranges_match_the_docs(endpoint, model, low, high):
    spec = get_spec(endpoint, model)

    assert spec.durations == tuple(range(low, high + 1))
    assert spec.default_duration == 5


@pytest.mark.parametrize("endpoint", [R2V, I2V, T2V, SE2V])
def test_viduq1_makes_only_five_second_1080p_videos(endpoint):
    spec = get_spec(endpoint, "viduq1")

    assert spec.durations == (5,)
    assert spec.resolutions == ("1080p",)


def test_vidu2_0_reference2video_makes_four_seconds_at_360p_or_720p():
    spec = get_spec(R2V, "vidu2.0")

    assert spec.durations == (4,)
    assert spec.resolutions == ("360p", "720p")
    assert spec.default_resolution == "360p"


@pytest.mark.parametrize("endpoint", [I2V, SE2V])
def test_vidu2_0_frames_make_4_s_up_to_1080p_but_8_s_only_at_720p(endpoint):
    spec = get_spec(endpoint, "vidu2.0")

    assert spec.durations == (4, 8)
    assert spec.resolutions_for(4) == ("360p", "720p", "1080p")
    assert spec.resolutions_for(8) == ("720p",)
    assert spec.default_resolution_for(4) == "360p"
    assert spec.default_resolution_for(8) == "720p"


@pytest.mark.parametrize("endpoint", [I2V, SE2V])
def test_q2_pro_fast_frames_have_no_540p(endpoint):
    assert get_spec(endpoint, "viduq2-pro-fast").resolutions == ("720p", "1080p")


def test_viduq3_pro_fast_has_no_540p_while_viduq3_pro_does():
    assert get_spec(I2V, "viduq3-pro-fast").resolutions == ("720p", "1080p")
    assert get_spec(I2V, "viduq3-pro").resolutions == ("540p", "720p", "1080p")


def test_reference2image_resolutions_per_model():
    assert get_spec(R2I, "viduq2").resolutions == ("1080p", "2K", "4K")
    assert get_spec(R2I, "viduq1").resolutions == ("1080p",)


@pytest.mark.parametrize("endpoint, model", ALL_PAIRS)
def test_every_default_is_one_of_the_allowed_values(endpoint, model):
    spec = get_spec(endpoint, model)

    assert spec.default_resolution in spec.resolutions
    if spec.is_video:
        assert spec.default_duration in spec.durations
    if spec.aspect_ratios:
        assert spec.default_aspect_ratio in spec.aspect_ratios


def test_reference2image_aspect_ratios_per_model_including_auto():
    assert get_spec(R2I, "viduq1").aspect_ratios == ("16:9", "9:16", "1:1", "3:4", "4:3", "auto")
    assert set(get_spec(R2I, "viduq2").aspect_ratios) == {
        "16:9", "9:16", "1:1", "3:4", "4:3", "21:9", "2:3", "3:2", "auto",
    }  # fmt: skip


@pytest.mark.parametrize("endpoint", [I2V, SE2V])
def test_frames_endpoints_take_no_aspect_ratio(endpoint):
    for spec in models_for(endpoint):
        assert spec.aspect_ratios == ()
        assert spec.default_aspect_ratio is None


def test_text2video_offers_3_4_and_4_3_only_on_q2_and_q3():
    assert "3:4" in get_spec(T2V, "viduq2").aspect_ratios
    assert "4:3" in get_spec(T2V, "viduq3-pro").aspect_ratios
    assert get_spec(T2V, "viduq1").aspect_ratios == ("16:9", "9:16", "1:1")


def test_reference2video_q2_and_q3_accept_any_ratio_but_q1_only_the_three():
    assert get_spec(R2V, "viduq3").any_aspect_ratio
    assert get_spec(R2V, "viduq2").any_aspect_ratio
    assert not get_spec(R2V, "viduq1").any_aspect_ratio
    assert get_spec(R2V, "viduq1").aspect_ratios == ("16:9", "9:16", "1:1")


@pytest.mark.parametrize("endpoint, model", ALL_PAIRS)
def test_q3_runs_off_peak_only_with_audio_and_older_models_only_without(endpoint, model):
    spec = get_spec(endpoint, model)

    if not spec.is_video:
        assert spec.off_peak_audio is None
    else:
        assert spec.off_peak_audio == model.startswith("viduq3")


@pytest.mark.parametrize("endpoint, model", ALL_PAIRS)
def test_audio_defaults_on_exactly_for_q3_video(endpoint, model):
    spec = get_spec(endpoint, model)

    assert spec.audio_default == (spec.is_video and model.startswith("viduq3"))


def test_text2video_has_audio_only_on_q3():
    assert get_spec(T2V, "viduq3-turbo").audio
    assert not get_spec(T2V, "viduq2").audio
    assert not get_spec(T2V, "viduq1").audio


def test_audio_types_are_the_documented_enum():
    assert get_spec(R2V, "viduq3").audio_types == ("all", "speech_only", "sound_effect_only")


def test_movement_amplitude_and_bgm_matter_only_where_documented():
    assert get_spec(I2V, "viduq1").movement_amplitude
    assert get_spec(I2V, "vidu2.0").movement_amplitude
    assert not get_spec(I2V, "viduq2-pro").movement_amplitude
    assert not get_spec(I2V, "viduq3-pro").movement_amplitude
    assert get_spec(I2V, "viduq2-pro").bgm
    assert not get_spec(I2V, "viduq3-pro").bgm


def test_only_text2video_has_a_style():
    assert get_spec(T2V, "viduq1").styles == ("general", "anime")
    assert get_spec(I2V, "viduq1").styles == ()


def test_defaults_are_the_parameters_vidu_fills_in():
    assert defaults_for(get_spec(R2V, "viduq3")) == {
        "duration": 5,
        "resolution": "720p",
        "aspect_ratio": "16:9",
        "audio": True,
        "audio_type": "all",
        "movement_amplitude": "auto",
        "off_peak": False,
    }
    assert defaults_for(get_spec(R2I, "viduq2")) == {"resolution": "1080p", "aspect_ratio": "16:9"}


def test_defaults_for_frames_leave_out_aspect_ratio():
    defaults = defaults_for(get_spec(I2V, "vidu2.0"))

    assert "aspect_ratio" not in defaults
    assert defaults["duration"] == 4
    assert defaults["resolution"] == "360p"
    assert defaults["bgm"] is False


def test_credit_estimates_reproduce_the_documented_examples():
    # S001 (viduq2 image, 6), S002 (viduq3 r2v 1080p 8 s, "15"), S004 (viduq3-pro 1080p 5 s, 10)
    assert estimate_credits(get_spec(R2I, "viduq2"), {}) == 6
    assert estimate_credits(get_spec(R2V, "viduq3"), {"duration": 8, "resolution": "1080p"}) == 15
    assert (
        estimate_credits(get_spec(I2V, "viduq3-pro"), {"duration": 5, "resolution": "1080p"}) == 10
    )


def test_longer_and_sharper_videos_cost_more():
    spec = get_spec(R2V, "viduq3")

    assert estimate_credits(spec, {"duration": 10}) > estimate_credits(spec, {"duration": 5})
    assert estimate_credits(spec, {"resolution": "1080p"}) > estimate_credits(
        spec, {"resolution": "540p"}
    )


def test_off_peak_costs_less():
    spec = get_spec(I2V, "viduq2-pro")

    assert estimate_credits(spec, {"off_peak": True}) < estimate_credits(spec, {})


def test_recommended_prompt_adds_ten_credits():
    spec = get_spec(I2V, "viduq2-turbo")

    assert estimate_credits(spec, {"is_rec": True}) == estimate_credits(spec, {}) + 10


def test_a_4k_image_costs_more_than_a_1080p_one():
    spec = get_spec(R2I, "viduq2")

    assert estimate_credits(spec, {"resolution": "4K"}) > estimate_credits(
        spec, {"resolution": "1080p"}
    )


@pytest.mark.parametrize("endpoint, model", ALL_PAIRS)
def test_every_model_has_a_positive_estimate_and_poll_time(endpoint, model):
    spec = get_spec(endpoint, model)

    assert estimate_credits(spec, {}) >= 1
    assert spec.expected_seconds > 0


def test_vtrix_id_for_viduq2_reference2image_is_the_documented_one():
    assert vtrix_model_id(R2I, "viduq2") == "viduq2_reference2image"
    assert from_vtrix_model_id("viduq2_reference2image") == (R2I, "viduq2")


def test_vtrix_ids_seen_in_the_docs_map_to_their_models():
    assert from_vtrix_model_id("viduq2_turbo_img2video") == (I2V, "viduq2-turbo")
    assert from_vtrix_model_id("viduq2_turbo_start_end") == (SE2V, "viduq2-turbo")
    assert from_vtrix_model_id("viduq2_pro_reference") == (R2V, "viduq2-pro")


@pytest.mark.parametrize(
    ("endpoint", "model"), [(I2V, "viduq3-pro"), (R2I, "viduq1"), (T2V, "viduq2")]
)
def test_no_vtrix_id_is_made_up_for_a_pair_no_source_names(endpoint, model):
    with pytest.raises(UnknownModel):
        vtrix_model_id(endpoint, model)


def test_every_pair_vtrix_offers_has_a_documented_id_that_round_trips():
    from providers.catalogs import VTRIX

    ids = [vtrix_model_id(offer.endpoint, offer.model) for offer in VTRIX]
    assert ids == [
        "viduq2_reference2image",
        "viduq2_turbo_img2video",
        "viduq2_turbo_start_end",
        "viduq2_pro_reference",
    ]
    assert [from_vtrix_model_id(i) for i in ids] == [(o.endpoint, o.model) for o in VTRIX]


def test_unknown_vtrix_id_is_refused():
    with pytest.raises(UnknownModel):
        from_vtrix_model_id("vidu_create_subjects")
