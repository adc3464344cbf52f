"""Ready cards are kept rendered; whatever a card shows still changes it at once."""

from __future__ import annotations

import pytest
from django.test.signals import template_rendered

from generations.cards import TEMPLATE, for_cards, render_cards
from generations.gallery import save_review
from generations.models import Generation, State
from review.comments import resolve_comment
from review.models import Comment
from tests.generations.ui_factories import make_generation
from tests.library.factories import make_project


@pytest.fixture
def project(alice):
    return make_project(owner=alice)


@pytest.fixture
def card_renders():
    """How many times the card template is rendered."""
    renders = []

    def count(sender, template, **kwargs):
        if template.name == TEMPLATE:
            renders.append(template)

    template_rendered.connect(count)
    yield renders
    template_rendered.disconnect(count)


def page_cards(generation: Generation) -> str:
    """The card as a page lists it: read afresh, with its review and comment counts."""
    [html] = render_cards(for_cards(Generation.objects.filter(pk=generation.pk)))
    return html


def test_a_ready_card_is_rendered_once_then_served_as_it_was(project, card_renders):
    generation = make_generation(project=project, state=State.READY)

    first = page_cards(generation)
    again = page_cards(generation)

    assert len(card_renders) == 1
    assert again == first
    assert f'id="generation-{generation.pk}"' in again


def test_starring_a_ready_result_shows_on_its_next_card(project, alice):
    generation = make_generation(project=project, state=State.READY)
    assert "review-star" not in page_cards(generation)

    save_review(generation=generation, user=alice, changes={"starred": True, "rating": 4})

    card = page_cards(generation)
    assert "review-star" in card
    assert "4/5" in card


def test_comments_and_their_resolution_show_on_the_next_card(project, alice):
    generation = make_generation(project=project, state=State.READY)
    assert 'class="comment-count"></span>' in page_cards(generation)  # no badge yet

    comment = Comment.objects.create(
        project=project, generation=generation, author=alice, body="Warmer light"
    )
    assert "1 comment · <strong>1 open</strong>" in page_cards(generation)

    resolve_comment(comment=comment, user=alice)
    card = page_cards(generation)
    assert "1 comment" in card
    assert "open</strong>" not in card


@pytest.mark.parametrize("state", [State.PROCESSING, State.FAILED])
def test_cards_not_ready_are_rendered_every_time(project, card_renders, state):
    generation = make_generation(project=project, state=state, output=False)

    page_cards(generation)
    page_cards(generation)

    assert len(card_renders) == 2


def test_a_studio_served_under_a_path_gets_cards_whose_links_carry_it(project):
    from django.urls import set_script_prefix

    generation = make_generation(project=project, state=State.READY)
    at_root = page_cards(generation)
    try:
        set_script_prefix("/studio/")
        under_a_path = page_cards(generation)
    finally:
        set_script_prefix("/")

    link = f"projects/{project.pk}/generations/{generation.pk}/"
    assert f'href="/studio/{link}"' in under_a_path
    assert f'href="/{link}"' in at_root
