"""Editor hand-off: a storyboard as a timeline an editor opens directly, and an edited
timeline brought back as the board's new order and durations.

The timelines are built once as OpenTimelineIO objects and written by its adapters
(`otio_json`, `fcp_xml` for Final Cut Pro 7, `cmx_3600` for the EDL), never by hand.
Each goes into a ZIP beside the keepers, which sit in `media/` and are referenced by
relative path, so the folder can be unzipped anywhere and relinks by itself.

FCPXML (Final Cut Pro X) is not offered: no adapter for it is installed here and its
output has not been checked to open, so it waits until one has been.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import av
import opentimelineio as otio
from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify
from zipstream import ZipStream

from generations.archive import read_stored
from generations.models import GenerationOutput
from projects import activity
from projects.models import Verb
from storyboards import services
from storyboards.export import keeper_name, keeper_shots
from storyboards.models import Shot, Storyboard

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange

# Where the studio keeps its own keys in an exported timeline's metadata.
NAMESPACE = "studio"
MEDIA_FOLDER = "media"
DEFAULT_RATE = 24
# Rates a sequence is normally cut at; a clip made at another rate (the simulator's
# are 12 fps) would give the editor an odd sequence, so the timeline stays at 24.
EDITORIAL_RATES = (23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60)
# A shot's duration on the board (storyboards' own rule).
MIN_DURATION, MAX_DURATION = 1, 60
MAX_IMPORT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    adapter: str
    extension: str
    note: str


FORMATS = {
    f.key: f
    for f in (
        Format("otio", "OpenTimelineIO (.otio)", "otio_json", "otio", "DaVinci Resolve, Premiere"),
        Format("fcp7", "Final Cut Pro 7 XML", "fcp_xml", "xml", "Premiere, Resolve, FCP 7"),
        Format("edl", "EDL", "cmx_3600", "edl", "CMX 3600, any editor"),
    )
}


@dataclass(frozen=True)
class Entry:
    """One shot on the timeline: its keeper's first output, if it has one."""

    shot: Shot
    output: GenerationOutput | None

    @property
    def media_path(self) -> str | None:
        if self.output is None:
            return None
        return f"{MEDIA_FOLDER}/{keeper_name(self.shot, self.output)}"


def shot_label(shot: Shot) -> str:
    """ "03 Harbour at dawn": the number an editor sorts by, then the title (or the
    prompt's first words), on one line so an EDL comment cannot break."""
    words = shot.title or " ".join(shot.prompt.replace("@", "").split()[:6]) or "Shot"
    return f"{shot.number:02d} {one_line(words)}"


def one_line(text: str) -> str:
    return " ".join(text.split())


def entries_for(storyboard: Storyboard) -> list[Entry]:
    return [Entry(shot, output) for shot, output in keeper_shots(storyboard)]


def frame_rate(entries: Sequence[Entry]) -> float:
    """The rate of the board's first kept clip when it is an editorial rate, else 24.

    Clips carry no rate in the database, so the first one's header is read (one small
    read, whatever the board's size); stills have none, and a board of stills is cut at
    24, the rate of film and of Vidu's own clips."""
    output = next(
        (e.output for e in entries if e.output and e.output.kind == GenerationOutput.Kind.VIDEO),
        None,
    )
    if output is None:
        return DEFAULT_RATE
    try:
        with default_storage.open(output.file.name, "rb") as source, av.open(source) as media:
            rate = float(media.streams.video[0].average_rate or 0)
    except (OSError, ValueError, IndexError, av.FFmpegError):
        return DEFAULT_RATE
    return next((r for r in EDITORIAL_RATES if abs(r - rate) < 0.01), DEFAULT_RATE)


