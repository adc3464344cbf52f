from __future__ import annotations

import base64
import struct
import zlib

import pytest
from PIL import ImageFile

from providers.base import Endpoint, GenerationRequest, ImageInput, SubjectInput
from providers.capabilities import SPECS, ModelSpec, defaults_for
from providers.validation import (
    DataURIError,
    FieldError,
    check_image,
    check_request,
    decode_data_uri,
)
from tests.factories import make_image, make_png

R2I = Endpoint.REFERENCE2IMAGE
R2V = Endpoint.REFERENCE2VIDEO
I2V = Endpoint.IMG2VIDEO
T2V = Endpoint.TEXT2VIDEO
SE2V = Endpoint.START_END2VIDEO


def image(width: int = 256, height: int = 256, content_type: str = "image/png") -> ImageInput:
    return ImageInput(
        data=make_png(width, height), content_type=content_type, width=width, height=height
    )


def subject(name: str, count: int = 1) -> SubjectInput:
    return SubjectInput(name=name, images=tuple(image() for _ in range(count)))


def request(endpoint: Endpoint, model: str, *, prompt: str = "a fox in the snow", **kwargs):
    return GenerationRequest(endpoint=endpoint, model=model, prompt=prompt, **kwargs)


def minimal_request(spec: ModelSpec, **params) -> GenerationRequest:
    return request(
        spec.endpoint,
        spec.model,
        images=tuple(image() for _ in range(spec.image_count[0])),
        subjects=(subject("Fox"),) if spec.takes_subjects else (),
        params=params,
    )


def only_error(errors: list[FieldError]) -> FieldError:
    assert len(errors) == 1, errors
    return errors[0]


def huge_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of any size that is only a few kilobytes on disk.

    Written by hand: asking Pillow to make it would build the whole image in memory.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj()
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# --- whole requests ---------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: f"{spec.endpoint}-{spec.model}")
def test_a_minimal_request_passes_for_every_model(spec):
    assert check_request(minimal_request(spec)) == []


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: f"{spec.endpoint}-{spec.model}")
def test_a_request_spelling_out_every_default_passes_for_every_model(spec):
    assert check_request(minimal_request(spec, **defaults_for(spec))) == []


def test_unknown_model_is_an_error_on_the_model_field():
    error = only_error(check_request(request(R2V, "viduq3-mix", subjects=(subject("A"),))))

    assert error.field == "model"
    assert error.reason == "FieldInvalid"
    assert "viduq3, viduq3-turbo" in error.message


def test_reference2image_without_prompt_is_lacking_a_prompt():
    error = only_error(check_request(request(R2I, "viduq2", prompt="   ")))

    assert (error.field, error.reason) == ("prompt", "FieldLacking")


def test_prompt_over_2000_characters_is_refused_for_images_naming_the_limit():
    error = only_error(check_request(request(R2I, "viduq2", prompt="a" * 2001)))

    assert error.field == "prompt"
    assert "at most 2000 characters (got 2001)" in error.message


def test_q3_video_takes_a_5000_character_prompt_but_not_5001():
    fine = request(T2V, "viduq3-pro", prompt="a" * 5000)
    too_long = request(T2V, "viduq3-pro", prompt="a" * 5001)

    assert check_request(fine) == []
    assert "at most 5000 characters" in only_error(check_request(too_long)).message


def test_img2video_needs_no_prompt():
    assert check_request(request(I2V, "viduq3-pro", prompt="", images=(image(),))) == []


def test_viduq1_reference2image_without_images_names_the_range():
    error = only_error(check_request(request(R2I, "viduq1")))

    assert error.reason == "FieldItemCountOutOfRange"
    assert error.message == "images: viduq1 reference2image needs 1 to 7 images (got 0)."


def test_viduq2_reference2image_without_images_is_text_to_image():
    assert check_request(request(R2I, "viduq2")) == []


def test_eight_reference_images_are_too_many():
    error = only_error(check_request(request(R2I, "viduq2", images=(image(),) * 8)))

    assert "at most 7 images (got 8)" in error.message


def test_img2video_with_two_images_needs_exactly_one():
    error = only_error(check_request(request(I2V, "viduq2-pro", images=(image(),) * 2)))

    assert error.message == "images: viduq2-pro img2video needs exactly 1 image (got 2)."


def test_start_end2video_with_one_image_needs_exactly_two():
    error = only_error(check_request(request(SE2V, "viduq1", images=(image(),))))

    assert "exactly 2 images (got 1)" in error.message


def test_reference2video_refuses_flat_images_and_points_to_subjects():
    req = request(R2V, "viduq3", images=(image(),), subjects=(subject("Fox"),))
    error = only_error(check_request(req))

    assert error.reason == "FieldUnwanted"
    assert "subjects" in error.message


