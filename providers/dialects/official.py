"""The official Vidu API (ent/v2): api.vidu.com, api.vidu.cn.

`Authorization: Token {key}`, `POST {base}/ent/v2/<op>`, `GET {base}/ent/v2/tasks/{id}/
creations`, `POST {base}/ent/v2/tasks/{id}/cancel` (vidu-api.md §2–§5). Resellers that
mirror this wire format (PowerTokens, KKIAI) and the simulator subclass it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from providers import http, signing
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

STATES = {state.value: state for state in TaskState}
# The documented "no such task" codes (vidu-api.md §7): the only poll answer that may
# end a task we paid for.
NOT_FOUND_CODES = frozenset({"TaskNotFound", "NotFound", "CreationNotFound"})
# Reconciling a lost create: at most this many list pages, and candidates to confirm.
MAX_LIST_PAGES = 5
MAX_CANDIDATES = 20

# Vidu's error codes (vidu-api.md §7) in words, and whether trying again could help.
# "{p}" is the provider's name: a reseller's credits and keys are the reseller's.
ERRORS: dict[str, tuple[str, bool]] = {
    "CreditInsufficient": ("Not enough credits on this {p} account", True),
    "Unauthorized": ("The API key was refused by {p}", True),
    "Forbidden": ("{p} refused this request with this API key (forbidden)", True),
    "QuotaExceeded": ("{p} is busy: too many tasks at once", False),
    "TooManyRequests": ("{p} is busy: too many requests at once", False),
    "SystemThrottling": ("{p} is busy: it is throttling requests", False),
    "OperationInProcess": ("{p} is still handling a previous request", False),
    "InternalServiceFailure": ("{p} had an internal error", False),
    "BadRequest": ("{p} rejected the request", True),
    "FieldLacking": ("{p} rejected the request: a required field is missing", True),
    "FieldUnwanted": ("{p} rejected the request: a field is not allowed", True),
    "FieldItemCountOutOfRange": ("{p} rejected the request: too many or too few items", True),
    "FieldInvalid": ("{p} rejected the request: a parameter is invalid", True),
    # Badly named upstream: it is about the input *image's* size, format or ratio.
    "PageSizeOutOfRange": ("{p} rejected an input image (size, format or aspect ratio)", True),
    "ImageDownloadFailure": ("{p} could not download an input image", True),
    "ImageFormatInvalid": ("{p} could not read the format of an input image", True),
    "ImageCheckBodyJointsFailed": ("{p} could not find a body in an input image", True),
    "ImageCheckFaceFailed": ("{p} could not find a usable face in an input image", True),
    "ImageObjectsUndetected": ("{p} could not find the subject in an input image", True),
    "FaceDetectFailure": ("{p} could not find a usable face in an input image", True),
    "NoFaceDetected": ("{p} could not find a face in an input image", True),
    "MultiFaceDetected": ("{p} found more than one face in an input image", True),
    "TaskPromptPolicyViolation": ("The prompt was blocked by {p}'s moderation", True),
    "AuditSubmitIllegal": ("An input was blocked by {p}'s safety review", True),
    "PhotoAuditNotPass": ("An input image was blocked by {p}'s safety review", True),
    "AuditFailed": ("An input was blocked by {p}'s safety review", True),
    "CreationPolicyViolation": ("The result was blocked by {p}'s moderation", True),
    "ModelUnavailable": ("This model is not available on {p} right now", True),
    "UserCancelled": ("The task was cancelled", True),
    "TaskNotFound": ("{p} does not know this task", True),
    "CreationNotFound": ("{p} does not know this result", True),
    "NotFound": ("{p} does not know this task", True),
    "Conflict": ("{p} reported a conflict with an existing task", True),
    "Canceled": ("The request was cancelled before {p} answered", False),
}


# Codes whose own message says which field or image is wrong: worth showing too.
DETAILED_CODES = frozenset(
    {
        "BadRequest",
        "FieldLacking",
        "FieldUnwanted",
        "FieldItemCountOutOfRange",
        "FieldInvalid",
        "PageSizeOutOfRange",
        "ImageDownloadFailure",
        "ImageFormatInvalid",
    }
)

_LOCAL_NONCES: OrderedDict[str, None] = OrderedDict()


def _remember_locally(nonce: str) -> bool:
    """A one-process nonce memory, used only when the caller passes no `seen_nonce`
    (callers should pass `providers.models.remember_nonce`, which spans processes)."""
    if nonce in _LOCAL_NONCES:
        return True
    _LOCAL_NONCES[nonce] = None
    while len(_LOCAL_NONCES) > 10_000:
        _LOCAL_NONCES.popitem(last=False)
    return False


def describe_code(code: str, provider: str) -> tuple[str, bool] | None:
    """(message, permanent) for a known Vidu error code."""
    known = ERRORS.get(code)
    if known is None:
        return None
    text, permanent = known
    return text.format(p=provider), permanent


class ViduDialect:
    """Vidu's own API. Callbacks are signed with the key that created the task."""

    kind = "vidu"
    label = "Vidu"
    default_base_url = "https://api.vidu.com"
    alternative_base_urls: tuple[str, ...] = ("https://api.vidu.cn",)
    verifiable_callbacks = True
    auth_scheme = "Token"
    states: dict[str, TaskState] = STATES

    def __init__(self, base_url: str, api_key: str, client: httpx.AsyncClient) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.api_key = api_key
        self.client = client

    # --- wire ---------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"{self.auth_scheme} {self.api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _task_path(self, task_id: str) -> str:
        return f"/ent/v2/tasks/{quote(task_id, safe='')}"

    def error_for(self, response: httpx.Response) -> ProviderError:
        """A plain-words ProviderError for a non-2xx answer.

        The body is `{code: <http int>, reason: "<ErrorCode>", message, metadata}`
        [V-cancel]; lyra also reads `err_code`, and some gateways put the string
        code in `code`. We accept all three.
        """
        body = response_json(response)
        body = body if isinstance(body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = next(
            (
                str(value)
                for value in (
                    body.get("reason"),
                    body.get("err_code"),
                    body.get("code"),
                    error.get("code"),
                    error.get("type"),
                )
                if isinstance(value, str) and value and not value.isdigit()
            ),
            "",
        )
        detail = provider_text(body.get("message") or error.get("message") or "")
        retry_after = http.retry_after_seconds(response)
        described = describe_code(code, self.label)
        if described is None:
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
        explain = described is None or code in DETAILED_CODES
        if explain and detail and detail.lower() not in exc.message.lower():
            exc.message = f"{exc.message}: {detail}"
            exc.args = (exc.message,)
        return exc

    def _json_or_raise(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 300:
            raise self.error_for(response)
        body = response_json(response)
        if not isinstance(body, dict):
            raise ProviderError(
                f"{self.label} answered with something that is not a task "
                f"(HTTP {response.status_code})",
                status=response.status_code,
                code="BadResponse",
            )
        return body

    def parse_task(self, data: dict[str, Any], *, task_id: str = "") -> TaskStatus:
        """A task object (create answer, query answer or callback body) as TaskStatus.

        Tolerant readings: the id is `task_id` on create, `id` on query (and absent
        from the international query example, hence the `task_id` argument); the
        callback prose calls the state "status", so we read `state` then `status`.
        """
        raw_state = lenient_str(data.get("state") or data.get("status")).strip()
        state = self.states.get(raw_state.lower())
        if state is None and raw_state:
            unknown_state(self.label, raw_state)
        err_code = lenient_str(data.get("err_code")).strip()
        message = ""
        if err_code:
            described = describe_code(err_code, self.label)
            message = described[0] if described else f"{self.label} reported {err_code}"
        elif state is TaskState.FAILED:
            message = f"{self.label} reported that the task failed"
        creations = tuple(
            Creation(
                url=lenient_str(item.get("url")),
                cover_url=lenient_str(item.get("cover_url")),
                id=lenient_str(item.get("id")),
            )
            for item in data.get("creations") or ()
            if isinstance(item, dict) and item.get("url")
        )
        return TaskStatus(
            task_id=lenient_str(data.get("task_id") or data.get("id") or task_id),
            state=state,
            raw_state=raw_state,
            creations=creations,
            credits=lenient_int(data.get("credits")),
            err_code=err_code,
            message=message,
            seed=lenient_int(data.get("seed")),
            payload=lenient_str(data.get("payload")),
        )

    # --- the Dialect interface ----------------------------------------------------------

    async def submit(self, request: GenerationRequest) -> TaskStatus:
        """Create a task. Never retried once sent (see http.send_create).

        An answer that refuses (a documented 4xx) proves no task was made. A 2xx we
        cannot read (empty, HTML, `[]`, no task id) proves nothing either way: the
        provider may have made the task, so it is "submission unknown", never a retry.
        """
        response = await http.send_create(
            self.client,
            self._url(f"/ent/v2/{request.endpoint.value}"),
            headers=self._headers(),
            json=vidu_body(request),
            provider=self.label,
        )
        if response.status_code >= 300:
            raise self.error_for(response)
        return self.created_task(response)

    def created_task(self, response: httpx.Response) -> TaskStatus:
        """The task a 2xx create answer describes, or "submission unknown"."""
        body = response_json(response)
        status = self.parse_task(body) if isinstance(body, dict) else None
        if status is None or not status.task_id:
            shape = "an empty answer" if not response.content.strip() else "an unreadable answer"
            if isinstance(body, dict):
                shape = "an answer without a task id"
            raise ProviderError(
                f"{self.label} accepted the request (HTTP {response.status_code}) but sent "
                f"{shape}; the task may have been created",
                code="SubmissionUnknown",
                status=response.status_code,
                submission_unknown=True,
            )
        return status

    async def fetch(self, task_id: str, *, endpoint: Endpoint | None = None) -> TaskStatus:
        """Read a task's state and, once it succeeded, its result URLs."""
        response = await http.send_read(
            self.client,
            "GET",
            self._url(f"{self._task_path(task_id)}/creations"),
            headers=self._headers(),
        )
        return self.parse_task(self._query_json(response), task_id=task_id)

    def _query_json(self, response: httpx.Response) -> dict[str, Any]:
        """A query answer's task object; a documented "no such task" says so."""
        try:
            return self._json_or_raise(response)
        except ProviderError as error:
            error.task_missing = response.status_code == 404 and error.code in NOT_FOUND_CODES
            raise

    async def cancel(self, task_id: str) -> None:
        """Ask to cancel a task. Vidu refuses in some states (a permanent error)."""
        response = await http.send_read(
            self.client,
            "POST",
            self._url(f"{self._task_path(task_id)}/cancel"),
            headers=self._headers(),
            json={"id": task_id},
        )
        if response.status_code >= 300:
            raise self.error_for(response)

    def parse_callback(
        self,
        callback: CallbackRequest,
        *,
        callback_url: str,
        now: float,
        seen_nonce: Callable[[str], bool] | None = None,
    ) -> TaskStatus:
        """Verify a callback's signature (vidu-api.md §6.2), then read its body.

        The secret is this connection's key; `callback_url` must be the URL we
        registered, not the request path (proxies may rewrite it); `seen_nonce`
        answers whether a nonce was already used (and remembers it), for example
        `providers.models.remember_nonce`. The body is not signed: treat the result
        as a hint and re-fetch the task before acting on it.
        """
        try:
            signing.verify_callback(
                callback.headers,
                method=callback.method,
                callback_url=callback_url,
                secret=self.api_key,
                now=now,
                seen_nonce=seen_nonce or _remember_locally,
            )
        except signing.SignatureError as exc:
            raise ProviderError(
                f"Callback refused: {provider_text(exc)}", code="BadSignature", permanent=True
            ) from None
        try:
            data = json.loads(callback.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProviderError(
                "Callback refused: its body is not JSON", code="BadCallback", permanent=True
            ) from None
        if not isinstance(data, dict):
            raise ProviderError(
                "Callback refused: its body is not a task", code="BadCallback", permanent=True
            )
        return self.parse_task(data)

    async def find_task(self, lookup: TaskLookup) -> TaskStatus | None:
        """The task created with `lookup.payload`, for reconciling a create whose answer
        was lost; None when the provider's own list shows no such task.

        Only documented calls: `GET /ent/v2/tasks` [V-list] filtered by `created_at.from`
        and paged with `pager.*` (the docs' "paper" is a typo, vidu-api.md §4) lists our
        recent tasks, but its items carry no `payload`; the query endpoint [V-get] does.
        So the tasks of the same model since just before the create are candidates, and
        each is confirmed by its payload. The returned prompt may be rewritten (`@1` for
        `@Name`, §9.2), so it only orders the candidates, it never rules one out.
        """
        candidates: list[tuple[bool, str]] = []
        page = 0
        for _page in range(MAX_LIST_PAGES):
            params: dict[str, Any] = {
                "created_at.from": _iso(lookup.since),
                "pager.page": page,
                "pager.pagesz": 100,
            }
            response = await http.send_read(
                self.client,
                "GET",
                self._url("/ent/v2/tasks"),
                headers=self._headers(),
                params=params,
            )
            if response.status_code in (404, 405) and not isinstance(response_json(response), dict):
                raise ProviderError(
                    f"{self.label} offers no task list to look the task up in",
                    code="LookupUnsupported",
                    status=response.status_code,
                    permanent=True,
                )
            body = self._json_or_raise(response)
            for item in body.get("tasks") or ():
                if not isinstance(item, dict):
                    continue
                if lenient_str(item.get("payload")) == lookup.payload:
                    return self.parse_task(item)  # a provider that echoes it saves the look-up
                task_id = lenient_str(item.get("id") or item.get("task_id"))
                model = lenient_str(item.get("model"))
                if task_id and (not model or model == lookup.model):
                    same_prompt = lenient_str(item.get("prompt")) == lookup.prompt
                    candidates.append((not same_prompt, task_id))
            token = lenient_str(body.get("next_page_token")).strip()
            if not (token.isascii() and token.isdigit()):
                break
            page = int(token)
        for _mismatch, task_id in sorted(candidates)[:MAX_CANDIDATES]:
            status = await self.fetch(task_id, endpoint=lookup.endpoint)
            if status.payload == lookup.payload:
                return status
        return None

    # --- beyond the interface: the "Test connection" button ----------------------------

    @staticmethod
    def credits_from(body: dict[str, Any]) -> int | None:
        """Credits remaining on the account (`GET /ent/v2/credits`, summed over remains)."""
        remains = body.get("remains")
        if not isinstance(remains, list):
            return None
        values = [
            lenient_int(item.get("credit_remain")) for item in remains if isinstance(item, dict)
        ]
        known = [value for value in values if value is not None]
        return sum(known) if known else None

    async def check(self) -> ConnectionCheck:
        """Call the provider cheaply and say in words whether it works.

        `GET /ent/v2/credits` [V-credits] costs nothing and needs the key: a 2xx means
        the key was accepted, 401/403 that it was refused, and a 404 that the address is
        wrong (every Vidu API has this route).
        """
        url = self._url("/ent/v2/credits")
        try:
            response = await http.send_read(
                self.client, "GET", url, headers=self._headers(), attempts=1
            )
        except ProviderError as exc:
            return network_failure(exc)
        if response.status_code >= 300:
            return answer_failure(self.label, url, response, self.default_base_url)
        try:
            credits = self.credits_from(self._json_or_raise(response))
        except ProviderError:
            return ConnectionCheck(
                False,
                f"Wrong address: {http.origin(url)} answered, but not as a Vidu API "
                f"(check the base URL; {self.label}'s is {self.default_base_url})",
                "wrong_address",
            )
        if credits is None:
            return ConnectionCheck(True, "Reachable, key accepted", "accepted")
        return ConnectionCheck(
            True, f"Reachable, key accepted ({credits:,} credits left)", "accepted"
        )


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def network_failure(exc: ProviderError) -> ConnectionCheck:
    """No HTTP answer at all: DNS, TLS, a refused or timed-out connection."""
    return ConnectionCheck(False, f"Network or TLS error: {exc.message}", "network")


def answer_failure(
    provider: str, url: str, response: httpx.Response, usual_address: str
) -> ConnectionCheck:
    """Words for a non-2xx answer to a call whose route must exist."""
    status = response.status_code
    if status in (401, 403):
        return ConnectionCheck(False, f"Reachable, but {provider} refused the key", "refused")
    if status in (404, 410) or 300 <= status < 400:
        where = f" (redirected to {response.headers['Location']})" if 300 <= status < 400 else ""
        return ConnectionCheck(
            False,
            f"Wrong address: {http.origin(url)} has no {provider} API here{where}; "
            f"check the base URL ({provider}'s usual one is {usual_address})",
            "wrong_address",
        )
    if status >= 500:
        return ConnectionCheck(
            False, f"Reachable, but {provider} answered a server error ({status})", "error"
        )
    if status == 429:
        return ConnectionCheck(
            False, f"Reachable, but {provider} is busy (429); try again in a minute", "error"
        )
    return ConnectionCheck(False, f"Reachable, but {provider} answered {status}", "error")
