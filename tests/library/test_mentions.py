"""One @mention rule: the server's, and the same rule handed to the page's script."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from library.mentions import find_mentions, is_name, js_rules

PROMPTS = [
    "@Mia waves at @Leo",
    "@Mia's boat, @Mia, and mia@example.com",
    "Two @小明 and @김민준 and @Ана by the sea",
    "@under_score and @hy-phen, @@double, x@Nope",
    "@" + "a" * 70 + " is too long",
    "tabs\t@Tab\nnew line @Line.",
    "@Ångström²",
]


def test_names_are_one_word_of_letters_digits_underscore_or_hyphen():
    assert is_name("Mia") and is_name("小明") and is_name("hero_2-b")
    assert not is_name("Mia Rose") and not is_name("@Mia") and not is_name("a" * 65)


def test_mentions_end_at_the_first_other_character_and_never_follow_a_word():
    assert find_mentions(PROMPTS[1]) == ["Mia"]
    assert find_mentions(PROMPTS[3]) == ["under_score", "hy-phen"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_script_finds_exactly_the_mentions_the_server_finds():
    script = """
    const rules = JSON.parse(process.argv[1]);
    const prompts = JSON.parse(process.argv[2]);
    const re = new RegExp(rules.mention, "gu");
    const out = prompts.map(p => {
      const seen = [];
      for (const m of p.matchAll(re)) if (!seen.includes(m[1])) seen.push(m[1]);
      return seen;
    });
    const caret = new RegExp(rules.at_caret, "u");
    out.push(["@Mi", "see @Mi", "a@Mi", "@"].map(t => (caret.exec(t) || [null, null, null])[2]));
    console.log(JSON.stringify(out));
    """
    result = subprocess.run(
        ["node", "-e", script, json.dumps(js_rules()), json.dumps(PROMPTS)],
        capture_output=True,
        text=True,
        check=True,
    )
    *in_page, at_caret = json.loads(result.stdout)
    assert in_page == [find_mentions(prompt) for prompt in PROMPTS]
    assert at_caret == ["Mi", "Mi", None, ""]
