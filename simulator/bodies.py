"""The JSON the simulator answers with, per mount (shapes from the seeds and §4/§10)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from simulator.files import file_url
from simulator.models import SimTask
from simulator.wire import VTRIX_INTERNAL, iso

# Parameters echoed on create when the endpoint has them (the seeds' response fields).
_ECHOED = (
    "duration",
    "seed",
    "aspect_ratio",
    "resolution",
    "movement_amplitude",
    "bgm",
    "audio",
    "audio_type",
    "style",
    "off_peak",
    "watermark",
    "is_rec",
)
_VTRIX_STATUS = {
    # Seed 003's enum (in_queue|processing|success|failed) wins over the CLI's.
    SimTask.State.CREATED: "in_queue",
    SimTask.State.QUEUEING: "in_queue",
    SimTask.State.PROCESSING: "processing",
    SimTask.State.SUCCESS: "success",
    SimTask.State.FAILED: "failed",
}
# new-api's OpenAI-style task status words (dto/openai_video.go) [newapi].
_NEWAPI_STATUS = {
    SimTask.State.CREATED: "queued",
    SimTask.State.QUEUEING: "queued",
    SimTask.State.PROCESSING: "in_progress",
    SimTask.State.SUCCESS: "completed",
    SimTask.State.FAILED: "failed",
}
# Vtrix bills in USD; this rate only makes `usage.cost` plausible, it is not a price.
USD_PER_CREDIT = 0.0125


def charged(task: SimTask) -> int:
    """The credits a task has used: its price, or 0 once it failed.

    Vidu documents `credits` as "credits consumed for this call" and refunds off-peak
    tasks it cancels (vidu-api.md §3, §4), but says nothing of other failures. Tolerant
    reading, said here: a failed call consumed nothing. The studio shows what a provider
    reports either way, and "not charged" only where it reports nothing spent.
    """
    return 0 if task.state == SimTask.State.FAILED else task.credits


def create_body(task: SimTask, base_url: str) -> dict[str, Any]:
    """What a create call answers on the mount the task was made on."""
    if task.dialect == SimTask.Dialect.VTRIX:
        return vtrix_task(task, base_url)
    body = official_create(task)
    if task.dialect == SimTask.Dialect.POWERTOKENS:
        body["credits"] = str(charged(task))  # `"credits": "15"` [S002]
    elif task.dialect == SimTask.Dialect.KKIAI:
        # KKIAI passes Vidu's raw object through, with these two fields [S001].
        body["cus_priority"] = 0
        body["watermark"] = task.params.get("watermark") is True
    return body


def official_create(task: SimTask) -> dict[str, Any]:
    """The task object a create call answers (seeds 000, 001, 002, 004)."""
    body: dict[str, Any] = {
        "task_id": task.task_id,
        "state": task.state,
        "model": task.model,
        "prompt": task.prompt,
    }
    if task.inputs.get("echo") is not None:
        body["images"] = task.inputs["echo"]
    for key in _ECHOED:
        if key in task.params:
            body[key] = task.params[key]
    body["seed"] = task.seed
    body.update(
        payload=task.payload,
        callback_url=task.callback_url,
        credits=charged(task),
        created_at=iso(task.created_at),
    )
    return body


def official_query(task: SimTask, base_url: str) -> dict[str, Any]:
    """`GET /ent/v2/tasks/{id}/creations`, also the callback body (§4, §6.1)."""
    return {
        "id": task.task_id,
        "state": task.state,
        "err_code": task.err_code,
        "credits": charged(task),
        "payload": task.payload,
        "bgm": bool(task.params.get("bgm", False)),
        "off_peak": bool(task.params.get("off_peak", False)),
        "creations": creations(task, base_url),
    }


def creations(task: SimTask, base_url: str) -> list[dict[str, Any]]:
    if task.state != SimTask.State.SUCCESS:
        return []
    answer = []
    for creation in task.creations:
        url = file_url(base_url, task.files_token, creation["file"])
        item = {
            "id": creation["id"],
            "url": url,
            "cover_url": file_url(base_url, task.files_token, creation["cover"]),
        }
        if task.params.get("watermark") is True:
            # The same file under a second name: the simulator draws no watermark.
            item["watermarked_url"] = file_url(
                base_url, task.files_token, "watermarked-" + creation["file"]
            )
        answer.append(item)
    return answer


def powertokens_query(task: SimTask, base_url: str) -> dict[str, Any]:
    """PowerTokens' `GET /vidu/ent/v2/tasks/{id}` (its r2v page): the Vidu task object
    its status page lists (`state, err_code, credits, payload, bgm, off_peak,
    creations`, vidu-api.md §10.1), with `credits` a string as in seed 002."""
    return {**official_query(task, base_url), "credits": str(charged(task))}


def newapi_task(task: SimTask, base_url: str, *, kind: str) -> dict[str, Any]:
    """PowerTokens' `GET /vidu/v1/videos/{id}` (t2v, i2v, start-end pages) and, inferred,
    `/vidu/v1/images/{id}`: new-api's OpenAI-style object, as its Vidu adaptor builds
    it (`ConvertToOpenAIVideo` in relay/channel/task/vidu/adaptor.go, `OpenAIVideo` in
    dto/openai_video.go) [newapi]: `{id, object, model, status, progress, created_at,
    completed_at, metadata: {url}, error: {code, message}}`. `object` is "video", or
    "image" on the image route (inferred; new-api's own image tasks vary).
    """
    status = _NEWAPI_STATUS[task.state]
    body: dict[str, Any] = {
        "id": task.task_id,
        "object": kind,
        "model": task.model,
        "status": status,
        "progress": _progress(task),
        "created_at": int(task.created_at.timestamp()),
    }
    if task.finished_at is not None:
        body["completed_at"] = int(task.finished_at.timestamp())
    urls = creations(task, base_url)
    if urls:
        body["metadata"] = {"url": urls[0]["url"]}
    if task.state == SimTask.State.FAILED:
        body["error"] = {"code": task.err_code, "message": task.message or task.err_code}
    return body


def _progress(task: SimTask) -> int:
    """new-api's `progress` (0-100): how far along the task's processing time is."""
    if task.is_terminal:
        return 100
    if task.state != SimTask.State.PROCESSING or not task.started_at or not task.finish_at:
        return 0
    total = (task.finish_at - task.started_at).total_seconds()
    done = (timezone.now() - task.started_at).total_seconds()
    return max(1, min(99, int(100 * done / total))) if total > 0 else 99


def list_item(task: SimTask, base_url: str, *, with_payload: bool = False) -> dict[str, Any]:
    """One task in `GET /ent/v2/tasks`: the fields V-list documents (vidu-api.md §4),
    plus `state` and `created_at`. `payload` only with the SIMULATOR_LIST_PAYLOAD
    extension: the documented items do not carry it."""
    item: dict[str, Any] = {
        "id": task.task_id,
        # Vidu's id of the API key; ours is a prefix of the key's hash.
        "key_id": task.key_id[:16],
        "template": "",
        "model": task.model,
        "prompt": task.prompt,
        "images": task.inputs.get("echo") or [],
        "duration": task.params.get("duration", 0),
        "resolution": task.params.get("resolution", ""),
        "aspect_ratio": task.params.get("aspect_ratio", ""),
        "state": task.state,
        "created_at": iso(task.created_at),
        "creations": [],
    }
    if with_payload:
        item["payload"] = task.payload
    for creation, urls in zip(task.creations, creations(task, base_url), strict=False):
        entry = dict(urls)
        if creation["kind"] == "video":
            entry["video"] = {
                "duration": creation["duration"],
                "fps": creation["fps"],
                "resolution": {"width": creation["width"], "height": creation["height"]},
            }
        item["creations"].append(entry)
    return item


def vtrix_task(task: SimTask, base_url: str) -> dict[str, Any]:
    """A Vtrix task (seed 003, §10.3), for create, query and callbacks.

    Seed 003's field list is ambiguous about whether `status` and `jobId` sit at the top
    or inside `output`; both places carry them, so either reading works.
    """
    status = _VTRIX_STATUS[task.state]
    kind = "video" if task.endpoint != "reference2image" else "image"
    content = [{"type": kind, "url": item["url"]} for item in creations(task, base_url)]
    body: dict[str, Any] = {
        "id": task.task_id,
        "model": task.vtrix_model,
        "status": status,
        "jobId": task.task_id,
        "output": {"status": status, "content": content, "jobId": task.task_id},
        "error": None,
        "metadata": {"seed": task.seed, "payload": task.payload},
        "created_at": iso(task.created_at),
    }
    if task.state == SimTask.State.SUCCESS:
        body["usage"] = {"cost": f"{task.credits * USD_PER_CREDIT:.4f}", "discount": 0}
    if task.state == SimTask.State.FAILED:
        body["error"] = {"code": VTRIX_INTERNAL, "message": f"{task.err_code}: {task.message}"}
    return body


def task_body(task: SimTask, base_url: str) -> dict[str, Any]:
    """What a query (and so a callback) answers on the task's own mount."""
    if task.dialect == SimTask.Dialect.VTRIX:
        return vtrix_task(task, base_url)
    if task.dialect == SimTask.Dialect.POWERTOKENS:
        return powertokens_query(task, base_url)
    return official_query(task, base_url)
