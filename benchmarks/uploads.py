"""Eight reference images of 40 megapixels uploaded at once: the server's peak memory.

A JPEG of a few hundred KiB can hold 40 million pixels (160 MB once decoded): eight of
them at once once took the server to 3.9 GiB. Now the limits are read from the header
before any pixel is decoded, a process decodes at most STUDIO_IMAGE_WORKERS images at a
time (2) in threads of their own, and the work on each keeps one full-size copy of its
pixels.

Runs the embedded default in a uvicorn subprocess on a loopback port with its own
temporary STUDIO_DATA_DIR (one person, one library of UPLOADS subjects), logs in through
the real login form, then POSTs one 6300×6300 JPEG to each subject at the same moment,
as library.js does (one request per file, answered in JSON). The server's resident
memory is read before and sampled during the uploads; its peak is VmHWM.

Printed: the file's size, uploads saved, the server's RSS at idle, its peak and the
peak above idle. Target: peak ≤ 1 GiB above idle.

Run: `.venv/bin/python benchmarks/uploads.py`.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    PASSWORD,
    free_port,
    log_in,
    memory_kib,
    run_child,
    sample_memory,
    start_server,
    stop,
)
from benchmarks.team import base_env  # noqa: E402

UPLOADS = 8
SIDE = 6300  # 39.7 megapixels: just inside the 40 MP cap
TARGET_MIB = 1024

child = partial(run_child, __file__)


def big_jpeg() -> bytes:
    """A 6300×6300 JPEG that compresses well (bands of colour), like the one reported."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (SIDE, SIDE), (235, 230, 220))
    draw = ImageDraw.Draw(image)
    for n in range(0, SIDE, 420):
        draw.rectangle((n, 0, n + 210, SIDE), fill=(40 + n % 200, 90, 160))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def multipart(data: bytes, boundary: str) -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="images"; filename="poster.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


async def upload(client: httpx.AsyncClient, subject_id: int, body: bytes) -> dict:
    boundary = uuid.uuid4().hex
    answer = await client.post(
        f"/libraries/subjects/{subject_id}/images/",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
            "X-CSRFToken": client.cookies["csrftoken"],
        },
        content=multipart(body, boundary),
    )
    if answer.status_code != 200:
        raise RuntimeError(f"upload answered {answer.status_code}")
    return answer.json()


async def run_uploads(port: int, world: dict, pid: int, body: bytes) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as client:
        log_in(client, world["username"])
        # Any page sets the CSRF cookie that a form (or library.js) sends back.
        client.get(f"/libraries/{world['library_id']}/").raise_for_status()
        cookies = dict(client.cookies)
    await asyncio.sleep(1.0)
    idle = memory_kib(pid)["VmRSS"]
    samples: list[int] = []
    started = time.monotonic()
    sampler = asyncio.create_task(sample_memory(pid, samples, started + 3600))
    # One connection per upload, all at once, as a browser sends a picked folder's files.
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=300) as client:
        answers = await asyncio.gather(
            *(upload(client, subject_id, body) for subject_id in world["subject_ids"]),
            return_exceptions=True,
        )
    seconds = time.monotonic() - started
    sampler.cancel()
    peak = memory_kib(pid)["VmHWM"]
    saved = sum(len(a["saved"]) for a in answers if isinstance(a, dict))
    errors = [repr(a) for a in answers if isinstance(a, BaseException)]
    rejected = [r["message"] for a in answers if isinstance(a, dict) for r in a["rejected"]]
    return {
        "uploads": UPLOADS,
        "file_kib": round(len(body) / 1024),
        "pixels": f"{SIDE}×{SIDE}",
        "saved": saved,
        "rejected": rejected,
        "errors": errors,
        "seconds": round(seconds, 1),
        "idle_rss_mib": round(idle / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_above_idle_mib": round((peak - idle) / 1024, 1),
        "rss_after_mib": round(memory_kib(pid)["VmRSS"] / 1024, 1),
    }


def print_table(results: dict[str, Any]) -> None:
    print(
        f"{results['uploads']} simultaneous uploads of a {results['pixels']} JPEG "
        f"({results['file_kib']} KiB): {results['saved']} saved in {results['seconds']} s, "
        f"{len(results['errors'])} errors"
    )
    for message in results["rejected"] + results["errors"]:
        print(f"  {message}")
    print(
        f"server RSS at idle {results['idle_rss_mib']} MiB, peak (VmHWM) "
        f"{results['peak_rss_mib']} MiB: {results['peak_above_idle_mib']} MiB above idle "
        f"(target ≤ {TARGET_MIB} MiB); after {results['rss_after_mib']} MiB"
    )


def seed() -> dict[str, Any]:
    """One person and a library of UPLOADS empty subjects."""
    from django.contrib.auth.models import User

    from library.models import Library, Subject

    user = User.objects.create_user("designer00", password=PASSWORD)
    library = Library.objects.create(owner=user, name="Posters")
    subjects = Subject.objects.bulk_create(
        Subject(library=library, name=f"Poster{n}") for n in range(UPLOADS)
    )
    return {
        "username": user.username,
        "library_id": library.pk,
        "subject_ids": [subject.pk for subject in subjects],
    }


def main() -> dict[str, Any]:
    port = free_port()
    body = big_jpeg()
    with tempfile.TemporaryDirectory(prefix="studio-uploads-bench-") as data_dir:
        env = base_env(data_dir, port)
        world = child(env, "seed")
        server = start_server(env, port)
        try:
            results = asyncio.run(run_uploads(port, world, server.pid, body))
        finally:
            stop(server)
    print_table(results)
    return results


def _child_main(command: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG is off: the manifest storage needs its files collected, as a deployment does.
    call_command("collectstatic", interactive=False, verbosity=0)
    if command != "seed":
        raise SystemExit(f"unknown child command {command!r}")
    print(json.dumps(seed()))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child_main(sys.argv[2])
    else:
        main()
