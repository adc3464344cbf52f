"""Plain factory functions for tests: no magic, no network."""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model
from PIL import Image

PASSWORD = "correct horse battery staple"


def make_user(username: str, *, password: str = PASSWORD, **extra):
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def make_image(
    width: int = 256, height: int = 256, *, fmt: str = "PNG", color=(200, 80, 40)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def make_png(width: int = 256, height: int = 256, **kwargs) -> bytes:
    return make_image(width, height, fmt="PNG", **kwargs)


def body_of(response) -> bytes:
    """The whole body of a response, streaming (sync or async) or not."""
    if not getattr(response, "streaming", False):
        return response.content
    if hasattr(response.streaming_content, "__aiter__"):
        from asgiref.sync import async_to_sync

        async def collect() -> bytes:
            return b"".join([chunk async for chunk in response.streaming_content])

        return async_to_sync(collect)()
    return b"".join(response.streaming_content)
