"""The simulator's workflows: authenticate, create, look up, cancel and list tasks.

Views call these with plain values and turn `SimError` into the dialect's error body.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from providers.base import ImageInput
from providers.capabilities import defaults_for, estimate_credits, get_spec
from providers.validation import (
    DataURIError,
    FieldError,
    check_image,
    check_request,
    decode_data_uri,
)
from simulator import files, lifecycle
from simulator.faults import parse_faults
from simulator.models import SimTask
from simulator.wire import ImageRef, SimError, WireRequest, field_errors

# A notional balance, so `GET /credits` has something to count down from.
STARTING_CREDITS = 1_000_000
LIST_DEFAULT_WINDOW = timedelta(days=7)  # "default window 7 days" (V-list)
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 10, 100


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's hash (for scoping) and the key itself (for signing)."""

    key_id: str
    key: str


def authenticate(header: str, *, scheme: str) -> Caller:
    """Check an `Authorization` header of the dialect's form (`Token` or `Bearer`).

    The scheme is checked strictly: the official API documents only `Token` and the
    resellers only `Bearer` (vidu-api.md §1, §11.5), and a contract double that let a
    client send the wrong one would hide the bug until it met the real provider.
    KKIAI sends `Bearer` to `/ent/v2/...`: point it at the `/simulator/kkiai/` mount.
    """
    given_scheme, _, key = (header or "").strip().partition(" ")
    key = key.strip()
    if not header:
        raise SimError(401, "Unauthorized", "missing Authorization header")
    if given_scheme.lower() != scheme.lower() or not key:
        raise SimError(
            401, "Unauthorized", f"Authorization must be '{scheme} <api key>' on this endpoint"
        )
    # Only the configured keys: by default the install's own key (settings), so the
    # simulator is no open service to whoever reaches the server.
    allowed = getattr(settings, "SIMULATOR_API_KEYS", [])
    if not any(secrets.compare_digest(key.encode(), known.encode()) for known in allowed):
        raise SimError(401, "Unauthorized", "invalid API key")
    return Caller(key_id=hashlib.sha256(key.encode()).hexdigest(), key=key)


def create_task(*, wire: WireRequest, caller: Caller, dialect: str, base_url: str) -> SimTask:
    """Validate a create request as Vidu would and store the new task.

    Raises `SimError` with every field problem, or 429 `QuotaExceeded` when the key or
    the simulator has too much unfinished work or too many bytes stored; nothing is
    written then.
    """
    check_quota(caller)
    if wire.callback_url:
        check_callback_url(wire.callback_url)
    images, errors = _load_images(wire.images)
    subjects = []
    for _name, refs in wire.subjects:
        subject_images, subject_errors = _load_images(refs)
        subjects.append(subject_images)
        errors += subject_errors
    if errors:
        raise field_errors(errors)
    request = wire.to_request(images, subjects)
    errors = check_request(request)
    if errors:
        raise field_errors(errors)

    spec = get_spec(request.endpoint, request.model)
    params = {**defaults_for(spec), **request.params}
    seed = int(params.pop("seed", 0) or 0) or random.randint(1, 2**31 - 1)
    faults = parse_faults(request.prompt)
    task_id = _new_task_id()
    inputs = _store_inputs(task_id, images, wire.subjects, subjects)
    if wire.images or spec.image_count[1] > 0:
        inputs["echo"] = wire.echo_images()
    now = timezone.now()
    return SimTask.objects.create(
        stored_bytes=files.task_bytes(task_id),
        task_id=task_id,
        key_id=caller.key_id,
        dialect=dialect,
        endpoint=str(request.endpoint),
        model=request.model,
        vtrix_model=wire.vtrix_model,
        prompt=request.prompt,
        params=params,
        inputs=inputs,
        seed=seed,
        payload=request.payload,
        callback_url=wire.callback_url,
        callback_secret=caller.key if wire.callback_url else "",
        base_url=base_url,
        credits=estimate_credits(spec, params),
        faults=faults,
        work_seconds=lifecycle.work_seconds(is_video=spec.is_video, faults=faults),
        files_token=secrets.token_urlsafe(24),
        created_at=now,
        due_at=now,
    )


