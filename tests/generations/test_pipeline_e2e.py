"""Every mode, end to end over real HTTP: queued → … → ready with files on disk."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from django.conf import settings
from PIL import Image

from generations.models import GenerationInput, Mode, State
from generations.services import InputImage, request_generation
from providers.base import ImageInput
from tests.factories import make_png


def png_input(
    role: str, *, width=256, height=256, color=(200, 80, 40), subject_name=""
) -> InputImage:
    return InputImage(
        role=role,
        subject_name=subject_name,
        image=ImageInput(
            data=make_png(width, height, color=color),
            content_type="image/png",
            width=width,
            height=height,
        ),
    )


CASES = {
    "text to image": (
        Mode.TEXT_TO_IMAGE,
        "viduq2",
        {"resolution": "1080p", "aspect_ratio": "1:1"},
        [],
    ),
    "reference to image": (
        Mode.REFERENCE_TO_IMAGE,
        "viduq2",
        {"aspect_ratio": "16:9"},
        [
            png_input(GenerationInput.Role.IMAGE),
            png_input(GenerationInput.Role.IMAGE, color=(20, 90, 200)),
        ],
    ),
    "reference to video": (
        Mode.REFERENCE_TO_VIDEO,
        "viduq2",
        {"duration": 1, "resolution": "540p"},
        [png_input(GenerationInput.Role.SUBJECT, subject_name="Mia")],
    ),
    "image to video": (
        Mode.IMAGE_TO_VIDEO,
        "viduq2-turbo",
        {"duration": 1, "resolution": "540p"},
        [png_input(GenerationInput.Role.START)],
    ),
    "text to video": (Mode.TEXT_TO_VIDEO, "viduq2", {"duration": 1, "resolution": "540p"}, []),
    "start and end to video": (
        Mode.START_END_TO_VIDEO,
        "viduq2-turbo",
        {"duration": 1, "resolution": "540p"},
        [
            png_input(GenerationInput.Role.START),
            png_input(GenerationInput.Role.END, color=(10, 200, 90)),
        ],
    ),
}


def run_case(pipeline, case: str):
    mode, model, params, inputs = CASES[case]
    prompt = (
        "@Mia walks along the beach at dusk"
        if mode == Mode.REFERENCE_TO_VIDEO
        else "A lighthouse at dusk"
    )
    [generation] = request_generation(
        project=pipeline.project,
        user=pipeline.project.owner,
        connection=pipeline.connection,
        mode=mode,
        model=model,
        prompt=prompt,
        params=params,
        inputs=inputs,
    )
    return pipeline.wait_for_state(generation, State.READY, State.FAILED, timeout=60)


def assert_ready_with_files(generation) -> None:
    assert generation.state == State.READY, generation.error_message
    states = list(generation.history.values_list("state", flat=True))
    assert states[0] == State.QUEUED and states[-1] == State.READY
    assert State.SUBMITTED in states and State.DOWNLOADING in states
    [output] = generation.outputs.all()
    path = Path(settings.MEDIA_ROOT) / output.file.name
    assert path.exists() and path.stat().st_size == output.size
    if generation.is_video:
        with av.open(str(path)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
        assert output.duration == pytest.approx(generation.params["duration"], abs=0.3)
        assert (Path(settings.MEDIA_ROOT) / output.poster.name).exists()
        assert (Path(settings.MEDIA_ROOT) / output.last_frame.name).exists()
    else:
        with Image.open(path) as image:
            assert image.size == (output.width, output.height)
    assert (Path(settings.MEDIA_ROOT) / output.thumbnail.name).exists()


@pytest.mark.parametrize("case", CASES)
def test_each_mode_reaches_ready_by_polling(pipeline, case):
    generation = run_case(pipeline, case)

    assert_ready_with_files(generation)
    assert generation.callback_url == ""
    assert generation.provider_task_id


@pytest.mark.parametrize("case", list(CASES))
def test_each_mode_reaches_ready_with_callbacks_alone(with_callbacks, settings, case):
    # Polls so rare that only the callbacks can bring these to ready within the test.
    settings.GENERATIONS_SIMULATOR_FIRST_POLL = 600
    settings.GENERATIONS_SIMULATOR_POLL = 600

    generation = run_case(with_callbacks, case)

    assert_ready_with_files(generation)
    assert generation.callback_url.startswith(f"{with_callbacks.url}/callbacks/simulator/")


def test_text_to_image_at_1080p_square_is_1080_pixels_a_side(pipeline):
    generation = run_case(pipeline, "text to image")

    output = generation.outputs.get()
    assert (output.width, output.height) == (1080, 1080)
