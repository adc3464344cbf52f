"""The shot list: CSV out for spreadsheets, and in as new shots after a preview."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import Activity, ProjectMembership, Verb
from review import shotlist, statuses
from review.models import ShotReview
from storyboards.models import Shot
from tests.generations.gallery_factories import make_project
from tests.library.factories import make_library, make_subject, make_subject_image
from tests.storyboards.factories import make_storyboard


@pytest.fixture
def board(alice, bob):
    """Alice's board of two shots; @Mia is a subject of the project; bob edits."""
    project = make_project(alice)
    ProjectMembership.objects.create(project=project, user=bob, role="editor")
    library = make_library(owner=alice)
    project.libraries.add(library)
    make_subject_image(subject=make_subject(library=library, name="Mia"))
    storyboard = make_storyboard(project, "Harbour film")
    Shot.objects.create(
        storyboard=storyboard,
        position=0,
        title="Harbour at dawn",
        prompt="@Mia walks the pier, wind, gulls",
        mode="reference_to_image",
        model="viduq2",
        duration=3,
        notes="Slow push in\nthen hold",
    )
    Shot.objects.create(
        storyboard=storyboard,
        position=1,
        title='=HYPERLINK("http://x")',
        prompt="-dark night market",
        model="viduq2",
        duration=5,
    )
    return storyboard


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def upload(text: str, name: str = "shots.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def import_url(board) -> str:
    return reverse("review:import_shot_list", args=[board.project_id, board.pk])


def apply_url(board) -> str:
    return reverse("review:apply_shot_list", args=[board.project_id, board.pk])


def token_in(page: str) -> str:
    start = page.index('name="token" value="') + len('name="token" value="')
    return page[start : page.index('"', start)]


# --- export --------------------------------------------------------------------------------


def test_the_shot_list_has_a_row_per_shot_with_its_review_status(board, alice):
    approved = next(s for s in statuses.statuses_for(board.project) if s.is_approved)
    ShotReview.objects.create(shot=board.shots.get(position=1), status=approved, set_by=alice)

    rows = rows_of(shotlist.export_csv(board))

    assert rows[0] == shotlist.HEADER
    assert rows[1][:3] == ["1", "Harbour at dawn", "'@Mia walks the pier, wind, gulls"]
    assert rows[1][3:] == [
        "'@Mia",
        "Reference to image",
        "viduq2",
        "3",
        "Draft",
        "Slow push in\nthen hold",
    ]
    assert rows[2][7] == "Approved"


def test_the_shot_list_opens_in_a_spreadsheet_as_utf8(board):
    data = shotlist.export_csv(board)

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.split(b"\r\n")[0].endswith(b'"Notes"')


def test_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text(board):
    rows = rows_of(shotlist.export_csv(board))

    assert rows[2][1] == '\'=HYPERLINK("http://x")'
    assert rows[2][2] == "'-dark night market"
    # Mentions inside the text are left as written; only the cell's start is guarded.
    assert "wind, gulls" in rows[1][2] and rows[1][2].count("@Mia") == 1


def test_the_download_is_a_csv_attachment(client, alice, board):
    client.force_login(alice)

    response = client.get(reverse("review:export_shot_list", args=[board.project_id, board.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="harbour-film-shot-list.csv"' in response["Content-Disposition"]


# --- import --------------------------------------------------------------------------------


def test_a_shot_list_round_trips_into_another_board(client, bob, board):
    other = make_storyboard(board.project, "Second cut")
    client.force_login(bob)
    data = shotlist.export_csv(board)

    preview = client.post(
        import_url(other), {"shot_list": SimpleUploadedFile("s.csv", data)}
    ).content.decode()
    response = client.post(apply_url(other), {"token": token_in(preview)})

    assert response.status_code == 302
    fields = ("title", "prompt", "mode", "model", "duration", "notes")
    assert list(other.shots.order_by("position").values_list(*fields)) == list(
        board.shots.order_by("position").values_list(*fields)
    )
    assert Activity.objects.filter(project=board.project, verb=Verb.IMPORTED).exists()


def test_imported_shots_go_after_the_boards_own(client, bob, board):
    client.force_login(bob)
    text = "prompt,TITLE,Duration\nA lighthouse,Lighthouse,6\nA storm,,\n"

    preview = client.post(import_url(board), {"shot_list": upload(text)}).content.decode()
    client.post(apply_url(board), {"token": token_in(preview)})

    added = list(board.shots.order_by("position").values_list("position", "title", "duration"))
    assert added[2:] == [(2, "Lighthouse", 6), (3, "", 4)]


def test_a_second_click_on_import_adds_the_shots_only_once(client, bob, board):
    client.force_login(bob)
    preview = client.post(
        import_url(board), {"shot_list": upload("Title,Prompt\nPier,A pier at dawn\n")}
    ).content.decode()

    client.post(apply_url(board), {"token": token_in(preview)})
    again = client.post(apply_url(board), {"token": token_in(preview)}, follow=True)

    assert list(board.shots.values_list("title", flat=True)).count("Pier") == 1
    assert "imported already" in again.content.decode()


def test_unknown_at_names_are_listed_and_nothing_is_written(client, bob, board):
    client.force_login(bob)
    text = "Title,Prompt,Mode\nPier,@Mia and @Zed on the pier,Reference to image\n"

    page = client.post(import_url(board), {"shot_list": upload(text)}).content.decode()

    assert "Unknown @names" in page and "@Zed" in page
    assert "@Zed is not a subject in this project" in page
    assert 'name="token"' not in page
    assert board.shots.count() == 2


def test_invalid_rows_are_named_by_line_before_anything_is_written(client, bob, board):
    client.force_login(bob)
    text = "Title;Prompt;Duration;Mode\nOne;A pier;90;\nTwo;A storm;4;Sketch\nThree;Rain;4;\n"

    page = client.post(import_url(board), {"shot_list": upload(text)}).content.decode()

    assert "2 of 3 rows need fixing" in page
    assert "Duration “90” is not a whole number of seconds from 1 to 60." in page
    assert "Mode “Sketch” is not one of" in page
    assert board.shots.count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name,Colour\nMia,red\n", "No “Prompt” or “Title” column"),
        ("Title,Prompt\nCafé,Un café\n".encode("latin-1"), "save it as “CSV UTF-8”"),
        (b"Prompt\n" + b"A shot\n" * (shotlist.MAX_ROWS + 1), "more than 200 in one import"),
        (b"Prompt\n" + b"x" * (shotlist.MAX_BYTES + 10), "larger than 512 KB"),
    ],
)
def test_files_that_cannot_be_a_shot_list_are_refused_clearly(client, bob, board, content, message):
    client.force_login(bob)

    page = client.post(
        import_url(board), {"shot_list": SimpleUploadedFile("s.csv", content)}
    ).content.decode()

    assert message in page
    assert board.shots.count() == 2


def test_a_tampered_preview_is_refused(client, bob, board):
    client.force_login(bob)

    response = client.post(apply_url(board), {"token": "e30:forged"}, follow=True)

    assert "expired or was not made for this storyboard" in response.content.decode()
    assert board.shots.count() == 2


def test_comments_and_prompts_in_the_preview_are_escaped(client, bob, board):
    client.force_login(bob)

    page = client.post(
        import_url(board), {"shot_list": upload("Title,Prompt\n<script>x</script>,<b>hi</b>\n")}
    ).content.decode()

    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_a_viewer_cannot_import_a_shot_list(client, board, django_user_model):
    viewer = django_user_model.objects.create_user("vera", password="x")
    ProjectMembership.objects.create(project=board.project, user=viewer, role="viewer")
    client.force_login(viewer)

    assert client.post(import_url(board), {"shot_list": upload("Prompt\nA\n")}).status_code == 403
    assert client.post(apply_url(board), {"token": "x"}).status_code == 403
    page = client.get(reverse("review:handoff", args=[board.project_id, board.pk])).content.decode()
    assert "Import shot list" not in page and "Download shot list" in page


@pytest.mark.parametrize(
    ("name", "method"),
    [("export_shot_list", "get"), ("import_shot_list", "post"), ("apply_shot_list", "post")],
)
def test_charlie_gets_404_for_the_shot_list_of_alices_board(client, charlie, board, name, method):
    client.force_login(charlie)
    url = reverse(f"review:{name}", args=[board.project_id, board.pk])

    assert getattr(client, method)(url).status_code == 404
