"""Describing a downloaded result: its dimensions and a thumbnail, cheaply."""

from __future__ import annotations

from PIL import Image, ImageFile

from generations.media import describe_image
from tests.factories import make_image


def test_a_result_jpeg_is_decoded_at_a_reduced_size_for_its_thumbnail(tmp_path, monkeypatch):
    path = tmp_path / "result.jpg"
    path.write_bytes(make_image(4000, 3000, fmt="JPEG"))
    loaded_sizes = []
    real_load = ImageFile.ImageFile.load

    def load(image):
        loaded_sizes.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)

    described = describe_image(path)

    assert (described.width, described.height) == (4000, 3000)
    assert loaded_sizes and max(loaded_sizes) <= (1000, 750)
    with Image.open(described.thumbnail) as thumbnail:
        assert thumbnail.size == (640, 480)
