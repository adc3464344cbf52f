"""The contact sheet: a storyboard's shots on paper, to print, annotate or send.

Pages are drawn with Pillow at 150 dpi (A4 or Letter, portrait), three by three shots
a page, each with its number, the keeper's picture, prompt, duration and notes; every
page repeats the title, project and date and says which page it is. The PDF is those
pages, one a page at the paper's size; the PNG is the same sheet in one long image.
The layout is computed apart from the drawing (`layout`), so it can be checked alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.formats import date_format
from PIL import Image, ImageDraw, ImageFont, ImageOps

from generations.models import GenerationOutput, Mode
from storyboards.export import keeper_shots
from storyboards.models import Shot, Storyboard

DPI = 150
COLUMNS = 3
ROWS = 3
PER_PAGE = COLUMNS * ROWS


@dataclass(frozen=True)
class Paper:
    key: str
    label: str
    width: int  # pixels at DPI
    height: int

    @property
    def points(self) -> tuple[float, float]:
        """The page size a PDF states (1/72 inch)."""
        return self.width * 72 / DPI, self.height * 72 / DPI


def _paper(key: str, label: str, width_mm: float, height_mm: float) -> Paper:
    to_px = DPI / 25.4
    return Paper(key, label, round(width_mm * to_px), round(height_mm * to_px))


PAPERS = {
    "a4": _paper("a4", "A4", 210, 297),
    "letter": _paper("letter", "Letter", 215.9, 279.4),
}
# The PNG: A4's width, as tall as the shots need.
SCREEN = PAPERS["a4"]

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 80, 76, 64
HEADER, FOOTER = 178, 44
GAP_X, GAP_Y = 34, 40

INK = (29, 27, 24)
MUTED = (109, 104, 95)
RULE = (226, 223, 216)
ACCENT = (91, 69, 224)
PLACEHOLDER = (240, 238, 233)


@dataclass(frozen=True)
class Cell:
    index: int  # in the storyboard's order, from 0
    box: tuple[int, int, int, int]  # left, top, right, bottom

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True)
class Page:
    number: int
    of: int
    size: tuple[int, int]
    cells: list[Cell]


def layout(count: int, paper: Paper | None) -> list[Page]:
    """Where each shot goes: pages of `PER_PAGE` cells on the paper, or (None) one page
    as tall as the shots need. Always at least one page, even for an empty storyboard."""
    per_page = PER_PAGE if paper is not None else max(count, 1)
    starts = range(0, max(count, 1), per_page)
    width = (paper or SCREEN).width
    cell_width = (width - 2 * MARGIN_X - (COLUMNS - 1) * GAP_X) // COLUMNS
    if paper is not None:
        grid_height = paper.height - MARGIN_TOP - HEADER - FOOTER - MARGIN_BOTTOM
        cell_height = (grid_height - (ROWS - 1) * GAP_Y) // ROWS
        height = paper.height
    else:
        cell_height = (PAPERS["a4"].height - 360 - (ROWS - 1) * GAP_Y) // ROWS
        rows = -(-max(count, 1) // COLUMNS)
        height = MARGIN_TOP + HEADER + rows * cell_height + (rows - 1) * GAP_Y
        height += FOOTER + MARGIN_BOTTOM
    pages = []
    for number, start in enumerate(starts, 1):
        cells = []
        for index in range(start, min(start + per_page, count)):
            row, column = divmod(index - start, COLUMNS)
            left = MARGIN_X + column * (cell_width + GAP_X)
            top = MARGIN_TOP + HEADER + row * (cell_height + GAP_Y)
            cells.append(Cell(index, (left, top, left + cell_width, top + cell_height)))
        pages.append(Page(number, len(starts), (width, height), cells))
    return pages


# --- drawing --------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    assert isinstance(font, ImageFont.FreeTypeFont), "Pillow was built without FreeType"
    return font


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Words in lines no wider than `width`; the last line ends in "…" if text is left."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        if font.getlength(line) > width:  # one very long word: cut it where it must
            cut = len(line) - 1
            while cut > 1 and font.getlength(line[:cut]) > width:
                cut -= 1
            words.insert(0, line[cut:])
            line = line[:cut]
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words and lines:
        last = lines[-1]
        while last and font.getlength(f"{last}…") > width:
            last = last[:-1]
        lines[-1] = f"{last.rstrip(' ,.;:')}…"
    return lines


def _picture(output: GenerationOutput | None) -> Image.Image | None:
    if output is None:
        return None
    still = output.kind == GenerationOutput.Kind.IMAGE
    name = output.thumbnail.name or (output.file.name if still else "")
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return image.convert("RGB")


def _placeholder(size: tuple[int, int], *, kept: bool) -> Image.Image:
    """A hatched frame where the keeper's picture would be."""
    card = Image.new("RGB", size, PLACEHOLDER)
    draw = ImageDraw.Draw(card)
    width, height = size
    for x in range(-height, width, 22):
        draw.line((x, height, x + height, 0), fill=RULE, width=2)
    draw.rectangle((0, 0, width - 1, height - 1), outline=RULE, width=2)
    message = "No picture" if kept else "No keeper yet"
    label = _font(20)
    text_width = label.getlength(message)
    centre = (width / 2, height / 2)
    draw.rounded_rectangle(
        (
            centre[0] - text_width / 2 - 14,
            centre[1] - 18,
            centre[0] + text_width / 2 + 14,
            centre[1] + 18,
        ),
        radius=18,
        fill=PLACEHOLDER,
    )
    draw.text(centre, message, font=label, fill=MUTED, anchor="mm")
    return card