def check_quota(caller: Caller) -> None:
    """Refuse new work beyond the per-key and global bounds (429 `QuotaExceeded`, the
    code Vidu's table gives for "over the concurrency limit", vidu-api.md §7).

    Unfinished tasks hold the clock and the render threads; stored bytes hold the disk
    until the files' 24 h life ends. The counts are read without a lock, so two
    simultaneous creates may both pass at the edge: the bounds are approximate.
    """
    unfinished = SimTask.objects.filter(state__in=SimTask.ACTIVE_STATES)
    per_key = int(getattr(settings, "SIMULATOR_MAX_QUEUED_PER_KEY", 50))
    if unfinished.filter(key_id=caller.key_id).count() >= per_key:
        raise SimError(
            429, "QuotaExceeded", f"this key already has {per_key} unfinished tasks; try later"
        )
    total = int(getattr(settings, "SIMULATOR_MAX_QUEUED", 200))
    if unfinished.count() >= total:
        raise SimError(429, "QuotaExceeded", f"the simulator has {total} unfinished tasks")
    max_bytes = int(getattr(settings, "SIMULATOR_MAX_STORED_BYTES", 2 * 1024**3))
    stored = SimTask.objects.filter(files_pruned=False).aggregate(total=Sum("stored_bytes"))
    if (stored["total"] or 0) >= max_bytes:
        raise SimError(
            429,
            "QuotaExceeded",
            f"the simulator stores {max_bytes // 1024**2} MB of files already; "
            "files are removed 24 h after their task ends",
        )


def check_callback_url(url: str) -> None:
    """Callbacks go to the studio only: under STUDIO_PUBLIC_BASE_URL or, unset, the
    origin of SIMULATOR_URL (the studio that serves the simulator). Anything else is
    refused, so a key holder cannot make the simulator POST to other hosts (SSRF)."""
    base = getattr(settings, "STUDIO_PUBLIC_BASE_URL", None) or _origin(
        getattr(settings, "SIMULATOR_URL", "") or ""
    )
    if not base or not _is_under(url, base):
        message = f"callback_url: must be an address of this studio, under {base or '(none)'}."
        raise field_errors([FieldError("callback_url", message, "FieldInvalid")])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _is_under(url: str, base: str) -> bool:
    given, allowed = urlsplit(url), urlsplit(base)
    try:
        same_place = (
            given.scheme.lower() == allowed.scheme.lower()
            and given.hostname == allowed.hostname
            and _port(given) == _port(allowed)
            and not given.username
            and not given.password
        )
    except ValueError:  # a port that is not a number
        return False
    prefix = allowed.path.rstrip("/") + "/"
    return same_place and (given.path or "/").startswith(prefix)


def _port(parts: Any) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


def _new_task_id() -> str:
    # Vidu's task ids are 18-digit numbers in strings ("911092490931552256").
    return str(10**17 + secrets.randbelow(9 * 10**17))


def _load_images(refs: list[ImageRef]) -> tuple[list[ImageInput], list[FieldError]]:
    images, errors = [], []
    for ref in refs:
        image, error = _load_image(ref)
        if error:
            errors.append(error)
        else:
            images.append(image)
    return images, errors


def _load_image(ref: ImageRef) -> tuple[ImageInput | None, FieldError | None]:
    """Decode a data URI, or read one of our own file URLs; the internet is out of reach."""
    value = ref.value.strip()
    if value[:5].lower() == "data:":
        try:
            _declared, data = decode_data_uri(value)
        except DataURIError as exc:
            return None, FieldError(ref.field, f"{ref.field}: {exc}", "ImageFormatInvalid")
        return check_image(data, field=ref.field)
    if value.lower().startswith(("http://", "https://")):
        data = _own_file(value)
        if data is None:
            message = f"{ref.field}: could not be downloaded (the simulator cannot fetch {value!r})"
            return None, FieldError(ref.field, message, "ImageDownloadFailure")
        return check_image(data, field=ref.field)
    message = f"{ref.field}: must be an http(s) URL or a data:image/...;base64 URI"
    return None, FieldError(ref.field, message, "FieldInvalid")


def _own_file(url: str) -> bytes | None:
    reference = files.own_file_reference(url)
    if reference is None:
        return None
    status, task, name = open_output(*reference)
    if status != 200 or task is None:
        return None
    return files.read_file(task.task_id, name)


