"""The shot list as CSV, out to a spreadsheet and back in as new shots.

Out: one row a shot, UTF-8 with a byte-order mark so Excel reads accents and CJK right.
In: columns found by header name (any case, any order, optional ones may be missing),
every row checked as the shot form checks it, @mentions against the project's subjects;
a preview lists what is wrong before anything is written.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field

from django.core import signing
from django.core.cache import cache
from django.db import transaction

from generations.catalog import spec_for, specs_for
from generations.composer import resolve_mentions, subject_index
from generations.models import Mode
from library.mentions import find_mentions
from projects import activity
from projects.access import parse_int
from projects.models import Verb
from providers.models import ProviderConnection
from review.statuses import statuses_by_shot
from storyboards import services
from storyboards.models import SHOT_MODES, Storyboard

HEADER = ["Number", "Title", "Prompt", "Subjects", "Mode", "Model", "Duration", "Status", "Notes"]
MAX_ROWS = 200
MAX_BYTES = 512 * 1024
MIN_DURATION, MAX_DURATION = 1, 60
TITLE_MAX = 120
NOTES_MAX = 4000

# A spreadsheet runs a cell that starts with one of these as a formula. Such a cell is
# written with a leading apostrophe, the mark spreadsheets read as "this is text".
# Prompts begin with an @Subject on purpose, and "@Mia walks in" would be taken for a
# formula (Excel's @ is its implicit-intersection operator) and break, so they get the
# apostrophe too: only the first character of the cell is guarded, the mentions in the
# text are written as they are, every cell is quoted so commas and line breaks stay
# inside it, and the import takes the one apostrophe off again, so a round trip gives
# back exactly the prompt that went out.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


# --- export --------------------------------------------------------------------------------


def export_csv(storyboard: Storyboard) -> bytes:
    """Every shot in board order, with its review status's name."""
    states = statuses_by_shot(storyboard)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for shot in storyboard.shots.order_by("position", "id"):
        state = states.get(shot.pk)
        row = [
            str(shot.number),
            shot.title,
            shot.prompt,
            " ".join(f"@{name}" for name in find_mentions(shot.prompt)),
            Mode(shot.mode).label,
            shot.model,
            str(shot.duration),
            state.status.name if state else "Draft",
            shot.notes,
        ]
        writer.writerow([guard(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- import --------------------------------------------------------------------------------


class ShotListRejected(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class Row:
    line: int
    fields: dict
    errors: list[str] = field(default_factory=list)

    @property
    def mode_label(self) -> str:
        mode = self.fields.get("mode")
        return Mode(mode).label if mode else ""


@dataclass
class Preview:
    rows: list[Row]
    unknown: list[str]
    ignored_columns: list[str]

    @property
    def invalid(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.invalid

    def token(self, storyboard: Storyboard) -> str:
        """The checked rows signed for this board, carried by the preview's Import form."""
        # `once`: a second click, or a second tab, must not add the shots twice.
        rows = [row.fields for row in self.rows]
        payload = {"rows": rows, "once": uuid.uuid4().hex}
        return signing.dumps(payload, salt=_salt(storyboard), compress=True)


PREVIEW_SECONDS = 60 * 60  # how long a preview may be imported


def _salt(storyboard: Storyboard) -> str:
    return f"review.shotlist.{storyboard.pk}"


def read_csv(data: bytes, storyboard: Storyboard) -> Preview:
    """Check an uploaded shot list against the board's project; writes nothing."""
    if len(data) > MAX_BYTES:
        raise ShotListRejected(
            f"The file is larger than {MAX_BYTES // 1024} KB; split it into smaller lists."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ShotListRejected(
            "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."
        ) from error
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ShotListRejected("The file is empty: the first line should name the columns.")
    # Spreadsheets in some languages write ; or tabs between cells: the header says which.
    delimiter = max(",;\t", key=lines[0].count)
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise ShotListRejected(f"The file is not readable as CSV: {error}.") from error
    header = [cell.strip().casefold() for cell in records[0]]
    columns = {name.casefold(): name for name in HEADER}
    if "prompt" not in header and "title" not in header:
        raise ShotListRejected(
            "No “Prompt” or “Title” column: the first line should name the columns "
            f"({', '.join(HEADER)})."
        )
    body = [record for record in records[1:] if any(cell.strip() for cell in record)]
    if len(body) > MAX_ROWS:
        raise ShotListRejected(f"{len(body)} shots is more than {MAX_ROWS} in one import.")
    index = subject_index(storyboard.project)
    unknown: dict[str, None] = {}
    rows = []
    for line, record in enumerate(body, start=2):
        values = {
            header[i]: unguard(cell.strip()) for i, cell in enumerate(record) if i < len(header)
        }
        row = _check(line, values, storyboard, index)
        for name in find_mentions(row.fields.get("prompt", "")):
            if name.lower() not in index:
                unknown.setdefault(name, None)
        rows.append(row)
    ignored = [
        cell for cell in records[0] if cell.strip() and cell.strip().casefold() not in columns
    ]
    return Preview(rows=rows, unknown=list(unknown), ignored_columns=ignored)


def _mode(value: str, default: str) -> Mode | None:
    if not value:
        return Mode(default)
    wanted = value.casefold().replace(" ", "_")
    return next(
        (m for m in SHOT_MODES if wanted in (m.value, m.label.casefold().replace(" ", "_"))),
        None,
    )


def _check(line: int, values: dict, storyboard: Storyboard, index: dict) -> Row:
    title, prompt, notes = (values.get(k, "") for k in ("title", "prompt", "notes"))
    row = Row(line=line, fields={"title": title[:TITLE_MAX], "prompt": prompt, "notes": notes})
    if len(title) > TITLE_MAX:
        row.errors.append(f"Title is longer than {TITLE_MAX} characters.")
    if len(notes) > NOTES_MAX:
        row.errors.append(f"Notes are longer than {NOTES_MAX} characters.")
    mode = _mode(values.get("mode", ""), storyboard.mode)
    if mode is None:
        choose = ", ".join(m.label for m in SHOT_MODES)
        row.errors.append(f"Mode “{values['mode']}” is not one of {choose}.")
        return row
    connection = ProviderConnection.objects.for_new_work()
    offered = [spec.model for spec in specs_for(mode, connection)]
    model = values.get("model", "") or storyboard.model
    if values.get("model") and model not in offered:
        row.errors.append(f"{model} is not offered for {mode.label}; choose {', '.join(offered)}.")
        return row
    spec = spec_for(mode, model, connection)
    duration_text = values.get("duration", "")
    duration = parse_int(duration_text.removesuffix("s").strip()) if duration_text else 4
    if duration is None or not MIN_DURATION <= duration <= MAX_DURATION:
        row.errors.append(
            f"Duration “{duration_text}” is not a whole number of seconds from "
            f"{MIN_DURATION} to {MAX_DURATION}."
        )
    if len(prompt) > spec.prompt_max:
        row.errors.append(f"The prompt is longer than {spec.model} takes ({spec.prompt_max}).")
    _found, errors = resolve_mentions(prompt, mode=mode, index=index)
    row.errors.extend(errors)
    row.fields.update(mode=mode.value, model=spec.model, duration=duration or 4)
    return row


def import_rows(*, storyboard: Storyboard, token: str, user: object) -> int:
    """Add the previewed shots at the end of the board, in the file's order; their count.

    Raises ShotListRejected when the preview is too old or was made for another board."""
    try:
        payload = signing.loads(token, salt=_salt(storyboard), max_age=PREVIEW_SECONDS)
    except signing.BadSignature as error:
        raise ShotListRejected(
            "This preview has expired or was not made for this storyboard: upload the file again."
        ) from error
    rows = payload["rows"]
    if not cache.add(f"review-shotlist-imported:{payload['once']}", 1, PREVIEW_SECONDS):
        raise ShotListRejected("These shots were imported already: the board has them.")
    params = {"aspect_ratio": storyboard.aspect_ratio} if storyboard.aspect_ratio else {}
    with transaction.atomic():
        for fields in rows:
            services.add_shot(storyboard=storyboard, params=dict(params), **fields)
        activity.record(
            project=storyboard.project,
            verb=Verb.IMPORTED,
            actor=user,
            summary=f"imported {len(rows)} shots into “{storyboard.title}” from a shot list",
            link=storyboard.get_absolute_url(),
        )
    return len(rows)
