from __future__ import annotations

import io
from collections.abc import Sequence

import av
import pytest
from PIL import Image, ImageStat

from simulator.media import (
    ASPECT_RATIOS,
    RESOLUTIONS,
    content_type,
    output_size,
    probe_video,
    render_image,
    render_video,
    render_video_with_cover,
)
from tests.factories import make_image, make_png

PROMPT = "A red fox crossing a snowy birch forest at golden hour"


def decode_frames(data: bytes) -> list[Image.Image]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def centre_mean(image: Image.Image) -> Sequence[float]:
    """Mean RGB of the middle half, away from the caption and progress bar."""
    w, h = image.size
    return ImageStat.Stat(image.convert("RGB").crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4))).mean


def close_to(mean: Sequence[float], colour: tuple[int, int, int], tolerance: float = 12) -> bool:
    return all(abs(m - c) <= tolerance for m, c in zip(mean, colour, strict=True))


# --- sizes ---------------------------------------------------------------------------


def test_1080p_at_16_9_is_full_hd() -> None:
    assert output_size("1080p", "16:9") == (1920, 1080)


def test_720p_at_9_16_is_portrait_720_by_1280() -> None:
    assert output_size("720p", "9:16") == (720, 1280)


def test_1080p_square_is_1080_by_1080() -> None:
    assert output_size("1080p", "1:1") == (1080, 1080)


def test_1080p_at_21_9_is_2520_wide() -> None:
    assert output_size("1080p", "21:9") == (2520, 1080)


def test_2k_and_4k_are_qhd_and_uhd_at_16_9() -> None:
    assert output_size("2K", "16:9") == (2560, 1440)
    assert output_size("4K", "16:9") == (3840, 2160)


def test_auto_follows_a_3_4_first_image() -> None:
    assert output_size("1080p", "auto", first_image_size=(600, 800)) == (1080, 1440)


def test_auto_without_a_first_image_falls_back_to_16_9() -> None:
    assert output_size("720p", "auto") == (1280, 720)


@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
@pytest.mark.parametrize("aspect_ratio", list(ASPECT_RATIOS))
def test_every_documented_size_has_even_sides(resolution: str, aspect_ratio: str) -> None:
    width, height = output_size(resolution, aspect_ratio)
    assert width % 2 == 0
    assert height % 2 == 0
    assert min(width, height) == RESOLUTIONS[resolution]