def _store_inputs(
    task_id: str,
    images: list[ImageInput],
    subject_refs: list[tuple[str, list[ImageRef]]],
    subjects: list[list[ImageInput]],
) -> dict[str, Any]:
    """Keep the decoded inputs on disk for the render, not in memory or the database."""
    inputs: dict[str, Any] = {"images": [], "subjects": []}
    for index, image in enumerate(images):
        name = f"input-{index}{files.extension_for(image.content_type)}"
        files.write_file(task_id, name, image.data)
        inputs["images"].append(name)
    for s, ((name, _refs), subject_images) in enumerate(zip(subject_refs, subjects, strict=True)):
        names = []
        for index, image in enumerate(subject_images):
            file_name = f"subject-{s}-{index}{files.extension_for(image.content_type)}"
            files.write_file(task_id, file_name, image.data)
            names.append(file_name)
        inputs["subjects"].append({"name": name, "images": names})
    return inputs


def get_task(*, caller: Caller, task_id: str, dialect: str) -> SimTask:
    """The caller's task made on this mount, brought up to date first; 404
    TaskNotFound for anyone else's (and for one made on another mount: another
    provider never heard of it)."""
    now = timezone.now()
    if lifecycle.key_is_due(caller.key_id, now):
        lifecycle.advance_key(caller.key_id, now=now)
    task = SimTask.objects.filter(task_id=task_id, key_id=caller.key_id, dialect=dialect).first()
    if task is None:
        raise SimError(404, "TaskNotFound", f"task {task_id} not found")
    return task


def query_task(*, caller: Caller, task_id: str, dialect: str) -> SimTask:
    """`get_task` for the query routes, with the `query-404` fault applied: for a
    while after its creation the task's queries answer a bare 404, as a gateway with
    no such route would."""
    task = get_task(caller=caller, task_id=task_id, dialect=dialect)
    hidden_ms = task.fault("query-404")
    if hidden_ms and timezone.now() < task.created_at + timedelta(milliseconds=hidden_ms):
        raise SimError(404, "NotFound", "", bare=True)
    return task


def cancel_task(*, caller: Caller, task_id: str, dialect: str) -> None:
    """Cancel a task that has not finished; 400 BadRequest for one that has (§5)."""
    task = get_task(caller=caller, task_id=task_id, dialect=dialect)
    try:
        lifecycle.cancel(task)
    except lifecycle.TaskFinished as finished:
        raise SimError(
            400, "BadRequest", f"task state is {finished.args[0]}, can not cancel"
        ) from None


def list_payload_enabled() -> bool:
    return bool(getattr(settings, "SIMULATOR_LIST_PAYLOAD", False))


def list_tasks(*, caller: Caller, query: Any, dialect: str) -> tuple[list[SimTask], str]:
    """`GET /ent/v2/tasks` for the caller's tasks: filtered, newest first, paged.

    The filters V-list documents: `created_at.from/.to`, `task_ids[]`, `templates[]`,
    `model_versions[]`, `resolutions[]`, `states[]`; `pager.*` and the docs' `paper.*`
    spelling are both read; `next_page_token` is the next page number as a string (""
    on the last page). The `payload`/`payloads[]` filter is an extension, honoured only
    with SIMULATOR_LIST_PAYLOAD; otherwise it is ignored, as an unknown parameter is.
    """
    now = timezone.now()
    if lifecycle.key_is_due(caller.key_id, now):
        lifecycle.advance_key(caller.key_id, now=now)
    tasks = SimTask.objects.filter(key_id=caller.key_id, dialect=dialect)
    since = _moment(query, "created_at.from") or now - LIST_DEFAULT_WINDOW
    tasks = tasks.filter(created_at__gte=since)
    if until := _moment(query, "created_at.to"):
        tasks = tasks.filter(created_at__lte=until)
    if ids := _many(query, "task_ids"):
        tasks = tasks.filter(task_id__in=ids)
    if _many(query, "templates"):
        tasks = tasks.none()  # the simulator makes no template tasks
    if states := _many(query, "states"):
        tasks = tasks.filter(state__in=states)
    if versions := _many(query, "model_versions"):
        # Versions are written without the prefix: `2.0`, `q1`, `q2`, `q2-pro` (V-list).
        tasks = tasks.filter(model__in=[f"vidu{version}" for version in versions])
    if resolutions := _many(query, "resolutions"):
        tasks = tasks.filter(params__resolution__in=resolutions)
    if list_payload_enabled() and (payloads := _many(query, "payloads") + _many(query, "payload")):
        tasks = tasks.filter(payload__in=payloads)
    page = _int_param(query, "page", 0, low=0, high=10**6)
    size = _int_param(query, "pagesz", PAGE_SIZE_DEFAULT, low=1, high=PAGE_SIZE_MAX)
    rows = list(tasks.order_by("-created_at", "-id")[page * size : page * size + size + 1])
    next_token = str(page + 1) if len(rows) > size else ""
    return rows[:size], next_token


