"""What a file is, by its first bytes: the one sniffer the studio uses.

Uploads, data URIs, provider results and the simulator's own renders are all judged by
content, never by a name or a declared type.
"""

from __future__ import annotations

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
VIDEO_TYPES = ("video/mp4",)
# Enough bytes for every signature below.
HEAD_BYTES = 16


def sniff(head: bytes) -> str | None:
    """image/png, image/jpeg, image/webp or video/mp4 by the file's first bytes; None
    for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # ISO base media (MP4): HEIC and AVIF are in this family too, and are told apart by
    # their brand where the difference matters (library.imaging's messages).
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None
