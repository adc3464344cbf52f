"""Who may do what: charlie (a stranger) gets 404 everywhere, bob as a viewer may look
and download but not generate or act, bob as an editor may do both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.models import Generation, Mode, State
from tests.generations.ui_factories import make_generation, make_output, png_input
from tests.library.factories import add_member, make_project


@pytest.fixture
def generation(alice):
    project = make_project(owner=alice, name="Secret")
    return make_generation(
        project=project,
        mode=Mode.REFERENCE_TO_IMAGE,
        inputs=[png_input()],
        state=State.FAILED,
        seed=11,
    )


def urls(generation: Generation) -> dict[str, list[str]]:
    """Every URL that takes an id, by the methods it answers."""
    project_id, pk = generation.project_id, generation.pk
    output = make_output_once(generation)
    snapshot = generation.inputs.get()
    looks = [
        reverse("generations:history", args=[project_id]),
        reverse("generations:detail", args=[project_id, pk]),
        reverse("generations:card", args=[project_id, pk]),
        reverse("generations:output_file", args=[project_id, output.pk, "file"]),
        reverse("generations:output_file", args=[project_id, output.pk, "thumbnail"]),
        reverse("generations:output_download", args=[project_id, output.pk]),
        reverse("generations:input_file", args=[project_id, snapshot.pk]),
    ]
    composes = [
        reverse("generations:compose", args=[project_id]),
        reverse("generations:composer_options", args=[project_id]),
        reverse("generations:composer_summary", args=[project_id]),
    ]
    acts = [
        reverse(f"generations:{action}", args=[project_id, pk])
        for action in ("cancel", "retry", "rerun", "vary", "delete")
    ]
    return {"looks": looks, "composes": composes, "acts": acts}


def make_output_once(generation: Generation):
    return generation.outputs.first() or make_output(generation)


def test_charlie_gets_404_on_every_generation_url_get_and_post(client, generation, charlie):
    client.force_login(charlie)
    every = [url for group in urls(generation).values() for url in group]

    for url in every:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"mode": "text_to_image"}).status_code in (404, 405), url
    assert any(client.get(url).status_code == 404 for url in every)
    assert Generation.objects.count() == 1


def test_charlie_cannot_reach_alices_files_through_his_own_project(client, generation, charlie):
    his = make_project(owner=charlie, name="Mine")
    output = make_output_once(generation)
    snapshot = generation.inputs.get()
    client.force_login(charlie)

    for url in (
        reverse("generations:output_file", args=[his.pk, output.pk, "file"]),
        reverse("generations:output_download", args=[his.pk, output.pk]),
        reverse("generations:input_file", args=[his.pk, snapshot.pk]),
        reverse("generations:detail", args=[his.pk, generation.pk]),
        reverse("generations:retry", args=[his.pk, generation.pk]),
    ):
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url).status_code in (404, 405), url


def test_a_viewer_may_look_and_download(client, generation, bob):
    add_member(generation.project, bob, "viewer")
    client.force_login(bob)

    for url in urls(generation)["looks"]:
        assert client.get(url).status_code == 200, url


def test_a_viewer_gets_403_on_the_composer_and_every_action(client, generation, bob):
    add_member(generation.project, bob, "viewer")
    client.force_login(bob)
    groups = urls(generation)

    for url in groups["composes"]:
        assert client.get(url).status_code == 403, url
    for url in [groups["composes"][0], *groups["acts"]]:
        assert client.post(url, {"mode": "text_to_image", "prompt": "x"}).status_code == 403, url
    assert Generation.objects.count() == 1


def test_a_viewer_sees_no_action_buttons_on_the_detail_page(client, generation, bob):
    add_member(generation.project, bob, "viewer")
    make_output_once(generation)
    client.force_login(bob)

    page = client.get(generation.get_absolute_url()).content.decode()

    assert ">Download</button>" in page
    assert ">Retry</button>" not in page and ">Vary</button>" not in page
    assert "Use as reference" not in page


def test_an_editor_may_retry(client, generation, bob):
    add_member(generation.project, bob, "editor")
    client.force_login(bob)

    response = client.post(
        reverse("generations:retry", args=[generation.project_id, generation.pk])
    )

    assert response.status_code == 302
    retry = Generation.objects.exclude(pk=generation.pk).get()
    assert retry.created_by == bob and retry.source == generation
