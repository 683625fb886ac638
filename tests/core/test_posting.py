"""Specification of ``bot.core.posting``: posting order, moving comments into the body, and agreements."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bot.core.comments import parse_marker
from bot.core.diff_parse import parse_unified_diff
from bot.core.posting import (
    GITHUB_BODY_LIMIT,
    MOVED_TITLE,
    agreements,
    posting_order,
    split_payload,
    unplaceable,
    word_similarity,
)

NAMES = ("deepseek", "openai", "qwen")
SUMMARY_MARKER = "<!-- review-arena:v1 kind=summary contender=deepseek run=1234abcd head=- fp=- -->"
DIFF = """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1,4 +1,5 @@
 one
-two
+TWO
+three
 four
 five
@@ -20,2 +21,3 @@
 twenty
+added
 end
"""


def payload(*comments: dict[str, Any], body: str = f"Summary\n{SUMMARY_MARKER}") -> dict[str, Any]:
    return {"event": "COMMENT", "commit_id": "a" * 40, "body": body, "comments": list(comments)}


def comment(line: int, text: str, **extra: Any) -> dict[str, Any]:
    return {"path": "app.py", "line": line, "side": "RIGHT", "body": text, **extra}


# ---- posting_order ---------------------------------------------------------------------------------------------
def test_order_is_deterministic_per_seed() -> None:
    assert posting_order(NAMES, seed=7) == posting_order(NAMES, seed=7)


def test_order_does_not_depend_on_the_input_order() -> None:
    assert posting_order(NAMES, seed=3) == posting_order(tuple(reversed(NAMES)), seed=3)


def test_order_is_a_permutation_of_the_names() -> None:
    assert sorted(posting_order(NAMES, seed=11)) == sorted(NAMES)


def test_different_seeds_give_different_orders() -> None:
    orders = {posting_order(NAMES, seed=seed) for seed in range(50)}
    assert len(orders) > 1


def test_every_permutation_of_three_names_is_reachable() -> None:
    orders = {posting_order(NAMES, seed=seed) for seed in range(200)}
    assert orders == set(itertools.permutations(sorted(NAMES)))


def test_first_place_is_shared_fairly() -> None:
    firsts = [posting_order(("a", "b"), seed=seed)[0] for seed in range(1000)]
    assert 400 < firsts.count("a") < 600


@pytest.mark.parametrize("names", [(), ("only",)], ids=["none", "one"])
def test_order_of_trivial_lists(names: tuple[str, ...]) -> None:
    assert posting_order(names, seed=1) == names


# ---- split_payload ---------------------------------------------------------------------------------------------
def test_split_moves_the_bad_comments_and_keeps_the_rest_inline() -> None:
    original = payload(comment(2, "keep"), comment(40, "move me"), comment(3, "keep too"))
    result = split_payload(original, {1}, {1: "line 40 is not in the diff"})
    assert [c["body"] for c in result["comments"]] == ["keep", "keep too"]
    assert MOVED_TITLE in result["body"]
    assert "`app.py` line 40 (RIGHT): line 40 is not in the diff" in result["body"]
    assert "move me" in result["body"]
    assert original["comments"][1]["body"] == "move me" and len(original["comments"]) == 3  # input untouched


def test_split_keeps_every_comments_full_text() -> None:
    texts = [f"finding {i}\n\n```suggestion\nfixed({i})\n```\n<!-- review-arena:v1 kind=finding -->" for i in range(6)]
    result = split_payload(payload(*(comment(i + 1, t) for i, t in enumerate(texts))), set(range(6)), {})
    for text in texts:
        for line in text.split("\n"):
            assert line in result["body"]
    assert result["comments"] == []


def test_split_keeps_the_summary_marker_last() -> None:
    result = split_payload(payload(comment(40, "x")), {0}, {0: "why"})
    assert result["body"].endswith(SUMMARY_MARKER)
    marker = parse_marker(result["body"])
    assert marker is not None and marker.kind == "summary"


def test_split_names_a_range() -> None:
    result = split_payload(payload(comment(4, "r", start_line=2, start_side="RIGHT")), {0}, {0: "why"})
    assert "`app.py` lines 2–4 (RIGHT): why" in result["body"]


def test_split_with_nothing_to_move_changes_nothing() -> None:
    original = payload(comment(2, "a"))
    assert split_payload(original, set(), {}) == original


def test_split_keeps_the_body_within_githubs_limit() -> None:
    huge = [comment(i, f"{i} " + "word " * 9_000) for i in range(1, 6)]
    result = split_payload(payload(*huge, body="S" * 60_000 + "\n" + SUMMARY_MARKER), set(range(5)), {})
    assert len(result["body"]) <= GITHUB_BODY_LIMIT
    assert result["body"].endswith(SUMMARY_MARKER)
    assert result["body"].count("characters cut to fit") == 5


def test_short_texts_survive_whole_when_long_ones_are_cut() -> None:
    comments = [comment(1, "short and whole"), comment(2, "long " * 20_000)]
    result = split_payload(payload(*comments), {0, 1}, {})
    assert "short and whole" in result["body"] and len(result["body"]) <= GITHUB_BODY_LIMIT


# ---- unplaceable -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        pytest.param(comment(2, "x"), None, id="added-line"),
        pytest.param(comment(4, "x"), None, id="context-line"),
        pytest.param(comment(2, "x", side="LEFT"), None, id="removed-line-left"),
        pytest.param(comment(12, "x"), "line 12 is not in the diff on the RIGHT side", id="outside"),
        pytest.param(comment(9, "x", side="LEFT"), "line 9 is not in the diff on the LEFT side", id="left-outside"),
        pytest.param({**comment(2, "x"), "path": "nope.py"}, "not part of this pull request", id="path"),
        pytest.param(comment(22, "x", start_line=3), "does not lie inside one hunk", id="two-hunks"),
        pytest.param(comment(3, "x", start_line=4), "does not come before", id="order"),
        pytest.param(comment(3, "x", start_line=1, start_side="RIGHT"), None, id="range"),
        pytest.param(comment(2, "y" * (GITHUB_BODY_LIMIT + 1)), "character limit", id="too-long"),
    ],
)
def test_unplaceable_judges_each_comment_like_github(spec: dict[str, Any], reason: str | None) -> None:
    found = unplaceable(payload(spec), parse_unified_diff(DIFF))
    if reason is None:
        assert found == {}
    else:
        assert list(found) == [0] and reason in found[0]


# ---- agreements ------------------------------------------------------------------------------------------------
SAME = "possible None dereference of user in handler"


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        pytest.param(("fa", "x.py", 10, 12, SAME), ("fb", "x.py", 10, 12, SAME), True, id="identical"),
        pytest.param(("fa", "x.py", 10, 10, SAME), ("fb", "x.py", 13, 14, SAME), True, id="within-3-lines"),
        pytest.param(("fa", "x.py", 10, 10, SAME), ("fb", "x.py", 14, 14, SAME), False, id="4-lines-apart"),
        pytest.param(("fa", "x.py", 10, 10, SAME), ("fb", "y.py", 10, 10, SAME), False, id="other-path"),
        pytest.param(
            ("fa", "x.py", 10, 10, SAME), ("fb", "x.py", 10, 10, "Possible NONE dereference of user!"), True, id="case"
        ),
        pytest.param(("fa", "x.py", 10, 10, SAME), ("fb", "x.py", 10, 10, "slow loop here"), False, id="other-words"),
    ],
)
def test_agreements_table(a: tuple[str, str, int, int, str], b: tuple[str, str, int, int, str], agree: bool) -> None:
    expected = [("deepseek", "fa", "openai", "fb")] if agree else []
    assert agreements({"openai": [b], "deepseek": [a]}) == expected


def test_a_contender_does_not_agree_with_itself() -> None:
    finding = ("f1", "x.py", 1, 1, SAME)
    assert agreements({"deepseek": [finding, ("f2", "x.py", 1, 1, SAME)]}) == []


def test_agreements_threshold_and_window_are_arguments() -> None:
    a, b = ("fa", "x.py", 1, 1, "a b c d"), ("fb", "x.py", 9, 9, "a b x y")  # Jaccard 2/6
    assert agreements({"p": [a], "q": [b]}) == []
    assert agreements({"p": [a], "q": [b]}, line_window=8, min_similarity=0.3) == [("p", "fa", "q", "fb")]


@pytest.mark.parametrize(
    ("a", "b", "value"),
    [("a b", "a b", 1.0), ("a b", "c d", 0.0), ("A b", "a c", 1 / 3), ("", "", 0.0)],
    ids=["same", "disjoint", "partial", "empty"],
)
def test_word_similarity_is_jaccard_of_lowercase_words(a: str, b: str, value: float) -> None:
    assert word_similarity(a, b) == pytest.approx(value)
