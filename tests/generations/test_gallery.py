"""The gallery: who sees what, filters in the URL, keyset pages, review and compare."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, GenerationOutput, Mode, Review, State
from tests.factories import body_of
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


# --- many at once ------------------------------------------------------------------------------


def bulk(client, project, action: str, ids, **extra):
    url = reverse("generations:bulk", args=[project.pk])
    return client.post(url, {"action": action, "ids": ids, **extra}, HTTP_HX_REQUEST="true")


def starred_ids(project) -> set[int]:
    reviews = Review.objects.filter(generation__project=project, starred=True)
    return set(reviews.values_list("generation_id", flat=True))


def test_charlie_gets_404_from_the_bulk_actions(client, project, charlie):
    generation = make_generation(project, state=State.READY)
    client.force_login(charlie)

    response = bulk(client, project, "delete", [generation.pk])

    assert response.status_code == 404
    assert Generation.objects.filter(pk=generation.pk).exists()


def test_a_viewer_may_not_star_or_delete_in_bulk(client, project, bob):
    generation = make_generation(project, state=State.READY)
    client.force_login(bob)

    starring = bulk(client, project, "star", [generation.pk])
    deleting = bulk(client, project, "delete", [generation.pk])

    assert (starring.status_code, deleting.status_code) == (403, 403)
    assert starred_ids(project) == set()
    assert Generation.objects.filter(pk=generation.pk).exists()


def test_an_editor_stars_and_unstars_the_selected(client, project, bob):
    project.memberships.filter(user=bob).update(role="editor")
    first, second, third = (make_generation(project, f"shot {n}") for n in range(3))
    Review.objects.create(generation=third, rating=4, notes="keep the notes")
    client.force_login(bob)

    response = bulk(client, project, "star", [first.pk, third.pk])
    bulk(client, project, "unstar", [first.pk])

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 results starred." in html
    assert f'id="generation-{third.pk}"' in html and f'id="generation-{second.pk}"' not in html
    assert starred_ids(project) == {third.pk}
    review = Review.objects.get(generation=third)
    assert (review.rating, review.notes, review.updated_by) == (4, "keep the notes", bob)


def test_ids_of_other_projects_and_malformed_ids_are_left_out(client, alice, project, charlie):
    mine = make_generation(project)
    theirs = make_generation(make_project(charlie, "Theirs"))
    client.force_login(alice)

    response = bulk(client, project, "star", [str(mine.pk), str(theirs.pk), "x", "-3", "²", ""])

    assert response.status_code == 200
    assert "1 result starred." in response.content.decode()
    assert not Review.objects.filter(generation=theirs).exists()
    assert starred_ids(project) == {mine.pk}


def test_tags_are_added_to_the_tags_each_result_has(client, alice, project):
    tagged, plain = make_generation(project), make_generation(project)
    Review.objects.create(generation=tagged, tags_text=",night,")
    client.force_login(alice)

    bulk(client, project, "tag", [tagged.pk, plain.pk], tags="Hero shot, night")
    empty = bulk(client, project, "tag", [plain.pk], tags=" , ")

    assert Review.objects.get(generation=tagged).tags == ["night", "hero-shot"]
    assert Review.objects.get(generation=plain).tags == ["hero-shot", "night"]
    assert "Type the tags to add" in empty.content.decode()


def test_bulk_delete_removes_finished_results_and_leaves_running_ones(
    client, alice, project, django_capture_on_commit_callbacks
):
    done = make_generation(project, state=State.READY, with_file=True)
    running = make_generation(project, state=State.PROCESSING)
    name = done.outputs.get().file.name
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(client, project, "delete", [done.pk, running.pk])

    html = response.content.decode()
    assert "1 result deleted. 1 still running: cancel them first." in html
    assert f'data-ids="{done.pk}"' in html
    assert list(Generation.objects.filter(project=project)) == [running]
    assert not default_storage.exists(name)


def test_bulk_without_javascript_goes_back_to_the_gallery_with_a_message(client, alice, project):
    generation = make_generation(project)
    client.force_login(alice)

    response = client.post(
        reverse("generations:bulk", args=[project.pk]),
        {"action": "star", "ids": [generation.pk]},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("generations:gallery", args=[project.pk])
    assert "1 result starred." in response.content.decode()


def test_bulk_answers_get_with_405_and_an_unknown_action_changes_nothing(client, alice, project):
    generation = make_generation(project)
    client.force_login(alice)

    got = client.get(reverse("generations:bulk", args=[project.pk]))
    unknown = bulk(client, project, "explode", [generation.pk])

    assert got.status_code == 405
    assert unknown.status_code == 200
    assert Generation.objects.filter(pk=generation.pk).exists()
    assert not Review.objects.exists()


def test_the_selected_zip_holds_only_the_selected_results_of_this_project(
    client, alice, project, charlie
):
    chosen, other = (make_generation(project, n, with_file=True) for n in ("chosen", "other"))
    theirs = make_generation(make_project(charlie, "Theirs"), "theirs", with_file=True)
    client.force_login(alice)

    response = client.get(
        reverse("generations:download_all", args=[project.pk]),
        {"ids": [chosen.pk, theirs.pk, "nope"]},
    )

    with zipfile.ZipFile(io.BytesIO(body_of(response))) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
    assert [item["id"] for item in manifest["generations"]] == [chosen.pk]
    assert other.pk != chosen.pk


# --- compare, Animate, viewers ------------------------------------------------------------------


def test_compare_shows_videos_as_video_under_the_slider_too(client, alice, project):
    clips = [make_generation(project, f"clip {n}", mode=Mode.TEXT_TO_VIDEO) for n in range(2)]
    for clip in clips:
        GenerationOutput.objects.create(
            generation=clip,
            kind=GenerationOutput.Kind.VIDEO,
            file=f"outputs/{project.pk}/{clip.pk}/result-0.mp4",
            content_type="video/mp4",
            sha256="0" * 64,
            size=10,
            width=320,
            height=180,
            duration=2.0,
        )
    client.force_login(alice)
    url = reverse("generations:compare", args=[project.pk])

    slider = client.get(url, {"ids": [c.pk for c in clips], "view": "slider"}).content.decode()

    assert slider.count("data-compare-video=") == 2
    assert "<img" not in slider.split("data-compare-slider")[1].split("</div>")[0]
    assert "data-compare-transport" in slider and 'aria-label="Next frame"' in slider


def test_the_slider_takes_any_two_of_the_compared(client, alice, project):
    made = [make_generation(project, f"take {n}", with_file=True) for n in range(3)]
    client.force_login(alice)
    url = reverse("generations:compare", args=[project.pk])
    ids = [g.pk for g in made]

    chosen = client.get(url, {"ids": ids, "view": "slider", "left": ids[2], "right": ids[0]})
    same = client.get(url, {"ids": ids, "view": "slider", "left": ids[1], "right": ids[1]})

    assert (chosen.context["left"], chosen.context["right"]) == (made[2], made[0])
    assert (same.context["left"], same.context["right"]) == (made[1], made[0])


def test_keep_in_compare_tags_the_result_keeper_and_answers_its_buttons(client, alice, project):
    generation = make_generation(project)
    Review.objects.create(generation=generation, tags_text=",night,")
    client.force_login(alice)
    url = reverse("generations:review", args=[project.pk, generation.pk])

    kept = client.post(url, {"keep": "1", "shown_in": "compare"}, HTTP_HX_REQUEST="true")
    assert Review.objects.get(generation=generation).tags == ["keeper", "night"]
    client.post(url, {"keep": "0", "shown_in": "compare"}, HTTP_HX_REQUEST="true")

    assert f'id="compare-review-{generation.pk}"' in kept.content.decode()
    assert "✓ Kept" in kept.content.decode()
    assert Review.objects.get(generation=generation).tags == ["night"]


def test_animate_leaves_the_mentions_as_plain_words_or_switches_to_reference_video(
    client, alice, project
):
    still = make_generation(project, "@Mia waves at @Bo-2, by mail@example.com", with_file=True)
    client.force_login(alice)

    response = client.get(reverse("generations:lightbox", args=[project.pk, still.pk]))

    links = response.context["composer"]
    assert "prompt=Mia+waves+at+Bo-2%2C+by+mail%40example.com" in links["animate"]
    assert "mode=image_to_video" in links["animate"]
    assert "mode=reference_to_video" in links["animate_subjects"]
    assert "prompt=%40Mia+waves" in links["animate_subjects"]


def test_a_prompt_without_mentions_offers_one_animate(client, alice, project):
    still = make_generation(project, "A heron in fog", with_file=True)
    client.force_login(alice)

    response = client.get(reverse("generations:lightbox", args=[project.pk, still.pk]))

    assert "animate_subjects" not in response.context["composer"]
    assert "Animate with subjects" not in response.content.decode()


def test_a_viewer_is_offered_nothing_that_leads_to_the_composer(client, bob, project):
    still = make_generation(project, "@Mia in fog", state=State.READY, with_file=True)
    client.force_login(bob)

    lightbox = client.get(reverse("generations:lightbox", args=[project.pk, still.pk]))
    gallery = client.get(reverse("generations:gallery", args=[project.pk]))

    html = lightbox.content.decode()
    for name in ["Use prompt", "Use all", "Re-run", "Vary", ">Animate", "Rate 5 of 5"]:
        assert name not in html
    assert "Download" in html
    page = gallery.content.decode()
    assert 'value="star"' not in page and 'value="delete"' not in page
    assert "Download ZIP" in page and "Thumbnail size" in page


def test_open_pages_are_told_of_starred_and_deleted_cards(
    client, alice, project, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    starred, deleted = make_generation(project, "starred"), make_generation(project, "gone")
    Generation.objects.filter(pk=deleted.pk).update(state=State.FAILED)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"project.{project.pk}", channel)
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        bulk(client, project, "star", [starred.pk])
        bulk(client, project, "delete", [deleted.pk])
    frames = [async_to_sync(layer.receive)(channel) for _ in range(2)]

    assert [frame["generation_id"] for frame in frames] == [starred.pk, deleted.pk]
    assert 'class="review-star"' in frames[0]["html"]
    assert frames[1]["html"] == f'<div id="generation-{deleted.pk}" hx-swap-oob="delete"></div>'


def test_odd_slider_sides_and_ids_fall_back_to_the_first_two(client, alice, project):
    first, second = (make_generation(project, f"take {n}", with_file=True) for n in range(2))
    client.force_login(alice)
    url = reverse("generations:compare", args=[project.pk])

    response = client.get(
        url,
        {
            "ids": [first.pk, "9" * 30, second.pk, first.pk],
            "view": "slider",
            "left": "²",
            "right": "-1",
        },
    )

    assert response.status_code == 200
    assert (response.context["left"], response.context["right"]) == (first, second)
    assert response.context["ids"] == [first.pk, second.pk]
