"""Ordinary but odd input never answers 500: ids that are not plain numbers, numbers
past the database's integers, and searches of a thousand words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

HUGE = "9" * 40
SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no


def _get(name: str, query: dict, *, args: tuple) -> tuple[str, str, dict]:
    return ("get", reverse(name, args=args), query)


def _requests(world: dict) -> list[tuple[str, str, dict]]:
    project = (world["project_id"],)
    board = (world["project_id"], world["storyboard_id"])
    requests = []
    for odd in (SUPERSCRIPT_TWO, HUGE, "-1", "1e3", " 7"):
        requests += [
            _get("generations:compose", {"animate": odd}, args=project),
            _get("generations:compose", {"from": odd}, args=project),
            _get("generations:compose", {"picked": odd, "start_output": odd}, args=project),
            _get("generations:composer_summary", {"picked": odd}, args=project),
            _get("generations:compare", {"ids": [odd, str(world["generation_id"])]}, args=project),
            _get("generations:gallery", {"after": f"{odd}-{odd}"}, args=project),
            _get("storyboards:detail", {"shot": odd}, args=board),
            _get("storyboards:add_shot", {"after": odd}, args=board),
            ("post", reverse("storyboards:reorder", args=board), {"shot": odd, "selected": odd}),
            ("post", reverse("projects:attach", args=project), {"library": odd}),
            (
                "post",
                reverse("generations:compose", args=project),
                {"mode": "text_to_image", "prompt": "a heron", "picked": odd, "duration": odd},
            ),
        ]
    return requests


def test_odd_numbers_in_parameters_never_answer_500(alice, world):
    client = Client(raise_request_exception=False)  # every 500 listed, not the first raised
    client.force_login(alice)

    answers = {
        (method, url, str(data)): getattr(client, method)(url, data).status_code
        for method, url, data in _requests(world)
    }

    assert {key: status for key, status in answers.items() if status >= 500} == {}


@pytest.mark.parametrize("name", ["generations:history", "generations:gallery"])
def test_a_thousand_word_search_answers_the_page(client, alice, world, name):
    client.force_login(alice)
    words = " ".join(f"word{n}" for n in range(1000))

    response = client.get(reverse(name, args=[world["project_id"]]), {"q": words})

    assert response.status_code == 200
