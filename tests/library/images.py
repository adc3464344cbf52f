"""Hand-made image files for the upload fuzz set: cheap to build, hostile to decode."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit black PNG: tens of KB on disk, width×height bytes once decoded."""
    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 500) for _ in range(height // 500)]
    parts.append(compressor.compress(row * (height % 500)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


HTML_PAYLOAD = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_html_polyglot() -> bytes:
    """A PNG that is also a web page: HTML in a text chunk and after the image end."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (10, 120, 200)).save(buffer, format="PNG")
    png = buffer.getvalue()
    text = _chunk(b"tEXt", b"Comment\x00" + HTML_PAYLOAD)
    # Right after IHDR (8-byte signature + 25-byte chunk), then the rest, then HTML.
    return png[:33] + text + png[33:] + HTML_PAYLOAD


def jpeg_with_exif(width: int, height: int, *, orientation: int, comment: str) -> bytes:
    image = Image.new("RGB", (width, height), (240, 200, 10))
    # Mark the top-left corner so the rotation can be checked.
    image.paste((255, 0, 0), (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = comment  # ImageDescription
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    return buffer.getvalue()


def transparent_png(width: int = 256, height: int = 256, *, alpha: int = 0) -> bytes:
    image = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    image.paste((0, 0, 0, alpha), (0, 0, width // 2, height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
