"""History: filters in the URL, constant queries per page, and a generation's own page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import GenerationInput, Mode, State
from tests.factories import body_of
from tests.generations.ui_factories import make_generation, png_input
from tests.library.factories import make_library, make_project, make_subject


@pytest.fixture
def project(alice):
    return make_project(owner=alice, name="Harbour Film")


@pytest.fixture
def owner(client, alice):
    client.force_login(alice)
    return client


def shown(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-generation="(\d+)"', response.content.decode())]


def history(client, project, **query):
    return client.get(reverse("generations:history", args=[project.pk]), query)


def test_history_lists_every_generation_newest_first(owner, project):
    now = timezone.now()
    old = make_generation(project=project, created_at=now - timedelta(days=2))
    new = make_generation(project=project, created_at=now)
    failed = make_generation(
        project=project, state=State.FAILED, created_at=now - timedelta(days=1)
    )

    assert shown(history(owner, project)) == [new.pk, failed.pk, old.pk]


def test_history_filters_by_mode_model_state_subject_dates_and_words(owner, project):
    now = timezone.now()
    heron = make_generation(project=project, prompt="A grey heron at dawn")
    clip = make_generation(
        project=project,
        mode=Mode.TEXT_TO_VIDEO,
        model="viduq3-turbo",
        prompt="@Mia runs in the rain",
        mentions={"Mia": {"subject_id": 1, "library_id": 1, "kind": "character"}},
        state=State.FAILED,
        created_at=now - timedelta(days=10),
    )

    assert shown(history(owner, project, mode="text_to_video")) == [clip.pk]
    assert shown(history(owner, project, model="viduq2")) == [heron.pk]
    assert shown(history(owner, project, state="failed")) == [clip.pk]
    assert shown(history(owner, project, subject="@Mia")) == [clip.pk]
    assert shown(history(owner, project, q="HERON dawn")) == [heron.pk]
    since = (now - timedelta(days=3)).date().isoformat()
    assert shown(history(owner, project, since=since)) == [heron.pk]
    until = (now - timedelta(days=3)).date().isoformat()
    assert shown(history(owner, project, until=until)) == [clip.pk]
    assert shown(history(owner, project, q="nothing like it")) == []


def test_the_subject_list_names_a_subject_of_two_libraries_once(owner, project, alice):
    for name in ("Main cast", "Extras"):
        library = make_library(owner=alice, name=name)
        make_subject(library=library, name="Mia")
        project.libraries.add(library)
    make_subject(library=library, name="Ada")
    datalist = re.search(
        r'<datalist id="history-subjects">(.*?)</datalist>',
        history(owner, project).content.decode(),
    )
    assert re.findall(r'<option value="([^"]+)">', datalist.group(1)) == ["Ada", "Mia"]


def test_filtered_history_keeps_filters_in_the_page_links(owner, project):
    for n in range(26):
        make_generation(project=project, prompt=f"heron {n}")

    response = history(owner, project, q="heron")
    page = response.content.decode()

    assert len(shown(response)) == 24
    assert "?q=heron&amp;page=2" in page
    assert len(shown(history(owner, project, q="heron", page=2))) == 2


def test_htmx_filter_answers_only_the_results(owner, project):
    make_generation(project=project)

    response = owner.get(
        reverse("generations:history", args=[project.pk]),
        {"state": "ready"},
        headers={"HX-Request": "true", "HX-Target": "history-results"},
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="history-results"')
    assert "<html" not in page


def count_queries(client, project) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = history(client, project)
    assert response.status_code == 200
    return len(queries)


def test_a_history_page_takes_the_same_queries_for_2_or_24_cards(owner, project):
    for _ in range(2):
        make_generation(project=project)
    few = count_queries(owner, project)
    for _ in range(30):
        make_generation(project=project, mode=Mode.TEXT_TO_VIDEO, model="viduq2")

    assert count_queries(owner, project) == few
    assert few <= 10


def test_project_list_covers_use_the_latest_ready_output_in_constant_queries(owner, alice):
    first = make_project(owner=alice, name="One")
    make_generation(project=first)
    latest = make_generation(project=first)
    make_generation(project=first, state=State.FAILED)
    with CaptureQueriesContext(connection) as one:
        page = owner.get("/").content.decode()
    for n in range(3):
        make_generation(project=make_project(owner=alice, name=f"P{n}"))
    with CaptureQueriesContext(connection) as four:
        owner.get("/")

    cover = reverse(
        "generations:output_file", args=[first.pk, latest.outputs.get().pk, "thumbnail"]
    )
    assert cover in page
    assert len(four) == len(one)


# --- a generation's page ------------------------------------------------------------------


def test_detail_shows_parameters_inputs_timeline_and_outputs(owner, project):
    generation = make_generation(
        project=project,
        mode=Mode.REFERENCE_TO_IMAGE,
        prompt="@Mia on a boat",
        params={"aspect_ratio": "4:3", "resolution": "2K"},
        inputs=[png_input(GenerationInput.Role.SUBJECT, subject_name="Mia"), png_input()],
        seed=4242,
        credits=6,
    )
    output = generation.outputs.get()

    page = owner.get(generation.get_absolute_url()).content.decode()

    assert "Aspect ratio" in page and "4:3" in page and "2K" in page and "4242" in page
    for item in generation.inputs.all():
        assert reverse("generations:input_file", args=[project.pk, item.pk]) in page
    assert "Subject image" in page and "@Mia" in page
    assert "Queued" in page and "Ready" in page  # the timeline
    assert reverse("generations:output_file", args=[project.pk, output.pk, "file"]) in page
    assert reverse("generations:output_download", args=[project.pk, output.pk]) in page
    assert ">Download</button>" in page
    assert "6 (estimated 6)" in page


def test_detail_of_a_video_has_a_player_with_its_poster(owner, project):
    generation = make_generation(project=project, mode=Mode.TEXT_TO_VIDEO, model="viduq2")
    output = generation.outputs.get()

    page = owner.get(generation.get_absolute_url()).content.decode()

    assert "<video controls" in page
    assert reverse("generations:output_file", args=[project.pk, output.pk, "poster"]) in page


def test_detail_of_a_failure_shows_its_code_and_message(owner, project):
    generation = make_generation(
        project=project,
        state=State.FAILED,
        err_code="CreationPolicyViolation",
        error_message="The prompt was refused by the provider's policy.",
    )

    page = owner.get(generation.get_absolute_url()).content.decode()

    assert "CreationPolicyViolation" in page and "refused by the provider" in page
    assert ">Retry</button>" in page


def test_download_is_named_after_project_prompt_seed_and_id(owner, project):
    generation = make_generation(project=project, prompt="A lighthouse at dusk, calm", seed=42)
    output = generation.outputs.get()

    response = owner.get(reverse("generations:output_download", args=[project.pk, output.pk]))

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    name = rf"harbour-film[-_]a-lighthouse-at-dusk-calm[-_]seed42[-_]g{generation.pk}\.png"
    assert re.search(name, disposition), disposition
    assert body_of(response) == output.file.open("rb").read()


def test_output_variants_are_served_with_their_types(owner, project):
    generation = make_generation(project=project, mode=Mode.TEXT_TO_VIDEO, model="viduq2")
    output = generation.outputs.get()

    def get(variant):
        return owner.get(reverse("generations:output_file", args=[project.pk, output.pk, variant]))

    assert get("file")["Content-Type"] == "video/mp4"
    assert get("thumbnail")["Content-Type"] == "image/webp"
    assert get("poster")["Content-Type"] == "image/jpeg"
    assert get("last_frame").status_code == 404


def test_input_snapshots_are_served_as_sent(owner, project):
    sent = png_input()
    generation = make_generation(project=project, mode=Mode.REFERENCE_TO_IMAGE, inputs=[sent])
    snapshot = generation.inputs.get()

    response = owner.get(reverse("generations:input_file", args=[project.pk, snapshot.pk]))

    assert body_of(response) == sent.image.data
    assert response["Content-Type"] == "image/png"


def test_card_renders_alone_for_polling_and_pushes(owner, project):
    generation = make_generation(project=project, state=State.PROCESSING, output=False)

    page = owner.get(reverse("generations:card", args=[project.pk, generation.pk])).content.decode()

    assert page.strip().startswith(f'<article id="generation-{generation.pk}"')
    assert 'data-state="processing"' in page and f'data-generation="{generation.pk}"' in page
