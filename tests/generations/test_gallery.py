"""The gallery: who sees what, filters in the URL, keyset pages, review and compare."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Mode, Review, State
from tests.generations.gallery_factories import add_output, make_generation, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice, bob):
    return make_project(alice, viewer=bob)


def gallery_ids(client, project, **params) -> list[int]:
    response = client.get(reverse("generations:gallery", args=[project.pk]), params)
    assert response.status_code == 200
    return [generation.pk for generation in response.context["generations"]]


def test_charlie_gets_404_on_every_gallery_url(client, project, charlie):
    generation = make_generation(project, with_file=True)
    output = generation.outputs.get()
    client.force_login(charlie)
    urls = [
        reverse("generations:gallery", args=[project.pk]),
        reverse("generations:lightbox", args=[project.pk, generation.pk]),
        reverse("generations:compare", args=[project.pk]) + f"?ids={generation.pk}",
        reverse("generations:download_all", args=[project.pk]),
        reverse("generations:output_file", args=[project.pk, output.pk, "file"]),
        reverse("generations:output_download", args=[project.pk, output.pk]),
    ]

    statuses = [client.get(url).status_code for url in urls]
    review = client.post(reverse("generations:review", args=[project.pk, generation.pk]), {})

    assert statuses == [404] * len(urls)
    assert review.status_code == 404


def test_another_projects_generation_is_404_inside_my_own_project(client, alice, charlie):
    mine = make_project(alice)
    theirs = make_generation(make_project(charlie, "Theirs"))
    client.force_login(alice)

    response = client.get(reverse("generations:lightbox", args=[mine.pk, theirs.pk]))

    assert response.status_code == 404


def test_gallery_shows_newest_first_with_the_live_socket(client, alice, project):
    older = make_generation(project, "older", created_at=timezone.now() - timedelta(hours=1))
    newer = make_generation(project, "newer")
    client.force_login(alice)

    response = client.get(reverse("generations:gallery", args=[project.pk]))

    html = response.content.decode()
    assert gallery_ids(client, project) == [newer.pk, older.pk]
    assert f'ws-connect="/ws/projects/{project.pk}/"' in html
    assert "data-live-cards" in html
    assert html.index(f'id="generation-{newer.pk}"') < html.index(f'id="generation-{older.pk}"')


def test_filters_narrow_the_grid_and_stay_in_the_url(client, alice, project):
    heron = make_generation(project, "A heron in fog", state=State.READY, mentions={"Mia": {}})
    clip = make_generation(project, "A heron flying", mode=Mode.TEXT_TO_VIDEO)
    lighthouse = make_generation(
        project, "A lighthouse", state=State.FAILED, created_at=timezone.now() - timedelta(days=3)
    )
    Review.objects.create(generation=heron, starred=True, rating=4, tags_text=",keeper,")
    Review.objects.create(generation=clip, rating=2)
    client.force_login(alice)

    assert gallery_ids(client, project, q="heron") == [clip.pk, heron.pk]
    assert gallery_ids(client, project, q="heron fog") == [heron.pk]
    assert gallery_ids(client, project, mode=Mode.TEXT_TO_VIDEO) == [clip.pk]
    assert gallery_ids(client, project, state=State.FAILED) == [lighthouse.pk]
    assert gallery_ids(client, project, subject="@Mia") == [heron.pk]
    assert gallery_ids(client, project, starred="on") == [heron.pk]
    assert gallery_ids(client, project, rating=2) == [clip.pk, heron.pk]
    assert gallery_ids(client, project, rating=3) == [heron.pk]
    assert gallery_ids(client, project, tag="Keeper") == [heron.pk]
    today = timezone.localdate().isoformat()
    assert lighthouse.pk not in gallery_ids(client, project, since=today)
    assert gallery_ids(client, project, until=(timezone.localdate() - timedelta(days=2))) == [
        lighthouse.pk
    ]
    filtered = client.get(reverse("generations:gallery", args=[project.pk]), {"q": "heron"})
    html = filtered.content.decode()
    assert "data-live-cards" not in html  # new cards might not match the filter
    assert "download/?q=heron" in html  # Download all takes the same filter


def test_pages_follow_each_other_without_gaps_and_in_constant_queries(client, alice, project):
    now = timezone.now()
    made = [
        make_generation(project, f"shot {n}", created_at=now - timedelta(seconds=n // 2))
        for n in range(80)
    ]
    client.force_login(alice)
    url = reverse("generations:gallery", args=[project.pk])

    seen, after, queries = [], "", []
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"after": after} if after else {}, HTTP_HX_REQUEST="true")
        queries.append(len(captured))
        # What htmx sees: the cards, and the link it follows when the end scrolls in.
        html = response.content.decode()
        seen += [int(pk) for pk in re.findall(r'data-generation="(\d+)"', html)]
        next_page = re.search(r'hx-get="[^"]*after=([0-9-]+)"', html)
        if not next_page:
            break
        after = next_page.group(1)

    expected = [g.pk for g in sorted(made, key=lambda g: (g.created_at, g.pk), reverse=True)]
    assert seen == expected
    # Every next page (full or the last short one) costs the same number of queries.
    assert len(queries) == 3
    assert queries[1] == queries[2]


def test_lightbox_shows_the_parameters_and_the_actions(client, alice, project):
    generation = make_generation(
        project,
        "A heron in fog",
        state=State.READY,
        with_file=True,
        params={"aspect_ratio": "16:9", "seed": 42},
        seed=42,
    )
    client.force_login(alice)

    response = client.get(
        reverse("generations:lightbox", args=[project.pk, generation.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "16:9" in html and "42" in html
    for name in ["Use prompt", "Use all", "Re-run", "Vary", "Animate", "Download", "Rate 5 of 5"]:
        assert name in html
    assert "?prompt=A+heron+in+fog" in html
    assert f"start_output={generation.outputs.get().pk}" in html


def test_viewer_sees_the_review_but_cannot_change_it(client, bob, project):
    generation = make_generation(project)
    Review.objects.create(generation=generation, rating=3, notes="Lovely light")
    client.force_login(bob)
    lightbox = client.get(reverse("generations:lightbox", args=[project.pk, generation.pk]))

    response = client.post(
        reverse("generations:review", args=[project.pk, generation.pk]), {"starred": "1"}
    )

    assert "Lovely light" in lightbox.content.decode()
    assert "Rate 5 of 5" not in lightbox.content.decode()
    assert response.status_code == 403
    assert not Review.objects.get(generation=generation).starred


def test_editor_stars_rates_tags_and_annotates_one_field_at_a_time(client, alice, project):
    generation = make_generation(project)
    client.force_login(alice)
    url = reverse("generations:review", args=[project.pk, generation.pk])

    client.post(url, {"starred": "1"}, HTTP_HX_REQUEST="true")
    client.post(url, {"rating": "4"}, HTTP_HX_REQUEST="true")
    response = client.post(
        url,
        {"tags": "Hero shot, night, night", "notes": " Use for the poster "},
        HTTP_HX_REQUEST="true",
    )

    review = Review.objects.get(generation=generation)
    assert (review.starred, review.rating, review.tags, review.notes) == (
        True,
        4,
        ["hero-shot", "night"],
        "Use for the poster",
    )
    assert 'aria-pressed="true" data-review-star' in response.content.decode()


def test_choosing_the_same_rating_again_clears_it(client, alice, project):
    generation = make_generation(project)
    client.force_login(alice)
    url = reverse("generations:review", args=[project.pk, generation.pk])

    client.post(url, {"rating": "5"})
    client.post(url, {"rating": "5"})

    assert Review.objects.get(generation=generation).rating is None


def test_compare_shows_the_chosen_results_of_this_project_only(client, alice, charlie, project):
    first = make_generation(project, "first", with_file=True)
    second = make_generation(project, "second", with_file=True)
    foreign = make_generation(make_project(charlie, "Theirs"), "foreign", with_file=True)
    client.force_login(alice)
    url = reverse("generations:compare", args=[project.pk])

    side = client.get(url, {"ids": [first.pk, second.pk, foreign.pk]}, HTTP_HX_REQUEST="true")
    slider = client.get(
        url, {"ids": [first.pk, second.pk], "view": "slider"}, HTTP_HX_REQUEST="true"
    )

    html = side.content.decode()
    assert html.index(f"<strong>#{first.pk}</strong>") < html.index(
        f"<strong>#{second.pk}</strong>"
    )
    assert "foreign" not in html and f"#{foreign.pk}" not in html
    assert "data-compare-range" in slider.content.decode()


def test_gallery_of_a_thousand_generations_costs_the_same_queries_as_of_ten(client, alice, project):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("generations:gallery", args=[project.pk]))
        return len(captured)

    client.force_login(alice)
    for n in range(10):
        add_output(make_generation(project, f"shot {n}"))
    few = count_queries()
    Generation.objects.bulk_create(
        Generation(
            project=project,
            connection=project.generations.first().connection,
            mode="text_to_image",
            model="viduq2",
            prompt=f"bulk {n}",
        )
        for n in range(1000)
    )

    assert count_queries() == few


def test_the_storyboard_filter_keeps_only_that_storyboards_takes(client, alice, project):
    from storyboards.models import Shot, Storyboard, Take

    board = Storyboard.objects.create(project=project, title="Harbour")
    other = Storyboard.objects.create(project=project, title="Market")
    shot = Shot.objects.create(storyboard=board, position=0, prompt="@Mia on the pier")
    elsewhere = Shot.objects.create(storyboard=other, position=0, prompt="Stalls")
    take = make_generation(project, "On the pier")
    Take.objects.create(shot=shot, generation=take)
    Take.objects.create(shot=elsewhere, generation=make_generation(project, "Stalls"))
    make_generation(project, "Not in any storyboard")
    client.force_login(alice)

    html = client.get(reverse("generations:gallery", args=[project.pk])).content.decode()

    assert gallery_ids(client, project, storyboard=board.pk) == [take.pk]
    assert f'<option value="{board.pk}">Harbour</option>' in html
