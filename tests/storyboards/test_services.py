"""Storyboard workflows: shot order, keepers, derived status, continuity, batches."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from generations.models import Generation, GenerationInput, Mode, State
from generations.services import GenerationRejected
from storyboards import services
from storyboards.models import Shot, ShotStatus, Take
from tests.generations.gallery_factories import make_project, simulator_connection
from tests.library.factories import make_library, make_subject, make_subject_image
from tests.storyboards.factories import (
    make_shots,
    make_storyboard,
    make_take,
    order_of,
    positions_of,
)

# --- ordering ------------------------------------------------------------------------------


def test_reorder_writes_positions_0_to_n_in_the_order_given(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b, c = make_shots(storyboard, 3)

    services.reorder_shots(storyboard=storyboard, shot_ids=[c.pk, a.pk, b.pk])

    assert order_of(storyboard) == [c.pk, a.pk, b.pk]
    assert positions_of(storyboard) == [0, 1, 2]


@pytest.mark.parametrize("kind", ["missing", "extra", "duplicate"])
def test_reorder_with_a_stale_list_is_refused_and_changes_nothing(alice, kind):
    storyboard = make_storyboard(make_project(alice))
    a, b, c = make_shots(storyboard, 3)
    ids = {
        "missing": [c.pk, a.pk],
        "extra": [c.pk, a.pk, b.pk, 999999],
        "duplicate": [c.pk, c.pk, a.pk],
    }[kind]

    with pytest.raises(services.OrderConflict, match="Reload the page"):
        services.reorder_shots(storyboard=storyboard, shot_ids=ids)

    assert order_of(storyboard) == [a.pk, b.pk, c.pk]


def test_add_shot_appends_or_inserts_after_another_without_gaps(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b = make_shots(storyboard, 2)

    last = services.add_shot(storyboard=storyboard, prompt="last")
    middle = services.add_shot(storyboard=storyboard, after=a, prompt="middle")

    assert order_of(storyboard) == [a.pk, middle.pk, b.pk, last.pk]
    assert positions_of(storyboard) == [0, 1, 2, 3]


def test_a_new_shot_takes_the_storyboards_defaults(alice):
    storyboard = make_storyboard(make_project(alice))
    storyboard.mode, storyboard.model, storyboard.aspect_ratio = "text_to_video", "viduq2", "9:16"
    storyboard.save()

    shot = services.add_shot(storyboard=storyboard, prompt="a heron")

    assert (shot.mode, shot.model, shot.params) == (
        "text_to_video",
        "viduq2",
        {"aspect_ratio": "9:16"},
    )


def test_duplicate_puts_a_copy_right_after_the_original_without_its_takes(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b = make_shots(storyboard, 2)
    make_take(a)

    copy = services.duplicate_shot(shot=a)

    assert order_of(storyboard) == [a.pk, copy.pk, b.pk]
    assert copy.prompt == a.prompt and copy.takes.count() == 0


def test_delete_closes_the_gap_and_keeps_the_generations(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b, c = make_shots(storyboard, 3)
    take = make_take(b)

    services.delete_shot(shot=b)

    assert order_of(storyboard) == [a.pk, c.pk]
    assert positions_of(storyboard) == [0, 1]
    assert Generation.objects.filter(pk=take.generation_id).exists()


def test_move_up_and_down_swap_neighbours_and_stop_at_the_ends(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b, c = make_shots(storyboard, 3)

    services.move_shot(shot=c, offset=-1)
    assert order_of(storyboard) == [a.pk, c.pk, b.pk]
    services.move_shot(shot=a, offset=-1)
    assert order_of(storyboard) == [a.pk, c.pk, b.pk]
    services.move_shot(shot=a, offset=1)
    assert order_of(storyboard) == [c.pk, a.pk, b.pk]
    assert positions_of(storyboard) == [0, 1, 2]


def test_two_concurrent_reorders_leave_one_consistent_order(transactional_db, alice):
    storyboard = make_storyboard(make_project(alice))
    shots = make_shots(storyboard, 8)
    ids = [shot.pk for shot in shots]
    orders = [list(reversed(ids)), ids[1::2] + ids[0::2]]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def reorder(order: list[int]) -> None:
        try:
            start.wait()
            for _ in range(10):
                services.reorder_shots(storyboard=storyboard, shot_ids=order)
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reorder, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures, failures
    assert positions_of(storyboard) == list(range(8))
    assert order_of(storyboard) in orders


def test_a_reorder_racing_an_added_shot_is_refused_not_half_applied(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b = make_shots(storyboard, 2)
    seen_by_other_tab = [b.pk, a.pk]
    added = services.add_shot(storyboard=storyboard, prompt="meanwhile")

    with pytest.raises(services.OrderConflict):
        services.reorder_shots(storyboard=storyboard, shot_ids=seen_by_other_tab)

    assert order_of(storyboard) == [a.pk, b.pk, added.pk]


# --- status and keepers ----------------------------------------------------------------------


def _fresh(shot: Shot) -> Shot:
    return Shot.objects.prefetch_related("takes__generation").get(pk=shot.pk)


def test_shot_status_is_derived_from_its_takes(alice):
    storyboard = make_storyboard(make_project(alice))
    empty, generating, ready, failed, kept = make_shots(storyboard, 5)
    make_take(generating, state=State.READY)
    make_take(generating, state=State.PROCESSING)
    make_take(ready, state=State.FAILED)
    make_take(ready, state=State.READY)
    make_take(failed, state=State.FAILED)
    make_take(failed, state=State.CANCELLED)
    services.choose_keeper(shot=kept, take=make_take(kept))

    assert _fresh(empty).status == ShotStatus.EMPTY
    assert _fresh(generating).status == ShotStatus.GENERATING
    assert _fresh(ready).status == ShotStatus.READY
    assert _fresh(failed).status == ShotStatus.FAILED
    assert _fresh(kept).status == ShotStatus.KEPT


def test_keeper_must_be_a_ready_take(alice):
    shot = make_shots(make_storyboard(make_project(alice)), 1)[0]
    working = make_take(shot, state=State.PROCESSING)

    with pytest.raises(services.StoryboardError, match="not ready"):
        services.choose_keeper(shot=shot, take=working)

    assert Shot.objects.get(pk=shot.pk).keeper is None


def test_keeper_must_be_a_take_of_that_shot(alice):
    one, other = make_shots(make_storyboard(make_project(alice)), 2)
    foreign = make_take(other)

    with pytest.raises(services.StoryboardError, match="another shot"):
        services.choose_keeper(shot=one, take=foreign)

    assert Shot.objects.get(pk=one.pk).keeper is None


def test_choosing_another_keeper_replaces_the_first_and_none_clears_it(alice):
    shot = make_shots(make_storyboard(make_project(alice)), 1)[0]
    first, second = make_take(shot), make_take(shot)

    services.choose_keeper(shot=shot, take=first)
    services.choose_keeper(shot=shot, take=second)
    assert Shot.objects.get(pk=shot.pk).keeper == second
    services.choose_keeper(shot=shot, take=None)
    assert Shot.objects.get(pk=shot.pk).keeper is None


def test_costs_add_up_per_shot_and_per_storyboard(alice):
    storyboard = make_storyboard(make_project(alice))
    a, b = make_shots(storyboard, 2)
    make_take(a, credits=10)
    make_take(a, state=State.QUEUED)  # estimate: 4
    make_take(b, credits=6)

    shots = list(storyboard.shots.prefetch_related("takes__generation"))

    assert [shot.credits for shot in shots] == [14, 6]
    assert sum(shot.credits for shot in shots) == 20


# --- generating --------------------------------------------------------------------------------


@pytest.fixture
def cast(alice):
    """A project whose library has @Mia, with a reference image."""
    project = make_project(alice)
    library = make_library(owner=alice)
    project.libraries.add(library)
    make_subject_image(subject=make_subject(library=library, name="Mia"))
    return project


def test_generate_makes_takes_linked_to_the_shot_with_mentions_resolved(alice, cast):
    storyboard = make_storyboard(cast)
    shot = services.add_shot(
        storyboard=storyboard, prompt="@Mia on a pier", mode=Mode.REFERENCE_TO_IMAGE, model="viduq2"
    )

    takes = services.generate_takes(
        shot=shot, user=alice, connection=simulator_connection(), variations=3
    )

    assert len(takes) == 3 and {take.shot_id for take in takes} == {shot.pk}
    generation = takes[0].generation
    assert generation.mode == Mode.REFERENCE_TO_IMAGE and generation.prompt == "@Mia on a pier"
    assert generation.mentions["Mia"]["name"] == "Mia"
    assert generation.inputs.filter(role=GenerationInput.Role.SUBJECT).count() == 1


def test_generate_with_an_unknown_mention_creates_nothing(alice, cast):
    shot = services.add_shot(
        storyboard=make_storyboard(cast), prompt="@Nobody waves", mode=Mode.REFERENCE_TO_IMAGE
    )

    with pytest.raises(GenerationRejected, match="@Nobody is not a subject"):
        services.generate_takes(shot=shot, user=alice, connection=simulator_connection())

    assert Generation.objects.count() == 0 and Take.objects.count() == 0


def test_animate_a_still_makes_an_image_to_video_take_started_from_it(alice):
    shot = make_shots(make_storyboard(make_project(alice)), 1)[0]
    shot.prompt = "@Mia turns to the sea"
    shot.save()
    still = make_take(shot)

    take = services.animate_take(take=still, user=alice, connection=simulator_connection())

    generation = take.generation
    assert take.shot_id == shot.pk
    assert generation.mode == Mode.IMAGE_TO_VIDEO and generation.prompt == "Mia turns to the sea"
    start = generation.inputs.get(role=GenerationInput.Role.START)
    with start.file.open("rb") as sent, still.generation.outputs.get().file.open("rb") as kept:
        assert sent.read() == kept.read()


def test_only_a_ready_still_can_be_animated(alice):
    shot = make_shots(make_storyboard(make_project(alice)), 1)[0]

    with pytest.raises(services.StoryboardError, match="ready still"):
        services.animate_take(
            take=make_take(shot, state=State.PROCESSING),
            user=alice,
            connection=simulator_connection(),
        )


def test_continuity_frame_is_the_previous_keeper_clips_last_frame(alice):
    first, second, third = make_shots(make_storyboard(make_project(alice)), 3)
    clip = make_take(first, still=False)
    services.choose_keeper(shot=first, take=clip)

    frame = services.continuity_frame(second)
    take = services.continue_from_previous(
        shot=second, user=alice, connection=simulator_connection()
    )

    assert frame == clip.generation.outputs.get()
    start = take.generation.inputs.get(role=GenerationInput.Role.START)
    assert (take.shot_id, take.generation.mode) == (second.pk, Mode.IMAGE_TO_VIDEO)
    assert (start.width, start.height) == (320, 180)
    assert services.continuity_frame(third) is None  # shot 2 has no keeper yet


def test_continue_without_a_kept_clip_before_says_so(alice):
    first, second = make_shots(make_storyboard(make_project(alice)), 2)
    services.choose_keeper(shot=first, take=make_take(first, still=True))

    with pytest.raises(services.StoryboardError, match="no kept clip"):
        services.continue_from_previous(shot=second, user=alice, connection=simulator_connection())
    assert services.continuity_frame(make_shots(make_storyboard(make_project(alice)), 1)[0]) is None


def test_generate_all_queues_one_take_per_shot_without_a_keeper_as_one_batch(alice):
    storyboard = make_storyboard(make_project(alice))
    kept, empty, failed, busy = make_shots(storyboard, 4)
    services.choose_keeper(shot=kept, take=make_take(kept))
    make_take(failed, state=State.FAILED)
    make_take(busy, state=State.PROCESSING)

    expected = sum(services.estimate_shot(s) for s in services.shots_to_generate(storyboard))
    result = services.generate_all(
        storyboard=storyboard, user=alice, connection=simulator_connection()
    )

    assert sorted(take.shot_id for take in result.takes) == sorted([empty.pk, failed.pk])
    assert result.batch.progress() == (0, 2)
    assert sum(take.generation.credits_estimate for take in result.takes) == expected > 0
    Generation.objects.filter(storyboard_take__batch=result.batch).update(state=State.READY)
    assert result.batch.progress() == (2, 2)


def test_generate_all_reports_a_refused_shot_and_queues_the_rest(alice):
    storyboard = make_storyboard(make_project(alice))
    good, bad = make_shots(storyboard, 2)
    bad.mode, bad.prompt = Mode.REFERENCE_TO_IMAGE, "@Ghost"
    bad.save()

    result = services.generate_all(
        storyboard=storyboard, user=alice, connection=simulator_connection()
    )

    assert [take.shot_id for take in result.takes] == [good.pk]
    assert [shot.pk for shot, _reason in result.refused] == [bad.pk]