def build_timeline(
    storyboard: Storyboard, entries: Sequence[Entry], *, rate: float = DEFAULT_RATE
) -> otio.schema.Timeline:
    """The board as one video track: each shot a clip of its board duration, named by
    number and title, its prompt and notes as markers."""
    timeline = otio.schema.Timeline(name=one_line(storyboard.title) or "Storyboard")
    timeline.global_start_time = RT(0, rate)
    timeline.metadata[NAMESPACE] = {
        "storyboard_id": storyboard.pk,
        "project_id": storyboard.project_id,
    }
    width, height = frame_size(entries)
    # Final Cut 7 and Premiere size the sequence from here.
    timeline.metadata["fcp_xml"] = {
        "media": {
            "video": {"format": {"samplecharacteristics": {"width": width, "height": height}}}
        }
    }
    track = otio.schema.Track(name="Shots", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for entry in entries:
        track.extend(_items(entry, rate))
    return timeline


def frame_size(entries: Sequence[Entry]) -> tuple[int, int]:
    output = next((e.output for e in entries if e.output), None)
    return (output.width, output.height) if output else (1920, 1080)


def _items(entry: Entry, rate: float) -> list[otio.schema.Clip]:
    shot, output = entry.shot, entry.output
    duration = RT(shot.duration * rate, rate)
    metadata = {NAMESPACE: {"shot_id": shot.pk, "number": shot.number}}
    if output is None:
        return [_placeholder(shot, duration, metadata)]
    if output.kind == GenerationOutput.Kind.IMAGE:
        # A still has no length of its own: it is held for the shot's duration.
        available = duration
    else:
        available = RT(round((output.duration or shot.duration) * rate), rate)
    reference = otio.schema.ExternalReference(
        target_url=entry.media_path, available_range=TR(RT(0, rate), available)
    )
    played = min(duration, available)
    clip = otio.schema.Clip(
        name=shot_label(shot),
        media_reference=reference,
        source_range=TR(RT(0, rate), played),
        metadata={**metadata, "cmx_3600": {"reel": reel_name(shot)}},
    )
    clip.markers.extend(_markers(shot, rate))
    if played >= duration:
        return [clip]
    # A clip shorter than its shot holds its last frame for the rest.
    last = RT(available.value - 1, rate)
    hold = otio.schema.Clip(
        name=f"{shot_label(shot)} (hold)",
        media_reference=reference.clone(),
        source_range=TR(last, duration - played),
        metadata={
            NAMESPACE: {**metadata[NAMESPACE], "hold": True},
            "cmx_3600": {"reel": reel_name(shot)},
        },
    )
    hold.effects.append(otio.schema.FreezeFrame())
    return [clip, hold]


def reel_name(shot: Shot) -> str:
    """CMX 3600 reels are at most 8 letters and digits: SHOT0003."""
    return f"SHOT{shot.number % 10000:04d}"


def _placeholder(shot: Shot, duration: RT, metadata: dict) -> otio.schema.Clip:
    """A shot without a keeper as black with its name on it, so the editor sees the
    hole where it belongs (a gap would lose the name)."""
    reference = otio.schema.GeneratorReference(
        name="No keeper yet",
        generator_kind="Slug",
        available_range=TR(RT(0, duration.rate), duration),
        # Final Cut 7 writes a generator item (its black Slug) only given these.
        metadata={
            "fcp_xml": {"effecttype": "generator", "mediatype": "video", "effectcategory": "Slug"}
        },
    )
    clip = otio.schema.Clip(
        name=shot_label(shot),
        media_reference=reference,
        source_range=TR(RT(0, duration.rate), duration),
        # BL is the EDL's own name for black.
        metadata={**metadata, "cmx_3600": {"reel": "BL"}},
    )
    clip.markers.append(_marker("No keeper yet", duration.rate, otio.schema.MarkerColor.RED))
    clip.markers.extend(_markers(shot, duration.rate))
    return clip


def _markers(shot: Shot, rate: float) -> list[otio.schema.Marker]:
    found = []
    if shot.prompt.strip():
        found.append(_marker(f"Prompt: {shot.prompt}", rate, otio.schema.MarkerColor.BLUE))
    if shot.notes.strip():
        found.append(_marker(f"Notes: {shot.notes}", rate, otio.schema.MarkerColor.YELLOW))
    return found


def _marker(text: str, rate: float, color: str) -> otio.schema.Marker:
    return otio.schema.Marker(
        name=one_line(text),
        marked_range=TR(RT(0, rate), RT(0, rate)),
        color=color,
        comment=text,
    )


def timeline_text(timeline: otio.schema.Timeline, fmt: Format) -> str:
    return otio.adapters.write_to_string(timeline, fmt.adapter)


def file_stem(storyboard: Storyboard) -> str:
    return slugify(storyboard.title) or "storyboard"


def timeline_zip(storyboard: Storyboard, fmt: Format) -> ZipStream:
    """The timeline file and the keepers it references, in one sized ZIP streamed as
    it is written (like "Download keepers")."""
    entries = entries_for(storyboard)
    timeline = build_timeline(storyboard, entries, rate=frame_rate(entries))
    archive = ZipStream(sized=True)
    archive.add(timeline_text(timeline, fmt).encode(), f"{file_stem(storyboard)}.{fmt.extension}")
    for entry in entries:
        if entry.output is not None:
            name = entry.output.file.name
            archive.add(read_stored(name), entry.media_path, size=default_storage.size(name))
    return archive


def record_export(*, storyboard: Storyboard, user: object, fmt: Format) -> None:
    activity.record(
        project=storyboard.project,
        verb=Verb.EXPORTED,
        actor=user,
        summary=f"exported “{storyboard.title}” as {fmt.label}",
        link=storyboard.get_absolute_url(),
    )


# --- re-import ---------------------------------------------------------------------------


class TimelineRejected(ValueError):
    """The file cannot be read as an edit of this board; the message says why."""


@dataclass
class Plan:
    """What applying an edited timeline changes: the new order of every shot and the
    shots whose duration changes, with what a designer reads before applying."""

    order: list[int]
    durations: dict[int, int]
    moved: list[str] = field(default_factory=list)
    retimed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    clamped: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.moved or self.retimed)

    def token(self, storyboard: Storyboard) -> str:
        """The plan signed for this board, carried by the preview's Apply form."""
        payload = {"order": self.order, "durations": self.durations}
        return signing.dumps(payload, salt=_salt(storyboard), compress=True)


