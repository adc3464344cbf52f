"""The provider interface: what every Vidu dialect adapter takes and returns.

Adapters import nothing from the apps' models. They take and return these dataclasses,
so each dialect is testable against `httpx.MockTransport` or the simulator without a
database. Adding a provider is adding a module under `providers/dialects/`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Endpoint(enum.StrEnum):
    """Vidu's generation endpoints (the `<op>` in `POST /ent/v2/<op>`)."""

    REFERENCE2IMAGE = "reference2image"
    REFERENCE2VIDEO = "reference2video"
    IMG2VIDEO = "img2video"
    TEXT2VIDEO = "text2video"
    START_END2VIDEO = "start-end2video"


class TaskState(enum.StrEnum):
    """Provider task states, normalised across dialects (Vidu's own vocabulary)."""

    CREATED = "created"
    QUEUEING = "queueing"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class ImageInput:
    """One input image as bytes we hold; adapters encode it for the wire."""

    data: bytes
    content_type: str  # image/png, image/jpeg or image/webp
    width: int
    height: int


@dataclass(frozen=True)
class SubjectInput:
    """A named subject for reference-to-video: the prompt mentions it as `@name`."""

    name: str
    images: tuple[ImageInput, ...]


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a create call needs, independent of any dialect.

    `params` holds the optional model parameters by their Vidu names (duration,
    resolution, aspect_ratio, seed, audio, audio_type, movement_amplitude, off_peak, ...).
    """

    endpoint: Endpoint
    model: str
    prompt: str
    images: tuple[ImageInput, ...] = ()
    subjects: tuple[SubjectInput, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    payload: str = ""
    callback_url: str | None = None


@dataclass(frozen=True)
class Creation:
    """One output of a finished task: a URL valid for a limited time."""

    url: str
    cover_url: str = ""
    kind: str = ""  # "image" or "video" when the provider says; else inferred on download
    id: str = ""


@dataclass(frozen=True)
class TaskStatus:
    """A provider's view of one task, from a create answer, a query or a callback."""

    task_id: str
    state: TaskState | None  # None: a state we do not know (logged, then ignored)
    raw_state: str = ""
    creations: tuple[Creation, ...] = ()
    credits: int | None = None
    cost: str = ""  # a provider's money figure where it gives one instead of credits
    err_code: str = ""
    message: str = ""  # a plain-words explanation for a failed task
    seed: int | None = None
    payload: str = ""


class ProviderError(Exception):
    """A provider call failed.

    `permanent` says whether trying again could help (a bad key or a rejected request
    will not get better; a 429 or a timeout may). `submission_unknown` is set when a
    create call may have reached the provider but we never saw its answer: such a
    request must not be sent again blindly (Vidu has no idempotency key).
    `task_missing` is set only when the provider answered in its documented way that it
    has no such task (Vidu's 404 `TaskNotFound`), the one poll answer that may end a
    task we paid for; an unknown route, a bare 404 or a 5xx never sets it.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        permanent: bool = False,
        submission_unknown: bool = False,
        retry_after: float | None = None,
        task_missing: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.permanent = permanent
        self.submission_unknown = submission_unknown
        self.retry_after = retry_after
        self.task_missing = task_missing


@dataclass(frozen=True)
class TaskLookup:
    """What we know of a create whose answer was lost, to find its task again.

    `payload` is ours and unique; the rest lets a provider's task list narrow the
    search where its items do not carry the payload (Vidu's do not, vidu-api.md §4).
    `since` is a Unix time a little before the create was sent.
    """

    payload: str
    endpoint: Endpoint
    model: str
    prompt: str
    since: float


@dataclass(frozen=True)
class CallbackRequest:
    """The parts of an incoming callback HTTP request a dialect needs to check it."""

    method: str
    headers: Mapping[str, str]  # case-insensitive lookups are the caller's job
    body: bytes


class Dialect(Protocol):
    """One provider's wire format. Implementations live in `providers/dialects/`."""

    kind: str
    default_base_url: str
    verifiable_callbacks: bool

    async def submit(self, request: GenerationRequest) -> TaskStatus: ...

    async def fetch(self, task_id: str, *, endpoint: Endpoint | None = None) -> TaskStatus:
        """The task's state and results. `endpoint` (the kind of task) lets gateways
        whose query route differs by kind pick theirs."""
        ...

    async def cancel(self, task_id: str) -> None: ...

    async def find_task(self, lookup: TaskLookup) -> TaskStatus | None:
        """The task created with `lookup.payload`, or None if the provider has none.

        Used to reconcile a create whose answer was lost (DESIGN §0, §3), only by means
        the provider documents. Dialects whose provider documents none raise
        ProviderError(code="LookupUnsupported", permanent=True); the dispatcher then
        asks the designer, never sends the create again on its own.
        """
        ...

    def parse_callback(
        self, callback: CallbackRequest, *, callback_url: str, now: float
    ) -> TaskStatus: ...
