"""Reading a model's reply into findings, leniently: every complete finding is kept, every loss is said."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core.findings import (
    MAX_BODY_CHARS,
    Finding,
    ReplyError,
    finding_from,
    normalise_path,
    normalise_severity,
    parse_reply,
    split_reasoning,
)

ONE = {"path": "src/app.py", "line": 12, "severity": "high", "category": "bug", "title": "Off by one", "body": "Use <="}
TWO = {"path": "src/db.py", "line": 40, "start_line": 38, "severity": "medium", "body": "Leaks a cursor"}
FINDINGS = json.dumps({"findings": [ONE, TWO]})
ARRAY = json.dumps([ONE, TWO])


def lines_of(reply: str) -> list[tuple[str, int]]:
    return [(f.path, f.line) for f in parse_reply(reply).findings]


# --- reply shapes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(FINDINGS, id="object"),
        pytest.param(ARRAY, id="bare-array"),
        pytest.param(json.dumps({"comments": [ONE, TWO]}), id="comments-key"),
        pytest.param(json.dumps({"findings": [ONE, TWO]}, indent=2), id="pretty"),
        pytest.param(f"Here is my review.\n\n```json\n{FINDINGS}\n```\n\nLet me know.", id="fenced-with-prose"),
        pytest.param(f"```\n{ARRAY}\n```", id="fence-without-language"),
        pytest.param(f"```JSON\n{ARRAY}\n```", id="fence-uppercase"),
        pytest.param(f"<think>The diff adds a loop; line 12 looks wrong.</think>\n{FINDINGS}", id="think-block"),
        pytest.param(f"<thinking>hmm</thinking>{ARRAY}", id="thinking-block"),
        pytest.param(f"The loop {{i}} is off by one [see line 12].\n</think>\n\n{FINDINGS}", id="closing-tag-only"),
        pytest.param(f"Review follows:\n{FINDINGS}\nThat is all.", id="prose-around-bare-json"),
        pytest.param(f"I found 2 issues [both real]:\n{ARRAY}", id="brackets-in-prose-before"),
        pytest.param(f"In {{module}} scope:\n{FINDINGS}", id="braces-in-prose-before"),
    ],
)
def test_reply_shapes_all_give_both_findings(reply: str) -> None:
    parsed = parse_reply(reply)
    assert [(f.path, f.line) for f in parsed.findings] == [("src/app.py", 12), ("src/db.py", 40)]
    assert (parsed.problems, parsed.truncated) == ((), False)


def test_single_finding_object_is_one_finding() -> None:
    assert lines_of(json.dumps(ONE)) == [("src/app.py", 12)]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(json.dumps({"findings": []}), id="empty-object"),
        pytest.param("[]", id="empty-array"),
        pytest.param("<think>nothing to say</think>\n```json\n[]\n```", id="think-then-empty"),
    ],
)
def test_no_findings_is_a_valid_answer(reply: str) -> None:
    assert parse_reply(reply).findings == ()


def test_reasoning_inside_think_is_never_read_as_findings() -> None:
    reply = f"<think>Draft: {json.dumps([TWO])}</think>\n{json.dumps([ONE])}"
    assert lines_of(reply) == [("src/app.py", 12)]


def test_reasoning_before_a_lone_closing_tag_is_never_read_as_findings() -> None:
    reply = f"Draft answer {json.dumps([TWO])} no wait\n</think>\n{json.dumps([ONE])}"
    assert lines_of(reply) == [("src/app.py", 12)]


# --- truncation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(ARRAY[: ARRAY.index('"src/db.py"') + 5], id="array-mid-item"),
        pytest.param(FINDINGS[: FINDINGS.index('"Leaks')], id="object-mid-item"),
        pytest.param("```json\n" + ARRAY[:-1], id="fenced-unclosed"),
        pytest.param(json.dumps([ONE, TWO], indent=2)[:-30], id="pretty-mid-item"),
    ],
)
def test_truncated_reply_keeps_complete_items_and_says_so(reply: str) -> None:
    parsed = parse_reply(reply)
    assert parsed.findings[0].path == "src/app.py"
    assert len(parsed.findings) in (1, 2)
    assert parsed.truncated
    assert any("cut off" in p for p in parsed.problems)


def test_truncated_reply_drops_the_partial_item() -> None:
    assert lines_of(ARRAY[: ARRAY.index('"src/db.py"') + 5]) == [("src/app.py", 12)]


# --- replies with no answer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   \n\t", "empty", id="whitespace"),
        pytest.param("<think>long thoughts</think>", "empty", id="only-reasoning"),
        pytest.param("The change looks good to me.", "no JSON", id="prose"),
        pytest.param("Consider {this} carefully.", "no JSON", id="prose-with-braces"),
        pytest.param('{"summary": "LGTM"}', "no findings list", id="object-without-findings"),
    ],
)
def test_reply_without_an_answer_is_an_error(reply: str, message: str) -> None:
    with pytest.raises(ReplyError, match=message):
        parse_reply(reply)


def test_finding_nested_in_some_other_json_is_not_taken() -> None:
    with pytest.raises(ReplyError, match="no findings list"):
        parse_reply(json.dumps({"summary": "LGTM", "example": ONE}))


def test_reply_error_is_a_value_error() -> None:
    assert issubclass(ReplyError, ValueError)


# --- items -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "why"),
    [
        pytest.param({"path": "a.py", "line": "twelve", "body": "x"}, "line is not a number", id="line-word"),
        pytest.param({"path": "a.py", "line": 0, "body": "x"}, "no positive line", id="line-zero"),
        pytest.param({"path": "a.py", "line": -3, "body": "x"}, "no positive line", id="line-negative"),
        pytest.param({"path": "a.py", "body": "x"}, "no positive line", id="no-line"),
        pytest.param({"path": "a.py", "line": True, "body": "x"}, "line is not a number", id="line-bool"),
        pytest.param({"path": "a.py", "line": 3}, "no body", id="no-body"),
        pytest.param({"path": "a.py", "line": 3, "body": "  "}, "no body", id="blank-body"),
        pytest.param({"path": "a.py", "line": 3, "start_line": "x", "body": "b"}, "start_line", id="start-word"),
        pytest.param("just a string", "not an object", id="string-item"),
        pytest.param(7, "not an object", id="number-item"),
    ],
)
def test_unreadable_items_are_problems_and_the_rest_is_kept(item: Any, why: str) -> None:
    parsed = parse_reply(json.dumps([ONE, item, TWO]))
    assert [f.line for f in parsed.findings] == [12, 40]
    assert len(parsed.problems) == 1
    assert why in parsed.problems[0]
    assert not parsed.truncated


def test_problem_quotes_the_item() -> None:
    [problem] = parse_reply(json.dumps([{"path": "quoted.py", "line": "x", "body": "b"}])).problems
    assert "quoted.py" in problem


@pytest.mark.parametrize(
    ("given", "severity"),
    [
        ("critical", "critical"),
        ("HIGH", "high"),
        (" Medium ", "medium"),
        ("low", "low"),
        ("blocker", "critical"),
        ("major", "high"),
        ("error", "high"),
        ("warning", "medium"),
        ("minor", "low"),
        ("info", "low"),
        ("nit", "low"),
        ("Trivial", "low"),
        ("suggestion", "low"),
        ("catastrophic", "medium"),
        (None, "medium"),
        (3, "medium"),
    ],
)
def test_severity_aliases(given: Any, severity: str) -> None:
    assert normalise_severity(given) == severity


@pytest.mark.parametrize(
    ("start", "kept"),
    [
        pytest.param(8, 8, id="before-line"),
        pytest.param(12, None, id="equal-to-line"),
        pytest.param(15, None, id="after-line"),
        pytest.param(0, None, id="zero"),
        pytest.param(None, None, id="absent"),
        pytest.param("9", 9, id="numeric-string"),
    ],
)
def test_start_line_is_kept_only_before_line(start: Any, kept: int | None) -> None:
    assert finding_from({"path": "a.py", "line": 12, "start_line": start, "body": "b"}).start_line == kept


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("src/app.py", "src/app.py"),
        ("./src/app.py", "src/app.py"),
        ("././src/app.py", "src/app.py"),
        ("/src/app.py", "src/app.py"),
        ("`src/app.py`", "src/app.py"),
        ("'src/app.py'", "src/app.py"),
        (' "src/app.py" ', "src/app.py"),
        ("a/src/app.py", "a/src/app.py"),  # left for anchoring, which knows the diff's paths
    ],
)
def test_path_normalisation(raw: str, path: str) -> None:
    assert normalise_path(raw) == path


def test_item_fields_and_defaults() -> None:
    f = finding_from({"file": "./x.py", "end_line": "7", "comment": " Body text ", "side": "left"})
    assert f == Finding(
        path="x.py",
        line=7,
        side="LEFT",
        start_line=None,
        severity="medium",
        category="bug",
        title="",
        body="Body text",
        suggestion=None,
    )


def test_category_is_lowercased_and_bounded() -> None:
    f = finding_from({"path": "a", "line": 1, "body": "b", "category": "  Security " + "x" * 100})
    assert f.category.startswith("security")
    assert len(f.category) == 40


def test_title_alone_is_enough() -> None:
    assert finding_from({"path": "a", "line": 1, "title": "Null deref"}).title == "Null deref"


def test_body_is_bounded() -> None:
    assert len(finding_from({"path": "a", "line": 1, "body": "y" * (MAX_BODY_CHARS * 2)}).body) == MAX_BODY_CHARS


@pytest.mark.parametrize(
    ("suggestion", "kept"),
    [("x = 1\n", "x = 1\n"), ("", None), ("   ", None), (None, None), (["x = 1"], None)],
)
def test_suggestion_is_a_non_blank_string_or_nothing(suggestion: Any, kept: str | None) -> None:
    assert finding_from({"path": "a", "line": 1, "body": "b", "suggestion": suggestion}).suggestion == kept


# --- split_reasoning -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "answer", "reasoning"),
    [
        pytest.param("<think>why</think>answer", "answer", "why", id="block"),
        pytest.param("<THINK>why</THINK> answer ", "answer", "why", id="uppercase"),
        pytest.param("why\n</think>\nanswer", "answer", "why", id="closing-only"),
        pytest.param("<think>a</think>x<think>b</think>y", "xy", "a\nb", id="two-blocks"),
        pytest.param("plain answer", "plain answer", "", id="none"),
    ],
)
def test_split_reasoning(content: str, answer: str, reasoning: str) -> None:
    assert split_reasoning(content) == (answer, reasoning)