def _salt(storyboard: Storyboard) -> str:
    return f"review.timeline.{storyboard.pk}"


def read_edited(data: bytes) -> otio.schema.Timeline:
    """An uploaded `.otio` as a timeline, or TimelineRejected with a clear reason."""
    if len(data) > MAX_IMPORT_BYTES:
        raise TimelineRejected("The file is larger than 5 MB: that is not a storyboard's timeline.")
    try:
        text = data.decode("utf-8-sig")
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise TimelineRejected(
            "This is not an OpenTimelineIO file (.otio): it is not JSON. Export the edit "
            "from your editor as OpenTimelineIO."
        ) from error
    if not isinstance(parsed, dict) or "OTIO_SCHEMA" not in parsed:
        raise TimelineRejected("This JSON is not a timeline OpenTimelineIO can read.")
    try:
        found = otio.adapters.read_from_string(text, "otio_json")
    except Exception as error:  # the adapter raises many kinds for a malformed schema
        raise TimelineRejected("This JSON is not a timeline OpenTimelineIO can read.") from error
    if not isinstance(found, otio.schema.Timeline):
        raise TimelineRejected(
            "This file holds no timeline (an .otio with one sequence is needed)."
        )
    return found


def plan_import(storyboard: Storyboard, timeline: otio.schema.Timeline) -> Plan:
    """Match the timeline's clips to the board's shots (by the shot id the export put in
    each clip, else by name) and work out the new order and durations."""
    exported_from = _ours(timeline.metadata).get("storyboard_id")
    if exported_from is not None and exported_from != storyboard.pk:
        raise TimelineRejected(
            "This timeline was exported from another storyboard: import it there, or "
            "export this one first."
        )
    shots = list(storyboard.shots.order_by("position", "id"))
    by_id = {shot.pk: shot for shot in shots}
    by_label = {shot_label(shot).casefold(): shot for shot in shots}
    seconds: dict[int, float] = {}
    ignored: list[str] = []
    foreign = 0
    for clip in _clips(timeline):
        shot_id = _ours(clip.metadata).get("shot_id")
        shot = by_id.get(shot_id) if isinstance(shot_id, int) else None
        if shot is None and shot_id is None:
            shot = by_label.get(_base_label(clip.name).casefold())
        if shot is None:
            foreign += shot_id is not None
            ignored.append(one_line(clip.name) or "(unnamed clip)")
            continue
        length = _seconds(clip)
        if length is None:
            ignored.append(f"{one_line(clip.name) or '(unnamed clip)'} (no usable duration)")
            continue
        seconds[shot.pk] = seconds.get(shot.pk, 0.0) + length
    if not seconds:
        if foreign:
            raise TimelineRejected(
                "None of this timeline's clips are shots of this storyboard: it was "
                "exported from another one."
            )
        raise TimelineRejected(
            "No clip of this timeline matches a shot of this storyboard (clips are "
            "matched by the names the export gave them, like “03 Harbour at dawn”)."
        )
    return _plan(shots, seconds, ignored)