def test_reference2image_refuses_subjects():
    error = only_error(check_request(request(R2I, "viduq2", subjects=(subject("Fox"),))))

    assert (error.field, error.reason) == ("subjects", "FieldUnwanted")


def test_reference2video_without_subjects_names_the_range():
    errors = check_request(request(R2V, "viduq3"))

    assert errors[0].message == "subjects: viduq3 needs 1 to 7 subjects (got 0)."


def test_eight_subjects_are_too_many():
    subjects = tuple(subject(f"S{i}", count=0) for i in range(7)) + (subject("S7"),)
    error = only_error(check_request(request(R2V, "viduq2", subjects=subjects)))

    assert "1 to 7 subjects (got 8)" in error.message


def test_viduq2_pro_takes_at_most_four_subjects():
    subjects = tuple(subject(f"S{i}") for i in range(5))
    error = only_error(check_request(request(R2V, "viduq2-pro", subjects=subjects)))

    assert "1 to 4 subjects (got 5)" in error.message


def test_a_subject_with_four_images_is_refused_by_its_own_field():
    error = only_error(check_request(request(R2V, "viduq3", subjects=(subject("Fox", 4),))))

    assert error.field == "subjects[0].images"
    assert "at most 3 images (got 4)" in error.message


def test_seven_images_across_subjects_pass_but_eight_do_not():
    seven = (subject("A", 3), subject("B", 3), subject("C", 1))
    eight = (subject("A", 3), subject("B", 3), subject("C", 2))

    assert check_request(request(R2V, "viduq3", subjects=seven)) == []
    error = only_error(check_request(request(R2V, "viduq3", subjects=eight)))
    assert error.message == "subjects: all subjects together need 1 to 7 images (got 8)."


def test_subjects_with_no_images_at_all_are_refused():
    error = only_error(check_request(request(R2V, "viduq3", subjects=(subject("Fox", 0),))))

    assert "1 to 7 images (got 0)" in error.message


def test_a_subject_needs_a_name():
    req = request(R2V, "viduq3", subjects=(subject("Fox"), subject(" ")))
    error = only_error(check_request(req))

    assert (error.field, error.reason) == ("subjects[1].name", "FieldLacking")


def test_two_subjects_cannot_share_a_name():
    req = request(R2V, "viduq3", subjects=(subject("Fox"), subject("Fox")))
    error = only_error(check_request(req))

    assert error.field == "subjects[1].name"
    assert "'Fox'" in error.message


def test_duration_out_of_range_names_the_field_and_the_limit():
    req = minimal_request(SPECS[(R2V, "viduq3")], duration=20)

    assert only_error(check_request(req)).message == (
        "duration: viduq3 allows 3 to 16 seconds (got 20)."
    )


def test_vidu2_0_frames_allow_four_or_eight_seconds():
    error = only_error(check_request(minimal_request(SPECS[(I2V, "vidu2.0")], duration=5)))

    assert error.message == "duration: vidu2.0 allows 4 or 8 seconds (got 5)."


def test_viduq1_allows_only_five_seconds():
    error = only_error(check_request(minimal_request(SPECS[(T2V, "viduq1")], duration=8)))

    assert "only 5 seconds (got 8)" in error.message


def test_duration_sent_as_text_is_read_as_a_number():
    assert check_request(minimal_request(SPECS[(T2V, "viduq2")], duration="8")) == []


def test_vidu2_0_img2video_at_eight_seconds_allows_only_720p():
    spec = SPECS[(I2V, "vidu2.0")]

    assert check_request(minimal_request(spec, duration=4, resolution="1080p")) == []
    assert check_request(minimal_request(spec, duration=8, resolution="720p")) == []
    assert check_request(minimal_request(spec, duration=8)) == []
    error = only_error(check_request(minimal_request(spec, duration=8, resolution="1080p")))
    assert error.message == "resolution: vidu2.0 allows only 720p at 8 seconds (got 1080p)."


def test_resolution_not_offered_by_the_model_is_refused():
    error = only_error(
        check_request(request(R2I, "viduq1", images=(image(),), params={"resolution": "4K"}))
    )

    assert error.message == "resolution: viduq1 allows only 1080p (got 4K)."


def test_viduq3_pro_fast_has_no_540p():
    error = only_error(
        check_request(minimal_request(SPECS[(I2V, "viduq3-pro-fast")], resolution="540p"))
    )

    assert "720p or 1080p" in error.message


def test_viduq1_images_have_no_21_9_but_viduq2_ones_do():
    assert check_request(request(R2I, "viduq2", params={"aspect_ratio": "21:9"})) == []
    req = request(R2I, "viduq1", images=(image(),), params={"aspect_ratio": "21:9"})
    error = only_error(check_request(req))
    assert error.field == "aspect_ratio"
    assert "16:9, 9:16, 1:1, 3:4, 4:3 or auto (got 21:9)" in error.message


