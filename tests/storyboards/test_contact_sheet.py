"""The contact sheet: pages of shots on A4 or Letter, their layout, the PDF and the PNG."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from projects.models import ProjectMembership
from storyboards import contact_sheet, services
from storyboards.contact_sheet import PAPERS, PER_PAGE, layout
from tests.conftest import ARTIFACTS
from tests.generations.gallery_factories import make_project
from tests.storyboards.factories import make_shots, make_storyboard, make_take


@pytest.fixture
def sheet_board(alice):
    """A storyboard of 11 shots, every other one with a kept still."""
    storyboard = make_storyboard(make_project(alice, "Pier project"), title="Pier at night")
    storyboard.notes = "Cold blue light; the harbour wakes up."
    storyboard.save()
    shots = make_shots(storyboard, 11)
    for number, shot in enumerate(shots):
        shot.title = f"Beat {number + 1}" if number % 3 == 0 else ""
        shot.notes = "Hold on the lantern, then cut." if number % 4 == 1 else ""
        shot.prompt = f"@Mia walks along the pier, wide shot, lanterns swaying, number {number + 1}"
        shot.save()
        if number % 2 == 0:
            services.choose_keeper(shot=shot, take=make_take(shot))
    return storyboard


def media_boxes(pdf: bytes) -> list[tuple[float, float]]:
    found = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(width), float(height)) for width, height in found]


def page_count(pdf: bytes) -> int:
    return int(re.search(rb"/Type\s*/Pages.*?/Count\s+(\d+)", pdf, re.S).group(1))


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize(("shots", "pages"), [(1, 1), (9, 1), (20, 3)])
def test_shots_are_paginated_nine_to_a_page(paper, shots, pages):
    laid_out = layout(shots, PAPERS[paper])

    assert len(laid_out) == pages
    assert [page.number for page in laid_out] == list(range(1, pages + 1))
    assert {page.of for page in laid_out} == {pages}
    assert sum(len(page.cells) for page in laid_out) == shots


def test_each_page_holds_its_own_shots_numbers_in_order():
    pages = layout(20, PAPERS["a4"])

    numbers = [[cell.number for cell in page.cells] for page in pages]

    assert numbers == [list(range(1, 10)), list(range(10, 19)), [19, 20]]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_every_cell_lies_inside_the_page_margins_without_overlap(paper):
    (page,) = layout(PER_PAGE, PAPERS[paper])
    width, height = page.size

    boxes = [cell.box for cell in page.cells]

    assert all(
        0 < left < right < width and 0 < top < bottom < height for left, top, right, bottom in boxes
    )
    for a in boxes:
        for b in boxes:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert a is b or not overlap


def test_the_paper_sizes_are_a4_and_letter_at_150_dpi():
    assert PAPERS["a4"].width == 1240 and PAPERS["a4"].height == 1754
    assert PAPERS["letter"].width == 1275 and PAPERS["letter"].height == 1650
    assert PAPERS["letter"].points == (612, 792)


def test_an_empty_storyboard_still_has_one_page():
    assert len(layout(0, PAPERS["a4"])) == 1 and layout(0, PAPERS["a4"])[0].cells == []


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_pdf_has_one_page_per_nine_shots_at_the_papers_size(sheet_board, paper):
    pdf = contact_sheet.as_pdf(sheet_board, paper=PAPERS[paper])

    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 2  # 11 shots
    expected = {"a4": (595.28, 841.89), "letter": (612, 792)}[paper]
    boxes = media_boxes(pdf)
    assert len(boxes) == 2
    for width, height in boxes:
        assert abs(width - expected[0]) < 1 and abs(height - expected[1]) < 1


def test_pages_show_the_keepers_where_kept_and_a_placeholder_elsewhere(sheet_board):
    first, second = contact_sheet.render_pages(sheet_board, paper=PAPERS["a4"])
    cells = layout(11, PAPERS["a4"])[0].cells
    ARTIFACTS.mkdir(exist_ok=True)
    first.save(ARTIFACTS / "storyboard-contact-sheet-a4-page-1.png")
    second.save(ARTIFACTS / "storyboard-contact-sheet-a4-page-2.png")

    def colour_in(cell):
        left, top, right, _bottom = cell.box
        return first.getpixel(((left + right) // 2, top + (right - left) * 9 // 32))

    kept, not_kept = colour_in(cells[0]), colour_in(cells[1])
    assert kept == pytest.approx((40, 90, 200), abs=12)  # the factory's still
    assert not_kept != kept
    assert first.size == second.size == (1240, 1754)


def test_the_png_is_one_long_sheet_of_every_shot(sheet_board):
    (sheet,) = contact_sheet.render_pages(sheet_board, paper=None)

    rows = -(-11 // 3)
    assert sheet.width == 1240 and sheet.height > rows * 300
    ARTIFACTS.mkdir(exist_ok=True)
    sheet.save(ARTIFACTS / "storyboard-contact-sheet-png.png")


def test_the_contact_sheet_urls_offer_a4_and_letter_and_a_png(client, alice, sheet_board):
    client.force_login(alice)
    args = [sheet_board.project_id, sheet_board.pk]
    pdf_url = reverse("storyboards:contact_sheet_pdf", args=args)

    a4 = client.get(pdf_url)
    letter = client.get(pdf_url, {"paper": "letter"})
    png = client.get(reverse("storyboards:contact_sheet", args=args))

    assert a4["Content-Type"] == "application/pdf"
    assert a4["Content-Disposition"] == 'inline; filename="pier-at-night-contact-sheet-a4.pdf"'
    assert abs(media_boxes(a4.content)[0][1] - 841.89) < 1
    assert abs(media_boxes(letter.content)[0][1] - 792) < 1
    assert png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).width == 1240


def test_an_unknown_paper_is_a4(client, alice, sheet_board):
    client.force_login(alice)
    url = reverse("storyboards:contact_sheet_pdf", args=[sheet_board.project_id, sheet_board.pk])

    response = client.get(url, {"paper": "tabloid"})

    assert abs(media_boxes(response.content)[0][1] - 841.89) < 1


def test_a_viewer_may_print_the_sheet_and_charlie_may_not(client, bob, charlie, sheet_board):
    ProjectMembership.objects.create(project=sheet_board.project, user=bob, role="viewer")
    url = reverse("storyboards:contact_sheet_pdf", args=[sheet_board.project_id, sheet_board.pk])

    client.force_login(bob)
    assert client.get(url).status_code == 200
    client.force_login(charlie)
    assert client.get(url).status_code == 404
