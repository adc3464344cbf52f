"""The composer: from a designer's form to queued generations, or errors by the field."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generations.composer import off_peak_hint
from generations.models import Generation, GenerationInput, Mode, State
from library.models import SubjectImage
from providers.capabilities import get_spec
from tests.factories import make_image, make_png
from tests.generations.ui_factories import make_generation, simulator_connection
from tests.library.factories import (
    add_member,
    make_library,
    make_project,
    make_subject,
    make_subject_image,
)

Role = GenerationInput.Role


@pytest.fixture
def project(alice):
    simulator_connection()
    project = make_project(owner=alice, name="Spring campaign")
    library = make_library(owner=alice, name="Main cast")
    project.libraries.add(library)
    mia = make_subject(library=library, name="Mia")
    make_subject_image(subject=mia, color=(200, 80, 40))
    make_subject_image(subject=mia, color=(20, 90, 200))
    make_subject(library=library, name="Empty", kind="object")
    return project


@pytest.fixture
def editor(client, alice):
    client.force_login(alice)
    return client


def upload(name: str = "frame.png", *, color=(10, 200, 90), size=(256, 256)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_png(*size, color=color), content_type="image/png")


def compose(client, project, **data):
    values = {"mode": Mode.TEXT_TO_IMAGE, "model": "viduq2", "variations": 1, "prompt": ""}
    values.update(data)
    return client.post(reverse("generations:compose", args=[project.pk]), values)


def errors_of(page: str, field: str) -> str:
    """The text of the error block rendered next to a field."""
    match = re.search(rf'id="id_{field}_errors"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""


# --- valid requests, each mode -------------------------------------------------------------


def test_text_to_image_queues_one_generation_and_redirects_to_the_project(editor, project):
    response = compose(
        editor, project, prompt="A lighthouse at dusk", aspect_ratio="1:1", resolution="2K"
    )

    assert response.status_code == 302
    [generation] = Generation.objects.filter(project=project)
    assert generation.mode == Mode.TEXT_TO_IMAGE and generation.model == "viduq2"
    assert generation.state == State.QUEUED
    assert generation.params == {"aspect_ratio": "1:1", "resolution": "2K"}
    assert not generation.inputs.exists()


def test_reference_to_image_sends_mentioned_subject_images_then_uploads(editor, project):
    response = compose(
        editor,
        project,
        mode=Mode.REFERENCE_TO_IMAGE,
        prompt="@Mia on a red boat",
        images=[upload("extra.png")],
    )

    assert response.status_code == 302
    [generation] = Generation.objects.filter(project=project)
    roles = list(generation.inputs.values_list("role", "subject_name"))
    assert roles == [(Role.SUBJECT, "Mia"), (Role.SUBJECT, "Mia"), (Role.IMAGE, "")]
    subject_shas = list(
        SubjectImage.objects.filter(subject__name="Mia").values_list("sha256", flat=True)
    )
    assert list(generation.inputs.values_list("sha256", flat=True))[:2] == subject_shas
    assert generation.mentions["Mia"]["kind"] == "character"


def test_reference_to_video_turns_mentions_into_named_subjects(editor, project):
    response = compose(
        editor,
        project,
        mode=Mode.REFERENCE_TO_VIDEO,
        model="viduq3",
        prompt="@Mia walks along the beach",
        duration="12",
        resolution="540p",
        aspect_ratio="9:16",
        audio="on",
        audio_type="speech_only",
    )

    assert response.status_code == 302
    [generation] = Generation.objects.filter(project=project)
    assert generation.params == {
        "duration": 12,
        "resolution": "540p",
        "aspect_ratio": "9:16",
        "audio": True,
        "audio_type": "speech_only",
    }
    assert set(generation.inputs.values_list("role", "subject_name")) == {(Role.SUBJECT, "Mia")}


def test_image_to_video_takes_an_uploaded_start_frame(editor, project):
    response = compose(
        editor,
        project,
        mode=Mode.IMAGE_TO_VIDEO,
        model="viduq2-turbo",
        prompt="The camera pulls back",
        duration="4",
        resolution="720p",
        start_upload=upload(),
    )

    assert response.status_code == 302
    [generation] = Generation.objects.filter(project=project)
    assert list(generation.inputs.values_list("role", flat=True)) == [Role.START]
    assert "aspect_ratio" not in generation.params  # img2video takes its frame's ratio


def test_text_to_video(editor, project):
    response = compose(
        editor, project, mode=Mode.TEXT_TO_VIDEO, model="viduq2", prompt="Waves", duration="3"
    )

    assert response.status_code == 302
    assert Generation.objects.get(project=project).params["duration"] == 3


def test_start_and_end_takes_an_upload_and_a_still_of_this_project(editor, project):
    still = make_generation(project=project).outputs.get()

    response = compose(
        editor,
        project,
        mode=Mode.START_END_TO_VIDEO,
        model="viduq2-turbo",
        duration="4",
        start_upload=upload(size=(320, 240)),
        end_output=still.pk,
    )

    assert response.status_code == 302
    generation = Generation.objects.filter(project=project, mode=Mode.START_END_TO_VIDEO).get()
    inputs = list(generation.inputs.all())
    assert [i.role for i in inputs] == [Role.START, Role.END]
    assert inputs[1].sha256 == hashlib.sha256(still.file.read()).hexdigest()


@pytest.mark.parametrize("count", [1, 4])
def test_variations_create_that_many_generations(editor, project, count):
    compose(editor, project, prompt="A heron", variations=count, seed="40")

    seeds = sorted(g.params["seed"] for g in Generation.objects.filter(project=project))
    assert seeds == list(range(40, 40 + count))


def test_more_than_four_variations_are_refused(editor, project):
    response = compose(editor, project, prompt="A heron", variations=5)

    assert response.status_code == 200
    assert "less than or equal to 4" in errors_of(response.content.decode(), "variations")
    assert not Generation.objects.exists()


def test_htmx_submission_answers_a_fresh_composer_and_the_new_cards_out_of_band(editor, project):
    response = editor.post(
        reverse("generations:compose", args=[project.pk]),
        {"mode": "text_to_image", "model": "viduq2", "prompt": "A heron", "variations": 2},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="composer"' in html and "A heron" in html  # the prompt stays for iterating
    # New cards go to the top of the live list; the section (and its socket) stays.
    assert 'hx-swap-oob="afterbegin:#recent-generations-list"' in html
    assert 'id="recent-generations"' not in html
    assert html.count('data-state="queued"') == 2
    assert "generations-created" in response["HX-Trigger"]


# --- limits: errors by the field, nothing created ------------------------------------------


def assert_refused(response, field: str, *words: str) -> None:
    assert response.status_code == 200
    message = errors_of(response.content.decode(), field)
    for word in words:
        assert word in message, (field, message)
    assert not Generation.objects.filter(state=State.QUEUED).exists()


def test_a_duration_the_model_does_not_allow_is_refused_by_duration(editor, project):
    response = compose(
        editor,
        project,
        mode=Mode.REFERENCE_TO_VIDEO,
        model="viduq3",
        prompt="@Mia waves",
        duration="2",
    )

    assert_refused(response, "duration", "viduq3 allows 3 to 16 seconds (got 2)")
    assert "@Mia waves" in response.content.decode()  # what was typed is kept


def test_vidu2_eight_seconds_is_720p_only(editor, project):
    response = compose(
        editor,
        project,
        mode=Mode.IMAGE_TO_VIDEO,
        model="vidu2.0",
        duration="8",
        resolution="1080p",
        start_upload=upload(),
    )

    assert_refused(response, "resolution", "only 720p at 8 seconds")


def test_a_prompt_over_the_limit_is_refused_by_the_prompt(editor, project):
    response = compose(editor, project, prompt="x" * 2001)

    assert_refused(response, "prompt", "at most 2000 characters (got 2001)")


def test_an_empty_prompt_is_refused_when_the_model_needs_one(editor, project):
    assert_refused(compose(editor, project, prompt="  "), "prompt", "needs a prompt")


def test_more_than_seven_reference_images_are_refused_by_the_images(editor, project):
    response = compose(
        editor,
        project,
        mode=Mode.REFERENCE_TO_IMAGE,
        prompt="@Mia in a crowd",
        images=[upload(f"{n}.png", color=(n * 30, 10, 10)) for n in range(6)],
    )

    assert_refused(response, "images", "at most 7 images (got 8)")


def test_too_many_subjects_for_the_model_is_refused_by_the_prompt(editor, project, alice):
    library = project.libraries.get()
    for name in ("Ana", "Ben", "Cy", "Dee"):
        make_subject_image(subject=make_subject(library=library, name=name))

    response = compose(
        editor,
        project,
        mode=Mode.REFERENCE_TO_VIDEO,
        model="viduq2-pro",
        prompt="@Mia @Ana @Ben @Cy and @Dee",
    )

    assert_refused(response, "prompt", "viduq2-pro needs 1 to 4 subjects (got 5)")


def test_image_to_video_without_a_start_frame_says_so_by_the_frame(editor, project):
    response = compose(editor, project, mode=Mode.IMAGE_TO_VIDEO, model="viduq2-turbo")

    assert_refused(response, "start_upload", "Start frame needed")


def test_an_upload_that_is_not_an_image_is_refused_by_name(editor, project):
    gif = SimpleUploadedFile("cat.gif", make_image(200, 200, fmt="GIF"), content_type="image/gif")

    response = compose(editor, project, mode=Mode.REFERENCE_TO_IMAGE, prompt="A cat", images=[gif])

    assert_refused(response, "images", "“cat.gif”", "GIF")


def test_a_model_the_mode_does_not_offer_is_refused_by_the_model(editor, project):
    response = compose(editor, project, model="viduq1", prompt="A heron")

    assert_refused(response, "model", "Vidu simulator does not offer viduq1 for text to image")


def test_a_still_of_another_project_cannot_be_used(editor, project, alice):
    other = make_generation(project=make_project(owner=alice, name="Other"))

    response = compose(
        editor,
        project,
        mode=Mode.IMAGE_TO_VIDEO,
        model="viduq2-turbo",
        start_output=other.outputs.get().pk,
    )

    assert_refused(response, "start_upload", "not a finished image of this project")


# --- mentions -----------------------------------------------------------------------------


def test_an_unknown_mention_is_refused(editor, project):
    response = compose(editor, project, mode=Mode.REFERENCE_TO_IMAGE, prompt="@Mia and @Bob")

    assert_refused(response, "prompt", "@Bob is not a subject in this project's libraries")


def test_a_name_in_two_attached_libraries_is_ambiguous_and_names_both(editor, project, alice):
    extras = make_library(owner=alice, name="Extras")
    project.libraries.add(extras)
    make_subject_image(subject=make_subject(library=extras, name="mia"))

    response = compose(editor, project, mode=Mode.REFERENCE_TO_IMAGE, prompt="@Mia smiles")

    assert_refused(response, "prompt", "@Mia is ambiguous", "“Extras”", "“Main cast”")


def test_a_mentioned_subject_without_images_is_refused(editor, project):
    response = compose(
        editor, project, mode=Mode.REFERENCE_TO_VIDEO, model="viduq2", prompt="@Empty"
    )

    assert_refused(response, "prompt", "@Empty has no reference images yet")


def test_mentions_in_a_mode_without_subjects_are_refused(editor, project):
    response = compose(editor, project, mode=Mode.TEXT_TO_VIDEO, model="viduq2", prompt="@Mia")

    assert_refused(response, "prompt", "Text to video cannot use subjects")


def test_mentions_match_any_case_and_keep_the_prompt_spelling(editor, project):
    compose(editor, project, mode=Mode.REFERENCE_TO_VIDEO, model="viduq2", prompt="@mia runs")

    generation = Generation.objects.get()
    assert set(generation.inputs.values_list("subject_name", flat=True)) == {"mia"}
    assert list(generation.mentions) == ["mia"]


# --- the options and the summary -------------------------------------------------------------


def options(client, project, **query):
    url = reverse("generations:composer_options", args=[project.pk])
    return client.get(url, query, headers={"HX-Request": "true"}).content.decode()


def offered(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1)) if select else []


def test_options_offer_only_the_models_of_the_mode(editor, project):
    assert offered(options(editor, project, mode="text_to_image"), "model") == ["viduq2"]
    assert offered(options(editor, project, mode="reference_to_image"), "model") == [
        "viduq2",
        "viduq1",
    ]


def test_viduq3_reference_to_video_offers_3_to_16_seconds(editor, project):
    html = options(editor, project, mode="reference_to_video", model="viduq3")

    assert offered(html, "duration") == [str(n) for n in range(3, 17)]
    assert offered(html, "aspect_ratio") == ["16:9", "9:16", "1:1"]
    assert 'name="audio"' in html and "checked" in html  # q3 defaults audio on


def test_vidu2_image_to_video_at_8_seconds_offers_only_720p(editor, project):
    html = options(editor, project, mode="image_to_video", model="vidu2.0", duration="8")

    assert offered(html, "duration") == ["4", "8"]
    assert offered(html, "resolution") == ["720p"]
    assert 'name="aspect_ratio"' not in html


def test_switching_model_resets_invalid_values_to_its_defaults(editor, project):
    html = options(
        editor,
        project,
        mode="reference_to_video",
        model="viduq1",
        duration="12",
        resolution="540p",
        options_for="viduq3",
    )

    assert re.search(r'<option value="5" selected', html)
    assert re.search(r'<option value="1080p" selected', html)


def test_summary_shows_the_cost_times_variations(editor, project):
    url = reverse("generations:composer_summary", args=[project.pk])
    query = {"mode": "text_to_image", "model": "viduq2", "resolution": "4K", "variations": "3"}

    html = editor.get(url, query).content.decode()

    assert "30 credits" in html and "3 × 10" in html


def test_summary_counts_the_reference_budget(editor, project):
    still = make_generation(project=project).outputs.get()
    url = reverse("generations:composer_summary", args=[project.pk])
    query = {
        "mode": "reference_to_image",
        "model": "viduq2",
        "prompt": "@Mia and @Bob",
        "files_chosen": "images:2",
        "picked": [still.pk],
    }

    html = editor.get(url, query).content.decode()

    assert re.search(r"<strong>5</strong> of 7 images", html)


def test_project_page_shows_the_composer_with_cost_and_subjects(editor, project):
    html = editor.get(project.get_absolute_url()).content.decode()

    assert 'name="prompt"' in html and ">Generate<" in html
    assert 'id="composer-subjects"' in html and '"name": "Mia"' in html
    assert "Estimated cost" in html and "6 credits" in html


def test_a_viewer_sees_recent_generations_but_no_composer(client, project, bob):
    add_member(project, bob, "viewer")
    make_generation(project=project, prompt="A heron at dawn")
    client.force_login(bob)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "A heron at dawn" in html and 'data-generation="' in html
    assert 'name="prompt"' not in html and ">Generate<" not in html


def test_use_as_start_frame_link_prefills_image_to_video(editor, project):
    still = make_generation(project=project).outputs.get()

    html = editor.get(project.get_absolute_url(), {"animate": still.pk}).content.decode()

    assert re.search(r'<option value="image_to_video" selected', html)
    assert re.search(rf'name="start_output" value="{still.pk}" checked', html)


def test_from_link_copies_a_generation_with_a_new_seed(editor, project):
    source = make_generation(
        project=project,
        mode=Mode.TEXT_TO_VIDEO,
        model="viduq2",
        prompt="Rain on glass",
        params={"duration": 7, "seed": 99},
    )

    html = editor.get(
        project.get_absolute_url(), {"from": source.pk, "seed": "new"}
    ).content.decode()

    assert "Rain on glass" in html
    assert re.search(r'<option value="7" selected', html)
    assert 'value="99"' not in html


# --- end to end ---------------------------------------------------------------------------


def test_a_composer_post_reaches_ready_through_the_pipeline(pipeline, client, alice):
    client.force_login(alice)

    response = compose(client, pipeline.project, prompt="A lighthouse at dusk", aspect_ratio="1:1")

    assert response.status_code == 302
    generation = Generation.objects.get(project=pipeline.project)
    generation = pipeline.wait_for_state(generation, State.READY, State.FAILED, timeout=60)
    assert generation.state == State.READY, generation.error_message
    assert generation.outputs.get().width == generation.outputs.get().height


# --- links from elsewhere, and the off-peak sentence ---------------------------------------


def test_animate_with_a_prompt_that_mentions_subjects_writes_them_plain_and_offers_to_keep_them(
    editor, project
):
    still = make_generation(project=project).outputs.get()

    page = editor.get(
        project.get_absolute_url(), {"animate": still.pk, "prompt": "@Mia waves at @Mountain"}
    ).content.decode()

    assert re.search(r'<option value="image_to_video" selected', page)
    assert ">Mia waves at Mountain</textarea>" in page
    assert "<strong>@Mia</strong>, <strong>@Mountain</strong> are now plain words" in page
    keep = "mode=reference_to_video&amp;prompt=%40Mia+waves+at+%40Mountain"
    assert keep in page and "Keep the subjects: Reference to video" in page


def test_a_redraw_of_the_options_never_changes_what_was_typed(editor, project):
    url = reverse("generations:composer_options", args=[project.pk])

    page = editor.get(
        url, {"mode": "image_to_video", "prompt": "@Mia waves"}, headers={"HX-Request": "true"}
    ).content.decode()

    assert "plain words" not in page


def test_a_shared_prompt_with_subjects_opens_in_reference_to_image(editor, project):
    page = editor.get(project.get_absolute_url(), {"prompt": "@Mia on a boat"}).content.decode()

    assert re.search(r'<option value="reference_to_image" selected', page)
    assert ">@Mia on a boat</textarea>" in page and "plain words" not in page


@pytest.mark.parametrize(
    ("model", "audio", "hint"),
    [
        ("viduq3-pro", "on", "Fewer credits; done within 48 hours"),
        ("viduq3-pro", "", "viduq3-pro runs off-peak only with audio on: turn Audio on first."),
        ("viduq2-pro", "", "Fewer credits; done within 48 hours"),
        ("vidu2.0", "", "Fewer credits; done within 48 hours"),
    ],
)
def test_the_off_peak_hint_is_one_true_sentence_for_the_model_and_audio(
    editor, project, model, audio, hint
):
    url = reverse("generations:composer_options", args=[project.pk])
    values = {"mode": "image_to_video", "model": model, "options_for": model, "audio": audio}

    page = html.unescape(editor.get(url, values).content.decode())

    off_peak = re.search(r'id="id_off_peak".*?<div class="help">(.*?)</div>', page, re.S)
    assert off_peak and off_peak.group(1).startswith(hint)


def test_off_peak_with_audio_on_for_an_older_model_says_to_turn_audio_off():
    spec_with_audio = dataclasses.replace(get_spec("img2video", "viduq2-pro"), audio=True)

    hint = off_peak_hint(spec_with_audio, audio=True)

    assert hint == "viduq2-pro runs off-peak only with audio off: turn Audio off first."
