"""Editor hand-off of a 200-shot board: the three timeline files, then the whole ZIP.

The embedded shape (SQLite, media on local disk) set up in this process with its own
temporary STUDIO_DATA_DIR: one storyboard of SHOTS shots, each with a keeper, half of
them stills (a 960×540 PNG of noise, which does not compress) and half 4 s MP4 clips
rendered by the simulator. Timed, each from the database up:

- each format's timeline file (OpenTimelineIO JSON, FCP 7 XML, CMX 3600 EDL): the
  board's shots and keepers read, the timeline built and written by its adapter.
  Goal: ≤ 1 s each.
- the EDL's ZIP streamed to nowhere: its total time, size and throughput.

Run: `.venv/bin/python benchmarks/handoff.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

SHOTS = 200
GOAL_SECONDS = 1.0
ROUNDS = 3


def _configure(data_dir: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "studio.settings",
            "STUDIO_DATA_DIR": data_dir,
            "DEBUG": "true",
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _media() -> tuple[bytes, bytes]:
    import io

    from PIL import Image

    from simulator.media import render_video

    still = io.BytesIO()
    Image.frombytes("RGB", (960, 540), os.urandom(960 * 540 * 3)).save(still, "PNG")
    clip = render_video(prompt="Harbour at dawn", seed=1, width=960, height=540, duration=4)
    return still.getvalue(), clip


def _board():
    from django.contrib.auth.models import User
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from generations.models import Generation, GenerationOutput, Mode
    from projects.models import Project
    from providers.models import ProviderConnection
    from storyboards.models import Shot, Storyboard, Take

    still, clip = _media()
    owner = User.objects.create_user("maya", password="a long enough benchmark passphrase")
    project = Project.objects.create(owner=owner, name="Benchmark")
    connection = ProviderConnection.objects.create(name="Simulator", kind="simulator")
    storyboard = Storyboard.objects.create(project=project, created_by=owner, title="Harbour")
    for n in range(SHOTS):
        video = n % 2 == 1
        shot = Shot.objects.create(
            storyboard=storyboard,
            position=n,
            title=f"Shot of the harbour {n + 1}",
            prompt=f"The harbour at dawn, take {n + 1}, gulls over the water",
            notes="Slow push in" if n % 3 == 0 else "",
            duration=4,
            model="viduq2",
        )
        generation = Generation.objects.create(
            project=project,
            created_by=owner,
            connection=connection,
            mode=Mode.TEXT_TO_VIDEO if video else Mode.TEXT_TO_IMAGE,
            model="viduq2",
            prompt=shot.prompt,
            state="ready",
        )
        data = clip if video else still
        name = default_storage.save(
            f"outputs/{project.pk}/{generation.pk}/result.{'mp4' if video else 'png'}",
            ContentFile(data),
        )
        GenerationOutput.objects.create(
            generation=generation,
            kind="video" if video else "image",
            file=name,
            content_type="video/mp4" if video else "image/png",
            sha256="0" * 64,
            size=len(data),
            width=960,
            height=540,
            duration=4.0 if video else None,
        )
        take = Take.objects.create(shot=shot, generation=generation)
        Shot.objects.filter(pk=shot.pk).update(keeper=take)
    return storyboard


def measure(storyboard) -> dict:
    from review import timeline

    files = {}
    for key, fmt in timeline.FORMATS.items():
        best, size = float("inf"), 0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            entries = timeline.entries_for(storyboard)
            built = timeline.build_timeline(storyboard, entries, rate=timeline.frame_rate(entries))
            text = timeline.timeline_text(built, fmt)
            best = min(best, time.perf_counter() - started)
            size = len(text.encode())
        files[key] = {"seconds": round(best, 3), "kib": round(size / 1024, 1)}
    started = time.perf_counter()
    archive = timeline.timeline_zip(storyboard, timeline.FORMATS["edl"])
    announced = len(archive)
    sent = sum(len(chunk) for chunk in archive)
    seconds = time.perf_counter() - started
    assert sent == announced, (sent, announced)
    return {
        "shots": SHOTS,
        "timeline_files": files,
        "goal_seconds": GOAL_SECONDS,
        "zip": {
            "seconds": round(seconds, 2),
            "mib": round(sent / 2**20, 1),
            "mib_per_s": round(sent / 2**20 / seconds, 1),
        },
    }


def main() -> dict:
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as data_dir:
        _configure(data_dir)
        results = measure(_board())
    _print(results)
    return results


def _print(results: dict) -> None:
    print(f"\nHand-off of a {results['shots']}-shot board, every shot kept (best of {ROUNDS})")
    print(f"  {'timeline file':<16}{'seconds':>9}{'KiB':>9}   goal ≤ {results['goal_seconds']} s")
    for key, figures in results["timeline_files"].items():
        print(f"  {key:<16}{figures['seconds']:>9}{figures['kib']:>9}")
    z = results["zip"]
    print(f"  EDL ZIP: {z['mib']} MiB in {z['seconds']} s, {z['mib_per_s']} MiB/s")


if __name__ == "__main__":
    main()
