"""Vtrix (seed 003; vidu-api.md §10.3): one generation endpoint for every model.

`POST {base}/model/v1/generation` with a Vtrix model id (`viduq2_reference2image`,
from `capabilities.vtrix_model_id`), `GET {base}/model/v1/generation/task/{id}`,
`Authorization: Bearer`.

The body question: seed 003, the only Vtrix page about a Vidu model, lists the Vidu
parameters flat next to `model`; the gateway's general docs and third-party code show
an envelope `{"model", "input": [{"params": {...}}]}` for other models [VT-base]. The
seed is Vtrix's own page for this very model and seeds win, so we send the flat body
and nothing else (the simulator's Vtrix mount accepts only that, too).

Only the model ids found in a source are sent (`capabilities.vtrix_model_id`), and
text-to-image is not offered: seed 003 says "0 to 7 images" but its own error table
answers `008023001` "images or subjects parameter missing" when there are none.

The answer's shape is inconsistent across Vtrix's own pages, so reading is tolerant:
`status` at the top or inside `output`, in any documented spelling; `output` as an
object or as an array (`output[0].content[]`); cost as `usage.cost` (USD string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from providers import capabilities, http
from providers.base import (
    CallbackRequest,
    Creation,
    Endpoint,
    GenerationRequest,
    ProviderError,
    TaskLookup,
    TaskState,
    TaskStatus,
)
from providers.dialects.common import (
    ConnectionCheck,
    error_from_status,
    lenient_int,
    lenient_str,
    provider_text,
    response_json,
    unknown_state,
    vidu_body,
)
from providers.dialects.official import describe_code
from providers.dialects.reseller import probe_create_route, refuse_callback

# in_queue|processing|success|failed [S003]; pending|processing|completed|failed
# [VT-cli]; in_progress|completed|failed [Vtrix Veo page, SDK README].
STATES = {
    "created": TaskState.CREATED,
    "in_queue": TaskState.QUEUEING,
    "queued": TaskState.QUEUEING,
    "queueing": TaskState.QUEUEING,
    "pending": TaskState.QUEUEING,
    "processing": TaskState.PROCESSING,
    "in_progress": TaskState.PROCESSING,
    "running": TaskState.PROCESSING,
    "success": TaskState.SUCCESS,
    "succeeded": TaskState.SUCCESS,
    "completed": TaskState.SUCCESS,
    "failed": TaskState.FAILED,
    "failure": TaskState.FAILED,
    "error": TaskState.FAILED,
}

# Seed 003's error table, in words. Its 0080230xx codes are the request's fault
# (permanent); 0080230 95–99 are Vtrix's or upstream's trouble.
IMAGES_MISSING = "008023001"
ERRORS: dict[str, tuple[str, bool]] = {
    "008023001": ("Vtrix rejected the request: it needs reference images or subjects", True),
    "008023002": ("Vtrix rejected the request: it needs between 1 and 7 images", True),
    "008023003": ("Vtrix rejected the request: the prompt is missing", True),
    "008023095": ("Vtrix reported an internal generation error", False),
    "008023096": ("Vtrix could not read the generation result", False),
    "008023097": ("Vtrix got an HTTP error from Vidu", False),
    "008023098": ("Vtrix could not check the task's status", False),
    "008023099": ("Vtrix could not create the task", False),
}


def describe_vtrix_code(code: str) -> tuple[str, bool] | None:
    if code in ERRORS:
        return ERRORS[code]
    # An upstream Vidu code passed through (e.g. CreditInsufficient).
    return describe_code(code, "Vtrix")


# Codes after which Vtrix may have made the upstream task: a create answered with one of
# them is "submission unknown". The rest (0080230 01–03, 97, 99) refuse before any task.
MAY_EXIST_CODES = frozenset({"008023095", "008023096", "008023098"})


def vtrix_code(value: Any) -> str:
    """A Vtrix error code as a string with its leading zeros (`008023001`).

    The table writes them as 9 digits; a JSON number would lose the zeros.
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**9:
        text = str(value)
        return text.zfill(9) if text.startswith("8023") else text
    return lenient_str(value).strip()


def _error_fields(body: Any) -> tuple[str, str]:
    """(code, message) from `{"error": {code, message}}` or a flat `{code, message}`."""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    source = error if isinstance(error, dict) else body
    return vtrix_code(source.get("code")), lenient_str(source.get("message"))


