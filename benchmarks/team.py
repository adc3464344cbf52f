"""A team's studio for the benchmarks that load it: settings, people, pages, callback targets.

The seed (a child process of the benchmark, with Django set up on the benchmark's own
data folder) makes:

- DESIGNERS people (one owner, the others editors of every project), PROJECTS projects
  of GENERATIONS ready generations each, every one with an image output and its
  thumbnail on disk (rows bulk-created), so the history and gallery have full pages;
- one more project of `targets` text-to-image generations, which the studio's own
  dispatcher submits to its simulator (a one-hour simulated clock keeps them in flight),
  so each has a real task and the callback URL it was registered with.

`targets` (another child) waits until the dispatcher has submitted them all and answers
their callback URLs and task ids, whatever the database.
"""

from __future__ import annotations

import json
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import KEY, PASSWORD, production_env, run_child  # noqa: E402

PROJECTS = 4
GENERATIONS = 200  # per browsed project
CALLBACK_TARGETS = 200

# Children are this script again, with `--child`.
child = partial(run_child, __file__)


def base_env(data_dir: str, port: int | None = None, **extra: str) -> dict[str, str]:
    """The studio's settings for a benchmark: production's, a private data folder, tasks
    that stay in flight for the whole run, and the embedded shape unless `extra` names
    DATABASE_URL and REDIS_URL. `port` is where the studio (its simulator and its
    callbacks) is reached; the scaled shape sets those addresses itself."""
    env = {
        **os.environ,
        **production_env(data_dir),
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "STUDIO_DATA_DIR": data_dir,
        "MEDIA_ROOT": str(Path(data_dir) / "media"),
        "LOG_LEVEL": "WARNING",
        "SIMULATOR_API_KEY": KEY,
        # No render competes with the pages: polling is the safety net at the real
        # provider's pace, callbacks do the rest.
        "SIMULATOR_IMAGE_SECONDS": "3600",
        "SIMULATOR_CONCURRENCY": str(CALLBACK_TARGETS),
        "SIMULATOR_MAX_QUEUED_PER_KEY": str(CALLBACK_TARGETS),
        "GENERATIONS_SIMULATOR_POLL": "30",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    if port is not None:
        env["SIMULATOR_URL"] = f"http://127.0.0.1:{port}/simulator"
        env["STUDIO_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    return {**env, **extra}


# --- the children: database rows and files, with Django set up on the benchmark's folder -----


def seed(designers: int, projects: int, generations: int, targets: int) -> dict[str, Any]:
    """People, projects full of ready generations, and the callback project's queue."""
    import io

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone
    from PIL import Image

    from generations.models import Generation, GenerationOutput, Mode, State
    from generations.services import request_generation
    from projects.models import Project, ProjectMembership
    from providers.models import ProviderConnection

    # One hash for everyone: hashing 50 passwords would be most of the seeding time.
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        User(username=f"designer{n:02}", password=password) for n in range(designers)
    )
    owner, others = users[0], users[1:]
    connection = ProviderConnection.objects.get(kind="simulator")
    connection.callbacks_enabled = True
    connection.concurrency_limit = max(targets, 1)
    connection.save()

    def picture(size: int, kind: str) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (size, size), (200, 120, 60)).save(buffer, kind)
        return buffer.getvalue()

    image, thumbnail = picture(256, "PNG"), picture(64, "WEBP")
    media = Path(os.environ["MEDIA_ROOT"])
    now = timezone.now()
    world: dict[str, Any] = {"users": [user.username for user in users], "projects": []}
    for p in range(projects):
        project = Project.objects.create(owner=owner, name=f"Campaign {p + 1}")
        ProjectMembership.objects.bulk_create(
            ProjectMembership(project=project, user=user, role="editor") for user in others
        )
        rows = Generation.objects.bulk_create(
            Generation(
                project=project,
                created_by=users[n % len(users)],
                connection=connection,
                mode=Mode.TEXT_TO_IMAGE,
                model="viduq2",
                prompt=f"Harbour at dusk, study {n}, warm light over the cranes",
                params={"aspect_ratio": "1:1", "resolution": "1080p"},
                state=State.READY,
                created_at=now - timezone.timedelta(minutes=n),
                finished_at=now - timezone.timedelta(minutes=n) + timezone.timedelta(seconds=9),
            )
            for n in range(generations)
        )
        outputs = []
        for generation in rows:
            folder = f"outputs/{project.pk}/{generation.pk}"
            (media / folder).mkdir(parents=True)
            (media / folder / "image.png").write_bytes(image)
            (media / folder / "thumb.webp").write_bytes(thumbnail)
            outputs.append(
                GenerationOutput(
                    generation=generation,
                    kind="image",
                    file=f"{folder}/image.png",
                    thumbnail=f"{folder}/thumb.webp",
                    content_type="image/png",
                    sha256=f"{generation.pk:064x}",
                    size=len(image),
                    width=256,
                    height=256,
                )
            )
        outputs = GenerationOutput.objects.bulk_create(outputs)
        world["projects"].append(
            {"id": project.pk, "generations": [(o.generation_id, o.pk) for o in outputs]}
        )
    # The studio's dispatcher submits these once it runs, each with its callback URL.
    target = Project.objects.create(owner=owner, name="Callback targets")
    for n in range(targets):
        request_generation(
            project=target,
            user=owner,
            connection=connection,
            mode=Mode.TEXT_TO_IMAGE,
            model="viduq2",
            prompt=f"Callback target {n}",
            params={"resolution": "1080p", "aspect_ratio": "1:1"},
        )
    world["callback_project"] = target.pk
    return world


def submitted_targets(project_id: int, count: int, timeout: float = 120) -> list[dict[str, str]]:
    """The callback project's generations once a dispatcher has submitted `count`."""
    from generations.models import Generation

    deadline = time.monotonic() + timeout
    while True:
        rows = list(
            Generation.objects.filter(project_id=project_id)
            .exclude(provider_task_id="")
            .exclude(callback_url="")
            .values_list("callback_url", "provider_task_id")
        )
        if len(rows) >= count:
            return [{"url": url, "task_id": task_id} for url, task_id in rows]
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(rows)} of {count} generations were submitted")
        time.sleep(0.5)


def _child_main(command: str, args: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    if command == "seed":
        call_command("migrate", verbosity=0)
        # DEBUG is off: the manifest storage needs its files collected, as a deployment does.
        call_command("collectstatic", interactive=False, verbosity=0)
        print(json.dumps(seed(*(int(arg) for arg in args))))
    elif command == "targets":
        print(json.dumps(submitted_targets(*(int(arg) for arg in args))))
    else:
        raise SystemExit(f"unknown child command {command!r}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child_main(sys.argv[2], sys.argv[3:])
