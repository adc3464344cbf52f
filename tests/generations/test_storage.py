"""Media goes through the storage API alone, so an S3-compatible storage can hold it:
with a storage that has no local paths (`memory_storage`), results are downloaded into
it, served with ranges and ETags, and zipped by "Download all"."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import av
from django.urls import reverse

from generations.archive import download_name
from generations.models import GenerationInput, Mode, State
from generations.services import InputImage, request_generation
from providers.base import ImageInput
from tests.factories import body_of, make_png
from tests.generations.gallery_factories import add_output, make_generation, make_project


def nothing_on_disk(media_root) -> bool:
    return not [path for path in Path(media_root).rglob("*") if path.is_file()]


def test_a_video_result_is_stored_and_described_in_a_storage_without_local_paths(
    memory_storage, pipeline, settings
):
    [generation] = request_generation(
        project=pipeline.project,
        user=pipeline.project.owner,
        connection=pipeline.connection,
        mode=Mode.IMAGE_TO_VIDEO,
        model="viduq2-turbo",
        prompt="A lighthouse at dusk",
        params={"duration": 1, "resolution": "540p"},
        inputs=[
            InputImage(
                role=GenerationInput.Role.START,
                image=ImageInput(
                    data=make_png(256, 256), content_type="image/png", width=256, height=256
                ),
            )
        ],
    )

    generation = pipeline.wait_for_state(generation, State.READY, State.FAILED, timeout=60)

    assert generation.state == State.READY, generation.error_message
    [output] = generation.outputs.all()
    for stored in (output.file, output.thumbnail, output.poster, output.last_frame):
        assert stored.name.startswith(f"outputs/{generation.project_id}/{generation.pk}/")
        assert memory_storage.exists(stored.name)
    assert memory_storage.size(output.file.name) == output.size
    with memory_storage.open(output.file.name) as video, av.open(video) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    # The simulator keeps its own files on disk (it is the provider); ours are not there.
    assert not (Path(settings.MEDIA_ROOT) / "outputs").exists()


def test_results_are_served_with_ranges_from_a_storage_without_local_paths(
    client, alice, memory_storage, settings
):
    project = make_project(alice)
    output = add_output(make_generation(project, state=State.READY))
    whole = memory_storage.open(output.file.name).read()
    client.force_login(alice)
    url = reverse("generations:output_file", args=[project.pk, output.pk, "file"])

    full = client.get(url)
    part = client.get(url, headers={"Range": "bytes=10-19"})
    again = client.get(url, headers={"If-None-Match": full["ETag"]})

    assert body_of(full) == whole and int(full["Content-Length"]) == len(whole)
    assert part.status_code == 206 and body_of(part) == whole[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert again.status_code == 304
    assert nothing_on_disk(settings.MEDIA_ROOT)


def test_download_all_from_a_storage_without_local_paths(client, alice, memory_storage, settings):
    project = make_project(alice, "Harbour Nights")
    generation = make_generation(project, "A heron in fog", state=State.READY)
    first = add_output(generation)
    second = add_output(generation, index=1, color=(200, 10, 10))
    client.force_login(alice)

    response = client.get(reverse("generations:download_all", args=[project.pk]))
    body = body_of(response)

    assert int(response["Content-Length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        assert zipped.testzip() is None
        manifest = json.loads(zipped.read("manifest.json"))
        for output in (first, second):
            assert (
                zipped.read(download_name(output)) == memory_storage.open(output.file.name).read()
            )
    assert [item["id"] for item in manifest["generations"]] == [generation.pk]
    assert nothing_on_disk(settings.MEDIA_ROOT)