def test_auto_aspect_ratio_is_accepted_for_images():
    assert (
        check_request(request(R2I, "viduq1", images=(image(),), params={"aspect_ratio": "auto"}))
        == []
    )


def test_q3_reference2video_accepts_any_ratio_but_q1_only_its_three():
    assert check_request(minimal_request(SPECS[(R2V, "viduq3")], aspect_ratio="5:4")) == []
    error = only_error(check_request(minimal_request(SPECS[(R2V, "viduq1")], aspect_ratio="4:3")))
    assert "16:9, 9:16 or 1:1 (got 4:3)" in error.message


def test_a_ratio_that_is_no_ratio_is_refused_even_where_any_ratio_goes():
    assert check_request(minimal_request(SPECS[(R2V, "viduq3")], aspect_ratio="wide"))


def test_aspect_ratio_on_img2video_is_ignored_as_vidu_ignores_it():
    assert check_request(minimal_request(SPECS[(I2V, "viduq3-pro")], aspect_ratio="16:9")) == []


def test_audio_on_a_model_without_audio_is_refused():
    error = only_error(check_request(minimal_request(SPECS[(T2V, "viduq2")], audio=True)))

    assert error.field == "audio"
    assert "cannot generate audio" in error.message


def test_audio_must_be_true_or_false():
    error = only_error(check_request(minimal_request(SPECS[(R2V, "viduq3")], audio="yes")))

    assert error.message == "audio: must be true or false (got yes)."


def test_q3_runs_off_peak_with_its_default_audio_but_not_with_audio_off():
    spec = SPECS[(R2V, "viduq3")]

    assert check_request(minimal_request(spec, off_peak=True)) == []
    error = only_error(check_request(minimal_request(spec, off_peak=True, audio=False)))
    assert error.message == "off_peak: viduq3 runs off-peak only with audio on."


def test_q2_runs_off_peak_without_audio_but_not_with_it():
    spec = SPECS[(I2V, "viduq2-pro")]

    assert check_request(minimal_request(spec, off_peak=True)) == []
    error = only_error(check_request(minimal_request(spec, off_peak=True, audio=True)))
    assert error.message == "off_peak: viduq2-pro runs off-peak only with audio off."


@pytest.mark.parametrize("value", ["all", "speech_only", "sound_effect_only", "sound-effect_only"])
def test_documented_audio_types_are_accepted(value):
    assert check_request(minimal_request(SPECS[(R2V, "viduq3")], audio_type=value)) == []


def test_unknown_audio_type_is_refused():
    error = only_error(check_request(minimal_request(SPECS[(R2V, "viduq3")], audio_type="music")))

    assert error.field == "audio_type"


def test_movement_amplitude_that_q3_ignores_is_not_an_error_but_a_bad_value_is():
    spec = SPECS[(I2V, "viduq3-pro")]

    assert check_request(minimal_request(spec, movement_amplitude="large")) == []
    error = only_error(check_request(minimal_request(spec, movement_amplitude="huge")))
    assert error.message == "movement_amplitude: allows auto, small, medium or large (got huge)."


def test_bgm_that_q3_ignores_is_not_an_error():
    assert check_request(minimal_request(SPECS[(T2V, "viduq3-turbo")], bgm=True)) == []


def test_unknown_text2video_style_is_refused():
    error = only_error(check_request(minimal_request(SPECS[(T2V, "viduq1")], style="cartoon")))

    assert error.message == "style: viduq1 allows general or anime (got cartoon)."


def test_seed_must_be_a_whole_number():
    assert check_request(minimal_request(SPECS[(T2V, "viduq1")], seed="42")) == []
    assert (
        only_error(check_request(minimal_request(SPECS[(T2V, "viduq1")], seed="lucky"))).field
        == "seed"
    )


def test_every_problem_is_reported_at_once():
    req = request(
        I2V,
        "vidu2.0",
        images=(image(), image()),
        params={"duration": 6, "movement_amplitude": "wild"},
    )

    assert {error.field for error in check_request(req)} == {
        "images",
        "duration",
        "movement_amplitude",
    }


def test_a_small_image_in_a_subject_is_named_by_its_place():
    fox = SubjectInput(name="Fox", images=(image(), image(100, 100)))
    error = only_error(check_request(request(R2V, "viduq3", subjects=(fox,))))

    assert error.field == "subjects[0].images[1]"
    assert error.reason == "PageSizeOutOfRange"
    assert "at least 128×128 pixels (got 100×100)" in error.message


def test_a_gif_input_is_an_invalid_format():
    req = request(I2V, "viduq1", images=(image(content_type="image/gif"),))

    assert only_error(check_request(req)).reason == "ImageFormatInvalid"


