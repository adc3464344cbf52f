"""Actions on a generation: cancel, retry, re-run, vary, use as input, delete."""

from __future__ import annotations

import httpx
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.actions import snapshot_inputs
from generations.models import Generation, GenerationInput, GenerationOutput, Mode, State
from providers import http
from tests.generations.ui_factories import make_generation, png_input
from tests.library.factories import make_library, make_project, make_subject, make_subject_image


@pytest.fixture
def project(alice):
    return make_project(owner=alice, name="Harbour")


@pytest.fixture
def owner(client, alice):
    client.force_login(alice)
    return client


def act(client, generation, action: str):
    url = reverse(f"generations:{action}", args=[generation.project_id, generation.pk])
    return client.post(url, follow=True)


@pytest.fixture
def provider(monkeypatch):
    """The provider's cancel endpoint, answering as told; records what it was asked."""
    calls: list[str] = []
    answer = {"status": 200, "body": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return httpx.Response(answer["status"], json=answer["body"])

    real = http.make_client
    monkeypatch.setattr(
        http, "make_client", lambda **kw: real(transport=httpx.MockTransport(handler))
    )
    return calls, answer


# --- cancel -----------------------------------------------------------------------------------


def test_cancelling_a_queued_generation_needs_no_provider(owner, project, provider):
    generation = make_generation(project=project, state=State.QUEUED, output=False)

    response = act(owner, generation, "cancel")

    generation.refresh_from_db()
    assert generation.state == State.CANCELLED
    assert generation.history.last().detail == "cancelled in the studio"
    assert provider[0] == []
    assert "Generation cancelled." in response.content.decode()


def test_cancelling_a_running_generation_asks_the_provider_first(owner, project, provider):
    generation = make_generation(
        project=project, state=State.PROCESSING, output=False, provider_task_id="task-77"
    )

    act(owner, generation, "cancel")

    generation.refresh_from_db()
    assert provider[0] == ["POST /simulator/ent/v2/tasks/task-77/cancel"]
    assert generation.state == State.CANCELLED


def test_when_the_provider_refuses_to_cancel_its_message_is_shown(owner, project, provider):
    calls, answer = provider
    answer.update(
        status=400,
        body={
            "code": 400,
            "reason": "BadRequest",
            "message": "task state is success, can not cancel",
        },
    )
    generation = make_generation(
        project=project, state=State.PROCESSING, output=False, provider_task_id="task-78"
    )

    response = act(owner, generation, "cancel")

    generation.refresh_from_db()
    assert generation.state == State.PROCESSING
    assert "can not cancel" in response.content.decode()


def test_a_finished_generation_cannot_be_cancelled(owner, project, provider):
    generation = make_generation(project=project)

    response = act(owner, generation, "cancel")

    assert "already ended" in response.content.decode()
    assert provider[0] == []


# --- retry, re-run, vary: from the snapshots ---------------------------------------------------


def test_retry_sends_the_snapshot_even_after_the_subject_image_changed(owner, project, alice):
    library = make_library(owner=alice)
    project.libraries.add(library)
    mia = make_subject(library=library, name="Mia")
    old_image = make_subject_image(subject=mia, color=(200, 80, 40))
    owner.post(
        reverse("generations:compose", args=[project.pk]),
        {"mode": "reference_to_image", "model": "viduq2", "prompt": "@Mia", "variations": 1},
    )
    original = Generation.objects.get()
    Generation.objects.filter(pk=original.pk).update(state=State.FAILED)
    old_image.delete()
    new_image = make_subject_image(subject=mia, color=(10, 200, 10))

    response = act(owner, original, "retry")

    retry = Generation.objects.exclude(pk=original.pk).get()
    sent = list(retry.inputs.values_list("sha256", flat=True))
    assert sent == [old_image.sha256] != [new_image.sha256]
    assert retry.source_id == original.pk and retry.prompt == "@Mia"
    assert [i.image.data for i in snapshot_inputs(retry)] == [
        i.image.data for i in snapshot_inputs(original)
    ]
    assert response.redirect_chain[-1][0] == retry.get_absolute_url()


def test_retry_is_only_for_failed_or_cancelled_ones(owner, project):
    generation = make_generation(project=project)

    response = act(owner, generation, "retry")

    assert "Only a failed or cancelled generation can be retried." in response.content.decode()
    assert Generation.objects.count() == 1


def test_rerun_uses_the_seed_the_provider_recorded(owner, project):
    original = make_generation(
        project=project,
        mode=Mode.REFERENCE_TO_IMAGE,
        params={"aspect_ratio": "1:1"},
        inputs=[png_input()],
        seed=987654,
    )

    act(owner, original, "rerun")

    rerun = Generation.objects.exclude(pk=original.pk).get()
    assert rerun.params == {"aspect_ratio": "1:1", "seed": 987654}
    assert list(rerun.inputs.values_list("sha256", flat=True)) == list(
        original.inputs.values_list("sha256", flat=True)
    )


def test_rerun_without_a_recorded_seed_says_so(owner, project):
    original = make_generation(project=project, state=State.FAILED)

    response = act(owner, original, "rerun")

    assert "No seed was recorded" in response.content.decode()


def test_vary_drops_the_seed(owner, project):
    original = make_generation(project=project, params={"seed": 5, "resolution": "2K"}, seed=5)

    act(owner, original, "vary")

    varied = Generation.objects.exclude(pk=original.pk).get()
    assert varied.params == {"resolution": "2K"} and varied.source == original


def test_use_as_reference_opens_the_composer_with_the_still_picked(owner, project):
    still = make_generation(project=project).outputs.get()
    detail = owner.get(still.generation.get_absolute_url()).content.decode()
    link = f"?mode=reference_to_image&amp;picked={still.pk}#composer"
    assert link in detail

    page = owner.get(project.get_absolute_url(), {"mode": "reference_to_image", "picked": still.pk})

    assert f'name="picked" value="{still.pk}" checked' in page.content.decode()


# --- delete -----------------------------------------------------------------------------------


def test_delete_asks_first_then_removes_rows_and_files(
    owner, project, django_capture_on_commit_callbacks
):
    generation = make_generation(
        project=project, mode=Mode.REFERENCE_TO_IMAGE, inputs=[png_input(color=(1, 2, 3))]
    )
    output = generation.outputs.get()
    files = [output.file.name, output.thumbnail.name, generation.inputs.get().file.name]
    url = reverse("generations:delete", args=[project.pk, generation.pk])

    assert "Delete generation" in owner.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(url)

    assert response.status_code == 302
    assert not Generation.objects.exists() and not GenerationOutput.objects.exists()
    assert not any(default_storage.exists(name) for name in files)


def test_delete_keeps_a_snapshot_another_generation_uses(
    owner, project, django_capture_on_commit_callbacks
):
    shared = png_input(color=(9, 9, 9))
    first = make_generation(project=project, mode=Mode.REFERENCE_TO_IMAGE, inputs=[shared])
    make_generation(project=project, mode=Mode.REFERENCE_TO_IMAGE, inputs=[shared])
    name = first.inputs.get().file.name

    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("generations:delete", args=[project.pk, first.pk]))

    assert default_storage.exists(name)
    assert GenerationInput.objects.filter(file=name).count() == 1


def test_a_running_generation_must_be_cancelled_before_deleting(owner, project):
    generation = make_generation(project=project, state=State.PROCESSING, output=False)

    response = owner.post(
        reverse("generations:delete", args=[project.pk, generation.pk]), follow=True
    )

    assert "cancel it first" in response.content.decode()
    assert Generation.objects.filter(pk=generation.pk).exists()