class VtrixDialect:
    kind = "vtrix"
    label = "Vtrix"
    default_base_url = "https://cloud.vtrix.ai"
    alternative_base_urls: tuple[str, ...] = ()
    verifiable_callbacks = False

    def __init__(self, base_url: str, api_key: str, client: httpx.AsyncClient) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.api_key = api_key
        self.client = client

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def _task_url(self, task_id: str) -> str:
        return f"{self.base_url}/model/v1/generation/task/{quote(task_id, safe='')}"

    def error_for(self, response: httpx.Response) -> ProviderError:
        code, detail = _error_fields(response_json(response))
        detail = provider_text(detail)
        retry_after = http.retry_after_seconds(response)
        described = describe_vtrix_code(code) if code else None
        if response.status_code == 403 and described is None:
            # Vtrix's generic table: 403 is "no balance", not a refused key [S003].
            exc = ProviderError(
                "Not enough balance on this Vtrix account",
                code="CreditInsufficient",
                status=403,
                permanent=True,
            )
        elif described is None:
            exc = error_from_status(self.label, response, retry_after=retry_after)
            exc.code = code or exc.code
        else:
            text, permanent = described
            if response.status_code == 429 or response.status_code >= 500:
                permanent = False
            exc = ProviderError(
                text,
                code=code,
                status=response.status_code,
                permanent=permanent,
                retry_after=retry_after,
            )
        if detail and detail.lower() not in exc.message.lower():
            exc.message = f"{exc.message}: {detail}"
            exc.args = (exc.message,)
        return exc

    def _json_or_raise(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 300:
            raise self.error_for(response)
        body = response_json(response)
        if not isinstance(body, dict):
            raise ProviderError(
                f"Vtrix answered with something that is not a task (HTTP {response.status_code})",
                status=response.status_code,
                code="BadResponse",
            )
        # Some gateways wrap answers as {"code": 0, "data": {...}}; unwrap when so.
        data = body.get("data")
        if isinstance(data, dict) and not body.get("id") and ("id" in data or "status" in data):
            return data
        if isinstance(body.get("error"), dict) and not (body.get("id") or body.get("task_id")):
            # A 200 that carries only an error: the error is the answer, in its own words.
            raise self.error_for(response)
        return body

    def parse_task(self, data: dict[str, Any], *, task_id: str = "") -> TaskStatus:
        output = data.get("output")
        if isinstance(output, list):
            output = output[0] if output and isinstance(output[0], dict) else {}
        if not isinstance(output, dict):
            output = {}
        raw_state = lenient_str(data.get("status") or output.get("status")).strip()
        state = STATES.get(raw_state.lower())
        if state is None and raw_state:
            unknown_state(self.label, raw_state)
        creations = tuple(
            Creation(url=lenient_str(item.get("url")), kind=lenient_str(item.get("type")))
            for item in output.get("content") or ()
            if isinstance(item, dict) and item.get("url")
        )
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        err_code, err_message = "", ""
        if isinstance(data.get("error"), dict):
            err_code, err_message = _error_fields(data)
        message = ""
        if err_code or state is TaskState.FAILED:
            described = describe_vtrix_code(err_code) if err_code else None
            message = described[0] if described else "Vtrix reported that the task failed"
            detail = provider_text(err_message)
            if detail and detail.lower() not in message.lower():
                message = f"{message}: {detail}"
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        return TaskStatus(
            task_id=lenient_str(data.get("id") or data.get("task_id") or task_id),
            state=state,
            raw_state=raw_state,
            creations=creations,
            cost=lenient_str(usage.get("cost")),
            err_code=err_code,
            message=message,
            seed=lenient_int(metadata.get("seed") if metadata else data.get("seed")),
            payload=lenient_str(metadata.get("payload") or data.get("payload") or ""),
        )

    async def submit(self, request: GenerationRequest) -> TaskStatus:
        """Create a task: the Vidu body, flat, under the Vtrix model id (seed 003)."""
        if request.endpoint is Endpoint.REFERENCE2IMAGE and not request.images:
            raise ProviderError(
                "Vtrix needs at least one reference image (its error 008023001); "
                "text to image is not available on Vtrix",
                code=IMAGES_MISSING,
                permanent=True,
            )
        try:
            model_id = capabilities.vtrix_model_id(request.endpoint, request.model)
        except capabilities.UnknownModel as exc:
            raise ProviderError(str(exc), code="ModelUnavailable", permanent=True) from None
        body = vidu_body(request)
        body["model"] = model_id
        response = await http.send_create(
            self.client,
            f"{self.base_url}/model/v1/generation",
            headers=self._headers(),
            json=body,
            provider=self.label,
        )
        try:
            data = self._json_or_raise(response)
        except ProviderError as error:
            if error.code in MAY_EXIST_CODES or (
                200 <= response.status_code < 300 and error.code == "BadResponse"
            ):
                error.submission_unknown = True
                error.message = f"{error.message}; the task may have been created"
                error.args = (error.message,)
            raise
        status = self.parse_task(data)
        if not status.task_id:
            raise ProviderError(
                f"Vtrix accepted the request (HTTP {response.status_code}) but sent no task "
                "id; the task may have been created",
                code="SubmissionUnknown",
                submission_unknown=True,
            )
        return status

    async def fetch(self, task_id: str, *, endpoint: Endpoint | None = None) -> TaskStatus:
        response = await http.send_read(
            self.client, "GET", self._task_url(task_id), headers=self._headers()
        )
        return self.parse_task(self._json_or_raise(response), task_id=task_id)

    async def cancel(self, task_id: str) -> None:
        """Vtrix documents no cancel call; the task runs to its end."""
        raise ProviderError(
            "Vtrix does not offer cancelling a task", code="CancelUnsupported", permanent=True
        )

    async def find_task(self, lookup: TaskLookup) -> TaskStatus | None:
        """Vtrix documents no task list, so a lost create cannot be looked up."""
        raise ProviderError(
            "Vtrix offers no task list to look the task up in",
            code="LookupUnsupported",
            permanent=True,
        )

    def parse_callback(
        self,
        callback: CallbackRequest,
        *,
        callback_url: str,
        now: float,
        seen_nonce: Callable[[str], bool] | None = None,
    ) -> TaskStatus:
        # `callback_url` is listed in seed 003 but its signing is not described.
        raise refuse_callback(self.label)

    async def check(self) -> ConnectionCheck:
        # Vtrix's table: 401 a bad key, 403 no balance (so the key was accepted) [S003].
        return await probe_create_route(
            self.client,
            f"{self.base_url}/model/v1/generation",
            headers=self._headers(),
            provider=self.label,
            usual_address=self.default_base_url,
            forbidden_means="the Vtrix account has no balance",
        )