@pytest.mark.parametrize(
    ("resolution", "aspect_ratio"), [("1080", "16:9"), ("8K", "16:9"), ("1080p", "5:4")]
)
def test_unknown_resolution_or_aspect_ratio_raises(resolution: str, aspect_ratio: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        output_size(resolution, aspect_ratio)


# --- images --------------------------------------------------------------------------


def test_same_prompt_and_seed_give_identical_image_bytes() -> None:
    refs = [make_png(300, 200, color=(20, 160, 90))]
    first = render_image(prompt=PROMPT, seed=7, width=640, height=360, references=refs)
    second = render_image(prompt=PROMPT, seed=7, width=640, height=360, references=refs)
    assert first == second


def test_a_different_seed_gives_a_different_image() -> None:
    first = render_image(prompt=PROMPT, seed=7, width=640, height=360)
    second = render_image(prompt=PROMPT, seed=8, width=640, height=360)
    assert first != second


@pytest.mark.parametrize(("width", "height"), [(640, 360), (360, 640), (480, 480), (301, 199)])
def test_image_has_the_requested_dimensions(width: int, height: int) -> None:
    data = render_image(prompt=PROMPT, seed=1, width=width, height=height)
    assert Image.open(io.BytesIO(data)).size == (width, height)


def test_images_below_2k_are_png_and_from_2k_jpeg() -> None:
    small = render_image(prompt=PROMPT, seed=1, width=1920, height=1080)
    large = render_image(prompt=PROMPT, seed=1, width=2560, height=1440)
    assert content_type(small) == "image/png"
    assert content_type(large) == "image/jpeg"
    assert Image.open(io.BytesIO(large)).size == (2560, 1440)


def test_a_red_reference_makes_the_image_redder_than_a_blue_one() -> None:
    red = render_image(
        prompt=PROMPT, seed=3, width=640, height=360, references=[make_png(color=(255, 0, 0))]
    )
    blue = render_image(
        prompt=PROMPT, seed=3, width=640, height=360, references=[make_png(color=(0, 0, 255))]
    )
    red_mean = ImageStat.Stat(Image.open(io.BytesIO(red)).convert("RGB")).mean
    blue_mean = ImageStat.Stat(Image.open(io.BytesIO(blue)).convert("RGB")).mean
    assert red_mean[0] > blue_mean[0] + 40
    assert blue_mean[2] > red_mean[2] + 40


def test_an_undecodable_reference_is_ignored() -> None:
    plain = render_image(prompt=PROMPT, seed=3, width=640, height=360)
    with_junk = render_image(
        prompt=PROMPT, seed=3, width=640, height=360, references=[b"not an image"]
    )
    assert with_junk == plain


def test_image_carries_no_metadata() -> None:
    jpeg_ref = make_image(fmt="JPEG", color=(10, 200, 30))
    image = Image.open(
        io.BytesIO(
            render_image(prompt=PROMPT, seed=2, width=640, height=360, references=[jpeg_ref])
        )
    )
    assert "exif" not in image.info
    assert getattr(image, "text", {}) == {}


def test_a_zero_sized_image_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        render_image(prompt=PROMPT, seed=1, width=0, height=360)


# --- video ---------------------------------------------------------------------------


def test_video_is_h264_at_the_requested_size() -> None:
    info = probe_video(render_video(prompt=PROMPT, seed=1, width=640, height=360, duration=1))
    assert info["codec"] == "h264"
    assert info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (640, 360)


@pytest.mark.parametrize("duration", [1, 2.5])
def test_video_lasts_the_requested_duration(duration: float) -> None:
    info = probe_video(
        render_video(prompt=PROMPT, seed=1, width=640, height=360, duration=duration, fps=24)
    )
    assert abs(info["duration"] - duration) <= 1 / 24
    assert info["frames"] == round(duration * 24)


def test_same_inputs_give_identical_video_bytes() -> None:
    start = make_png(640, 360, color=(90, 40, 160))
    kwargs = {"prompt": PROMPT, "seed": 4, "width": 640, "height": 360, "duration": 1}
    assert render_video(**kwargs, start_image=start) == render_video(**kwargs, start_image=start)


def test_first_frame_shows_the_start_image() -> None:
    start = make_png(800, 450, color=(200, 80, 40))
    frames = decode_frames(
        render_video(prompt=PROMPT, seed=2, width=640, height=360, duration=1, start_image=start)
    )
    assert close_to(centre_mean(frames[0]), (200, 80, 40))


def test_video_fades_to_the_end_image() -> None:
    frames = decode_frames(
        render_video(
            prompt=PROMPT,
            seed=2,
            width=640,
            height=360,
            duration=1,
            start_image=make_png(color=(200, 80, 40)),
            end_image=make_png(color=(30, 90, 210)),
        )
    )
    assert close_to(centre_mean(frames[0]), (200, 80, 40))
    assert close_to(centre_mean(frames[-1]), (30, 90, 210))


def test_cover_is_a_jpeg_of_the_first_frame() -> None:
    video, cover = render_video_with_cover(
        prompt=PROMPT,
        seed=2,
        width=480,
        height=640,
        duration=1,
        start_image=make_png(300, 400, color=(40, 170, 120)),
    )
    image = Image.open(io.BytesIO(cover))
    assert image.format == "JPEG"
    assert image.size == (480, 640)
    assert close_to(centre_mean(image), centre_mean(decode_frames(video)[0]), tolerance=6)


def test_an_odd_video_size_is_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        render_video(prompt=PROMPT, seed=1, width=641, height=360, duration=1)


def test_full_hd_five_second_clip() -> None:
    width, height = output_size("1080p", "16:9")
    info = probe_video(
        render_video(
            prompt=PROMPT,
            seed=9,
            width=width,
            height=height,
            duration=5,
            references=[make_png(color=(240, 200, 40)), make_png(color=(40, 60, 200))],
        )
    )
    assert (info["width"], info["height"]) == (1920, 1080)
    assert abs(info["duration"] - 5) <= 1 / 24
    assert info["frames"] == 120