def _ours(metadata) -> dict:
    """The studio's part of an OTIO metadata dictionary; an edited file may hold anything."""
    found = metadata.get(NAMESPACE) if hasattr(metadata, "get") else None
    return found if hasattr(found, "get") else {}


def _seconds(clip: otio.schema.Clip) -> float | None:
    """A clip's length, or None where the file gives none that makes sense (no range, a
    rate of 0, a negative or endless length)."""
    try:
        length = clip.duration().to_seconds()
    except (otio.exceptions.OTIOError, ValueError, ZeroDivisionError):
        return None
    return length if math.isfinite(length) and length > 0 else None


def _base_label(name: str) -> str:
    return name.removesuffix(" (hold)").strip()


def _clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    """The clips of the first video track that has any, in timeline order."""
    for track in timeline.video_tracks():
        clips = [item for item in track if isinstance(item, otio.schema.Clip)]
        if clips:
            return clips
    return []


def _plan(shots: list[Shot], seconds: dict[int, float], ignored: list[str]) -> Plan:
    placed = list(seconds)  # first appearance on the timeline
    left_out = [shot for shot in shots if shot.pk not in seconds]
    order = placed + [shot.pk for shot in left_out]
    by_id = {shot.pk: shot for shot in shots}
    plan = Plan(order=order, durations={}, ignored=ignored)
    plan.missing = [shot_label(shot) for shot in left_out]
    for index, pk in enumerate(order):
        shot = by_id[pk]
        if shot.position != index:
            plan.moved.append(f"{shot_label(shot)} → position {index + 1}")
    for pk, total in seconds.items():
        shot = by_id[pk]
        # The board counts whole seconds: an edit of 3.5 s becomes 4 s.
        wanted = int(total + 0.5)
        duration = min(max(wanted, MIN_DURATION), MAX_DURATION)
        if duration != wanted:
            plan.clamped.append(f"{shot_label(shot)}: {total:g} s kept as {duration} s")
        if duration != shot.duration:
            plan.durations[pk] = duration
            plan.retimed.append(f"{shot_label(shot)}: {shot.duration} s → {duration} s")
    return plan


def apply_plan(*, storyboard: Storyboard, token: str, user: object) -> int:
    """Reorder and retime the board as the signed plan says; the number of shots changed.

    Raises TimelineRejected when the preview is too old or was for another board, and
    storyboards.services.OrderConflict when shots were added or deleted since."""
    try:
        payload = signing.loads(token, salt=_salt(storyboard), max_age=60 * 60)
    except signing.BadSignature as error:
        raise TimelineRejected(
            "This preview has expired or was not made for this storyboard: import the file again."
        ) from error
    order = [int(pk) for pk in payload["order"]]
    durations = {int(pk): int(value) for pk, value in payload["durations"].items()}
    with transaction.atomic():
        before = dict(storyboard.shots.values_list("pk", "position"))
        services.reorder_shots(storyboard=storyboard, shot_ids=order)
        for pk, duration in durations.items():
            Shot.objects.filter(storyboard=storyboard, pk=pk).update(duration=duration)
        moved = {pk for index, pk in enumerate(order) if before.get(pk) != index}
        changed = len(moved | set(durations))
        activity.record(
            project=storyboard.project,
            verb=Verb.IMPORTED,
            actor=user,
            summary=f"applied an edited timeline to “{storyboard.title}” ({changed} shots changed)",
            link=storyboard.get_absolute_url(),
        )
    return changed