def test_a_10_to_1_input_is_refused_for_its_aspect_ratio():
    error = only_error(check_request(request(I2V, "viduq1", images=(image(1000, 100),))))

    assert "between 1:4 and 4:1" in error.message


def test_start_and_end_frames_of_similar_resolution_pass():
    req = request(SE2V, "viduq2-pro", images=(image(1000, 1000), image(1000, 900)))

    assert check_request(req) == []


def test_start_and_end_frames_of_very_different_resolution_are_refused():
    req = request(SE2V, "viduq2-pro", images=(image(1000, 1000), image(500, 500)))
    error = only_error(check_request(req))

    assert error.field == "images"
    assert "between 0.8 and 1.25" in error.message


def test_end_frame_much_larger_than_the_start_is_refused_too():
    req = request(SE2V, "viduq2-pro", images=(image(500, 500), image(600, 600)))

    assert "(got 500×500 and 600×600, 0.69)" in only_error(check_request(req)).message


# --- untrusted image bytes ----------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, content_type",
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_png_jpeg_and_webp_are_accepted_with_their_size(fmt, content_type):
    data = make_image(300, 200, fmt=fmt)

    decoded, error = check_image(data)

    assert error is None
    assert decoded == ImageInput(data=data, content_type=content_type, width=300, height=200)


def test_a_truncated_png_is_refused():
    data = make_png(256, 256)

    decoded, error = check_image(data[: len(data) // 2], field="images[0]")

    assert decoded is None
    assert error.reason == "ImageFormatInvalid"
    assert error.field == "images[0]"
    assert "damaged or cut short" in error.message


def test_text_renamed_to_png_is_refused():
    decoded, error = check_image(b"just some notes, saved as photo.png\n")

    assert decoded is None
    assert error.reason == "ImageFormatInvalid"
    assert "not a PNG, JPEG or WebP image" in error.message


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><rect/></svg>'

    assert check_image(svg)[1].reason == "ImageFormatInvalid"


def test_gif_is_refused():
    assert check_image(make_image(256, 256, fmt="GIF"))[1].reason == "ImageFormatInvalid"


def test_a_20000_square_png_is_refused_without_decoding_it(monkeypatch):
    data = huge_png(20_000, 20_000)
    assert len(data) < 1_000_000

    def refuse_to_decode(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)
    decoded, error = check_image(data)

    assert decoded is None
    assert error.reason == "PageSizeOutOfRange"
    assert "too large" in error.message


def test_an_image_over_our_cap_but_under_pillows_is_refused_without_decoding(monkeypatch):
    data = huge_png(8_000, 7_000)  # 56 megapixels

    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    decoded, error = check_image(data)

    assert decoded is None
    assert "(got 8000×7000)" in error.message


def test_100_by_100_is_too_small():
    decoded, error = check_image(make_png(100, 100))

    assert decoded is None
    assert error.reason == "PageSizeOutOfRange"
    assert "at least 128×128" in error.message


def test_1000_by_100_is_too_wide():
    decoded, error = check_image(make_png(1000, 100))

    assert decoded is None
    assert "between 1:4 and 4:1 (got 1000×100)" in error.message


def test_128_by_512_is_exactly_1_to_4_and_accepted():
    decoded, error = check_image(make_png(128, 512))

    assert error is None
    assert (decoded.width, decoded.height) == (128, 512)


def test_format_is_judged_by_content_not_by_claim():
    decoded, _ = check_image(make_image(256, 256, fmt="JPEG"))

    assert decoded.content_type == "image/jpeg"


# --- data URIs ----------------------------------------------------------------------


def test_data_uri_decodes_to_its_type_and_bytes():
    data = make_png(130, 130)
    uri = "data:image/png;base64," + base64.b64encode(data).decode()

    assert decode_data_uri(uri) == ("image/png", data)


def test_data_uri_with_jpg_type_reads_as_jpeg():
    assert decode_data_uri("data:image/jpg;base64,AAAA")[0] == "image/jpeg"


def test_data_uri_without_the_comma_as_in_vtrixs_example_is_accepted():
    assert decode_data_uri("data:image/png;base64QUJD") == ("image/png", b"ABC")


def test_data_uri_with_line_breaks_in_its_base64_is_accepted():
    assert decode_data_uri("data:image/webp;base64,QU\nJD") == ("image/webp", b"ABC")


@pytest.mark.parametrize(
    "value, words",
    [
        ("https://example.com/cat.png", "not a data URI"),
        ("data:image/png,rawbytes", "base64"),
        ("data:;base64,QUJD", "no content type"),
        ("data:image/png;base64,", "no data"),
        ("data:image/png;base64,QUJ*", "damaged"),
    ],
)
def test_bad_data_uris_are_refused_with_a_clear_reason(value, words):
    with pytest.raises(DataURIError, match=words):
        decode_data_uri(value)
