"""A storage with no local paths, as an S3-compatible one: media must go through its API."""

from __future__ import annotations

from django.core.files.storage import InMemoryStorage, Storage


class NoPathStorage(Storage):
    """Files kept in memory behind the storage API alone: `path()` is Storage's own,
    which raises NotImplementedError, so anything that needs a local path fails."""

    def __init__(self) -> None:
        self.files = InMemoryStorage()

    def _open(self, name, mode="rb"):
        return self.files.open(name, mode)

    def _save(self, name, content):
        return self.files.save(name, content)

    def delete(self, name) -> None:
        self.files.delete(name)

    def exists(self, name) -> bool:
        return self.files.exists(name)

    def listdir(self, path):
        return self.files.listdir(path)

    def size(self, name) -> int:
        return self.files.size(name)

    def url(self, name) -> str:
        return self.files.url(name)

    def get_modified_time(self, name):
        return self.files.get_modified_time(name)