def _aspect(storyboard: Storyboard) -> float:
    """Height over width of the picture boxes: the storyboard's ratio, 16:9 by default."""
    try:
        width, height = (float(part) for part in storyboard.aspect_ratio.split(":"))
        return height / width
    except ValueError:
        return 9 / 16


def _draw_cell(
    sheet: Image.Image,
    cell: Cell,
    shot: Shot,
    output: GenerationOutput | None,
    *,
    aspect: float,
) -> None:
    draw = ImageDraw.Draw(sheet)
    left, top, right, bottom = cell.box
    width = right - left
    box_height = min(round(width * aspect), (bottom - top) // 2)
    box = (left, top, right, top + box_height)
    picture = _picture(output)
    if picture is not None:
        framed = ImageOps.pad(picture, (width, box_height), color=(24, 24, 28))
        sheet.paste(framed, box[:2])
    else:
        sheet.paste(_placeholder((width, box_height), kept=shot.keeper_id is not None), box[:2])
    # The number, large, on the picture's corner, as on the board.
    badge = _font(24)
    label = f"{shot.number:02d}"
    badge_width = round(badge.getlength(label)) + 20
    draw.rounded_rectangle(
        (left + 10, top + 10, left + 10 + badge_width, top + 44), radius=8, fill=(20, 20, 24)
    )
    draw.text((left + 20, top + 27), label, font=badge, fill=(255, 255, 255), anchor="lm")
    if output is not None and output.kind == GenerationOutput.Kind.VIDEO:
        clip = f"▶ {output.duration:.0f} s" if output.duration else "▶ clip"
        small = _font(18)
        clip_width = round(small.getlength(clip)) + 18
        draw.rounded_rectangle(
            (right - 10 - clip_width, top + 10, right - 10, top + 40), radius=8, fill=(20, 20, 24)
        )
        draw.text((right - 19, top + 25), clip, font=small, fill=(255, 255, 255), anchor="rm")

    y = box[3] + 14
    heading = f"Shot {shot.number}" + (f" · {shot.title}" if shot.title else "")
    title_font = _font(22)
    for line in _wrap(heading, title_font, width, 1):
        draw.text((left, y), line, font=title_font, fill=INK, stroke_width=1, stroke_fill=INK)
    y += 32
    facts = [f"{shot.duration} s"]
    take = shot.keeper
    if take is not None:
        facts += [Mode(take.generation.mode).label, take.generation.model]
    else:
        facts += [Mode(shot.mode).label, shot.model]
    meta_font = _font(18)
    for line in _wrap(" · ".join(facts), meta_font, width, 1):
        draw.text((left, y), line, font=meta_font, fill=MUTED)
    y += 30

    body, note_font = _font(20), _font(18)
    notes = " ".join(shot.notes.split())
    room = bottom - y
    note_lines = min(3, (room // 2) // 24) if notes else 0
    prompt_lines = max(1, (room - (note_lines * 24 + 10 if notes else 0)) // 26)
    prompt = " ".join(shot.prompt.split()) or "(no prompt)"
    for line in _wrap(prompt, body, width, prompt_lines):
        draw.text((left, y), line, font=body, fill=INK)
        y += 26
    if notes:
        y += 10
        for number, line in enumerate(_wrap(f"Notes: {notes}", note_font, width, note_lines)):
            if number == 0:
                draw.text((left, y), "Notes:", font=note_font, fill=ACCENT)
                line = line.removeprefix("Notes:")
                draw.text(
                    (left + note_font.getlength("Notes:"), y), line, font=note_font, fill=MUTED
                )
            else:
                draw.text((left, y), line, font=note_font, fill=MUTED)
            y += 24
    # What room is left is ruled, for notes by hand on the printed sheet.
    for rule_y in range(bottom - 12, y + 24, -34)[:3]:
        draw.line((left, rule_y, right, rule_y), fill=RULE, width=1)


def _draw_page(
    page: Page,
    items: list[tuple[Shot, GenerationOutput | None]],
    storyboard: Storyboard,
    *,
    today: date,
    paper: Paper | None,
) -> Image.Image:
    sheet = Image.new("RGB", page.size, (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    width, height = page.size
    right = width - MARGIN_X
    title = _font(40)
    (line,) = _wrap(storyboard.title, title, right - MARGIN_X - 260, 1) or [""]
    draw.text((MARGIN_X, MARGIN_TOP), line, font=title, fill=INK, stroke_width=1, stroke_fill=INK)
    draw.text(
        (right, MARGIN_TOP + 30),
        date_format(today, "j F Y"),
        font=_font(20),
        fill=MUTED,
        anchor="rs",
    )
    total = sum(shot.duration for shot, _output in items)
    kept = sum(1 for _shot, output in items if output is not None)
    facts = [
        storyboard.project.name,
        f"{len(items)} shot{'s' if len(items) != 1 else ''}",
        f"{total} s",
        f"{kept} kept",
    ]
    meta = _font(20)
    draw.text((MARGIN_X, MARGIN_TOP + 58), " · ".join(facts), font=meta, fill=MUTED)
    if page.number == 1 and storyboard.notes.strip():
        notes = _wrap(" ".join(storyboard.notes.split()), meta, right - MARGIN_X, 2)
        for number, line in enumerate(notes):
            draw.text((MARGIN_X, MARGIN_TOP + 90 + number * 26), line, font=meta, fill=INK)
    draw.line(
        (MARGIN_X, MARGIN_TOP + HEADER - 24, right, MARGIN_TOP + HEADER - 24), fill=RULE, width=2
    )

    aspect = _aspect(storyboard)
    for cell in page.cells:
        shot, output = items[cell.index]
        _draw_cell(sheet, cell, shot, output, aspect=aspect)
    if not items:
        draw.text(
            (width / 2, MARGIN_TOP + HEADER + 120),
            "No shots yet.",
            font=_font(26),
            fill=MUTED,
            anchor="mm",
        )

    footer_y = height - MARGIN_BOTTOM
    small = _font(17)
    draw.line((MARGIN_X, footer_y - 34, right, footer_y - 34), fill=RULE, width=1)
    draw.text(
        (MARGIN_X, footer_y),
        f"{storyboard.title} · contact sheet",
        font=small,
        fill=MUTED,
        anchor="ls",
    )
    where = f"Page {page.number} of {page.of} · {paper.label}" if paper else "Studio"
    draw.text((right, footer_y), where, font=small, fill=MUTED, anchor="rs")
    return sheet


def render_pages(
    storyboard: Storyboard, *, paper: Paper | None, today: date | None = None
) -> list[Image.Image]:
    """Every page of the sheet as an image (one long page when `paper` is None)."""
    items = keeper_shots(storyboard)
    today = today or timezone.localdate()
    return [
        _draw_page(page, items, storyboard, today=today, paper=paper)
        for page in layout(len(items), paper)
    ]


def as_pdf(storyboard: Storyboard, *, paper: Paper) -> bytes:
    """The sheet as a PDF, one page per page at the paper's size."""
    first, *rest = render_pages(storyboard, paper=paper)
    buffer = io.BytesIO()
    first.save(
        buffer,
        "PDF",
        resolution=float(DPI),
        save_all=True,
        append_images=rest,
        quality=90,
        subsampling=0,  # crisp text: no chroma halving
        title=f"{storyboard.title}: contact sheet",
    )
    return buffer.getvalue()


def as_png(storyboard: Storyboard) -> bytes:
    """The sheet as one PNG, to look at on a screen or paste in a message."""
    (sheet,) = render_pages(storyboard, paper=None)
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