def _many(query: Any, name: str) -> list[str]:
    values = query.getlist(name + "[]") + query.getlist(name)
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _moment(query: Any, name: str) -> datetime | None:
    value = (query.get(name) or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        try:
            return datetime.fromtimestamp(int(value), tz=UTC)
        except (OverflowError, ValueError, OSError):
            raise SimError(400, "FieldInvalid", f"{name}: not a time Python can hold") from None
    moment = parse_datetime(value.replace(" ", "+"))
    if moment is None:
        raise SimError(400, "FieldInvalid", f"{name}: not an ISO 8601 time or Unix seconds")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int_param(query: Any, name: str, default: int, *, low: int, high: int) -> int:
    raw = query.get(f"pager.{name}") or query.get(f"paper.{name}") or ""
    if name == "page":
        raw = raw or query.get("pager.page_token") or query.get("paper.page_token") or ""
    if not raw.strip():
        return default
    if not (raw.strip().isascii() and raw.strip().isdigit()) or not low <= int(raw) <= high:
        raise SimError(400, "FieldInvalid", f"pager.{name}: must be a number from {low} to {high}")
    return int(raw)


def account_info(*, caller: Caller, show_detail: bool) -> dict[str, Any]:
    """`GET /ent/v2/credits` (V-credits): a notional balance and live concurrency."""
    tasks = SimTask.objects.filter(key_id=caller.key_id, dialect=SimTask.Dialect.OFFICIAL)
    counts = tasks.aggregate(
        used=Sum("credits", filter=~Q(state=SimTask.State.FAILED)),
        processing=Count("id", filter=Q(state=SimTask.State.PROCESSING)),
        queueing=Count("id", filter=Q(state__in=[SimTask.State.CREATED, SimTask.State.QUEUEING])),
    )
    remain = STARTING_CREDITS - (counts["used"] or 0)
    body: dict[str, Any] = {
        "remains": [
            {
                "type": "metered",
                "credit_remain": remain,
                "concurrency_limit": lifecycle.concurrency(),
                "current_concurrency": counts["processing"],
                "queue_count": counts["queueing"],
            }
        ]
    }
    if show_detail:
        body["packages"] = [
            {
                "id": "simulator",
                "name": "Vidu simulator",
                "type": "metered",
                "concurrency": lifecycle.concurrency(),
                "credit_amount": STARTING_CREDITS,
                "credit_remain": remain,
                "created_at": "2025-01-01T00:00:00Z",
                "purchase_at": "2025-01-01T00:00:00Z",
                "valid_from": "2025-01-01T00:00:00Z",
                "valid_to": "2099-12-31T23:59:59Z",
            }
        ]
    return body


def file_is_live(task: SimTask) -> bool:
    """Whether a task's result URLs still work (they expire like Vidu's signed URLs)."""
    return task.files_expire_at is None or task.files_expire_at > timezone.now()


def _real_name(name: str) -> str:
    # watermarked-<file> is an alias of <file>: the simulator draws no watermark.
    return name.removeprefix("watermarked-")


def open_output(token: str, name: str) -> tuple[int, SimTask | None, str]:
    """`(status, task, file name on disk)` for a served URL: 200, 404 unknown, 403 expired.

    Only a finished task's outputs are served: its input copies (a designer's private
    reference images) sit in the same folder but never have a URL.
    """
    task = SimTask.objects.filter(files_token=token).first()
    if task is None or task.state != SimTask.State.SUCCESS:
        return 404, None, ""
    real_name = _real_name(name)
    outputs = {item[key] for item in task.creations for key in ("file", "cover")}
    if real_name not in outputs:
        return 404, None, ""
    if not file_is_live(task):
        return 403, task, ""
    return 200, task, real_name
