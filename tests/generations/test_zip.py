"""Download all: a streamed ZIP of the filtered results with a manifest, of known length."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generations import archive
from generations.models import Review, State
from tests.factories import body_of
from tests.generations.gallery_factories import add_output, make_generation, make_project

pytestmark = pytest.mark.django_db


def download_all(client, project, **params):
    response = client.get(reverse("generations:download_all", args=[project.pk]), params)
    assert response.status_code == 200
    assert response.streaming
    return response, body_of(response)


def test_download_all_holds_every_file_and_a_manifest_of_every_generation(client, alice):
    project = make_project(alice, "Harbour Nights")
    heron = make_generation(
        project, "A heron in fog", state=State.READY, seed=42, params={"aspect_ratio": "16:9"}
    )
    first = add_output(heron)
    second = add_output(heron, index=1, color=(200, 10, 10))
    failed = make_generation(project, "A storm", state=State.FAILED, err_code="AuditSubmitIllegal")
    client.force_login(alice)

    response, body = download_all(client, project)

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="harbour-nights-')
    assert int(response["Content-Length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        names = zipped.namelist()
        manifest = json.loads(zipped.read("manifest.json"))
        assert (
            zipped.read(archive.download_name(first))
            == default_storage.open(first.file.name).read()
        )
        assert (
            zipped.read(archive.download_name(second))
            == default_storage.open(second.file.name).read()
        )
        assert zipped.testzip() is None
    assert names[0] == "manifest.json"
    assert sorted(names[1:]) == [
        f"harbour-nights_a-heron-in-fog_seed42_g{heron.pk}.png",
        f"harbour-nights_a-heron-in-fog_seed42_g{heron.pk}_2.png",
    ]
    described = {item["id"]: item for item in manifest["generations"]}
    assert described[heron.pk]["params"] == {"aspect_ratio": "16:9"}
    assert described[heron.pk]["prompt"] == "A heron in fog"
    assert described[failed.pk]["error"]["code"] == "AuditSubmitIllegal"
    assert described[failed.pk]["outputs"] == []


def test_download_all_follows_the_gallery_filters(client, alice):
    project = make_project(alice)
    keeper = make_generation(project, "keeper", with_file=True)
    make_generation(project, "other", with_file=True)
    Review.objects.create(generation=keeper, starred=True, tags_text=",hero,")
    client.force_login(alice)

    _, body = download_all(client, project, starred="on")

    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
    assert [item["id"] for item in manifest["generations"]] == [keeper.pk]
    assert manifest["generations"][0]["review"]["tags"] == ["hero"]


def test_a_file_missing_from_storage_is_marked_not_fatal(client, alice):
    project = make_project(alice)
    generation = make_generation(project, with_file=True)
    default_storage.delete(generation.outputs.get().file.name)
    client.force_login(alice)

    response, body = download_all(client, project)

    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        assert zipped.namelist() == ["manifest.json"]
        manifest = json.loads(zipped.read("manifest.json"))
    assert manifest["generations"][0]["outputs"][0]["missing"] is True
    assert int(response["Content-Length"]) == len(body)


def test_viewer_may_download_all_and_charlie_gets_404(client, alice, bob, charlie):
    project = make_project(alice, viewer=bob)
    make_generation(project, with_file=True)

    client.force_login(bob)
    allowed = client.get(reverse("generations:download_all", args=[project.pk]))
    client.force_login(charlie)
    refused = client.get(reverse("generations:download_all", args=[project.pk]))

    assert allowed.status_code == 200
    assert refused.status_code == 404


@pytest.mark.parametrize("sizes", [[], [0], [1, 70_000], [3 * archive.CHUNK + 5, 17, 9999]])
def test_the_length_known_beforehand_is_the_length_of_the_archive_written(sizes):
    entries = []
    for n, size in enumerate(sizes):
        name = default_storage.save(f"f{n}.bin", io.BytesIO(b"x" * size))
        entries.append(archive.Entry(f"dossier/é-{n}.bin", name, size))
    manifest = b'{"generations": []}'

    built = archive.build(entries, manifest)
    written = b"".join(built)

    assert len(built) == len(written)
    with zipfile.ZipFile(io.BytesIO(written)) as zipped:
        assert [info.file_size for info in zipped.infolist()] == [len(manifest), *sizes]
        assert [zipped.read(f"dossier/é-{n}.bin") for n in range(len(sizes))] == [
            b"x" * size for size in sizes
        ]
