"""Where each finding can be posted: inline, snapped to a nearby line, or in the review body with the reason.

Nothing is dropped: a finding that cannot sit on a line goes to the body, and a suggestion that cannot be
committed is kept as a note saying why.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.anchoring import anchor, anchor_all, resolve_file
from bot.core.diff import Diff, Side
from bot.core.diff_parse import parse_unified_diff
from bot.core.findings import Finding

DIFF_TEXT = """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -10,6 +10,7 @@ def main():
 ctx10
 ctx11
-old12
+new12
+new13
 ctx14
 ctx15
 ctx16
@@ -50,3 +51,4 @@ def tail():
 c51
+n52
 c53
 c54
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..1111111
Binary files /dev/null and b/logo.png differ
"""
DIFF = parse_unified_diff(DIFF_TEXT)
APP = DIFF.files[0]
# In a mail series, app.py's old-side numbers would refer to an intermediate commit.
SERIES = Diff(files=(replace(APP, left_commentable=False),))


def finding(
    line: int,
    *,
    path: str = "app.py",
    side: Side = "RIGHT",
    start_line: int | None = None,
    suggestion: str | None = None,
) -> Finding:
    return Finding(path, line, side, start_line, "high", "bug", "Title", "Body", suggestion)


def test_the_example_diff_is_what_the_tests_assume() -> None:
    assert APP.right_lines == set(range(10, 17)) | set(range(51, 55))
    assert APP.left_lines == set(range(10, 16)) | set(range(50, 53))


# --- inline ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "side"),
    [
        pytest.param(12, "RIGHT", id="added"),
        pytest.param(15, "RIGHT", id="context-right"),
        pytest.param(52, "RIGHT", id="second-hunk"),
        pytest.param(12, "LEFT", id="removed"),
        pytest.param(50, "LEFT", id="context-left"),
    ],
)
def test_finding_on_a_commentable_line_is_inline(line: int, side: Side) -> None:
    p = anchor(finding(line, side=side), DIFF, snap_distance=3).placement
    assert (p.kind, p.path, p.line, p.side, p.moved_from, p.reason) == ("inline", "app.py", line, side, None, None)


def test_range_inside_one_hunk_is_kept() -> None:
    p = anchor(finding(14, start_line=11), DIFF, snap_distance=3).placement
    assert (p.kind, p.start_line, p.line) == ("inline", 11, 14)


@pytest.mark.parametrize(
    "start_line",
    [pytest.param(11, id="other-hunk"), pytest.param(30, id="between-hunks"), pytest.param(2, id="before-diff")],
)
def test_range_leaving_the_hunk_is_narrowed_to_its_line(start_line: int) -> None:
    p = anchor(finding(53, start_line=start_line), DIFF, snap_distance=3).placement
    assert (p.kind, p.start_line, p.line) == ("inline", None, 53)


# --- snapping --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "target"),
    [
        pytest.param(17, 16, id="one-after-hunk"),
        pytest.param(19, 16, id="three-after-hunk"),
        pytest.param(8, 10, id="two-before-hunk"),
        pytest.param(49, 51, id="before-second-hunk"),
        pytest.param(57, 54, id="after-second-hunk"),
    ],
)
def test_near_miss_snaps_to_the_nearest_commentable_line(line: int, target: int) -> None:
    item = anchor(finding(line), DIFF, snap_distance=3)
    p = item.placement
    assert (p.kind, p.line, p.moved_from) == ("moved", target, line)
    assert p.reason is not None
    assert str(line) in p.reason
    assert item.inline


def test_snapped_finding_loses_its_range() -> None:
    p = anchor(finding(18, start_line=14), DIFF, snap_distance=3).placement
    assert (p.kind, p.line, p.start_line) == ("moved", 16, None)


@pytest.mark.parametrize(
    ("line", "distance"),
    [pytest.param(20, 3, id="four-away"), pytest.param(33, 3, id="between-hunks"), pytest.param(17, 0, id="no-snap")],
)
def test_far_miss_goes_to_the_body_with_the_reason(line: int, distance: int) -> None:
    item = anchor(finding(line), DIFF, snap_distance=distance)
    p = item.placement
    assert (p.kind, p.path, p.line) == ("body", "app.py", None)
    assert p.reason == f"line {line} (RIGHT) of app.py is outside the diff"
    assert not item.inline


# --- paths -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["docs/other.py", "", "App.py"])
def test_unknown_path_goes_to_the_body(path: str) -> None:
    item = anchor(finding(12, path=path), DIFF, snap_distance=3)
    assert (item.placement.kind, item.placement.line) == ("body", None)
    assert item.placement.reason is not None
    assert "is not part of this diff" in item.placement.reason


@pytest.mark.parametrize("path", ["a/app.py", "b/app.py"])
def test_leaked_diff_prefix_is_resolved(path: str) -> None:
    p = anchor(finding(12, path=path), DIFF, snap_distance=3).placement
    assert (p.kind, p.path) == ("inline", "app.py")


def test_resolve_file_prefers_the_exact_path() -> None:
    diff = parse_unified_diff(DIFF_TEXT.replace("app.py", "b/app.py") + DIFF_TEXT)
    found = resolve_file(diff, "b/app.py")
    assert found is not None
    assert found.path == "b/app.py"


def test_file_without_lines_sends_findings_to_the_body() -> None:
    p = anchor(finding(1, path="logo.png"), DIFF, snap_distance=3).placement
    assert (p.kind, p.reason) == ("body", "logo.png has no commentable lines in this diff")


# --- the old side ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [pytest.param(12, id="on-a-removed-line"), pytest.param(17, id="near-the-hunk")])
def test_left_side_of_a_file_without_a_true_old_side_goes_to_the_body(line: int) -> None:
    p = anchor(finding(line, side="LEFT"), SERIES, snap_distance=3).placement
    assert (p.kind, p.line, p.moved_from) == ("body", None, None)
    assert p.reason == f"old-side line {line} of app.py cannot be targeted in this diff"


def test_right_side_of_such_a_file_stays_inline() -> None:
    assert anchor(finding(12), SERIES, snap_distance=3).placement.kind == "inline"


# --- suggestions -----------------------------------------------------------------------------------------------


def test_suggestion_is_kept_inline_on_the_right_side() -> None:
    item = anchor(finding(13, start_line=12, suggestion="new12()\nnew13()\n"), DIFF, snap_distance=3)
    assert (item.suggestion, item.suggestion_note) == ("new12()\nnew13()\n", None)


@pytest.mark.parametrize(
    ("f", "note"),
    [
        pytest.param(finding(18, suggestion="x"), "moved", id="moved"),
        pytest.param(finding(12, side="LEFT", suggestion="x"), "new-side lines only", id="left-side"),
        pytest.param(finding(53, start_line=12, suggestion="x"), "crosses hunks", id="range-narrowed"),
        pytest.param(finding(40, suggestion="x"), "not anchored", id="outside-diff"),
        pytest.param(finding(12, path="nope.py", suggestion="x"), "not anchored", id="unknown-path"),
    ],
)
def test_suggestion_that_cannot_be_committed_becomes_a_note(f: Finding, note: str) -> None:
    item = anchor(f, DIFF, snap_distance=3)
    assert item.suggestion is None
    assert item.suggestion_note is not None
    assert note in item.suggestion_note
    assert item.finding.suggestion == "x"


def test_no_suggestion_no_note() -> None:
    item = anchor(finding(40), DIFF, snap_distance=3)
    assert (item.suggestion, item.suggestion_note) == (None, None)


# --- properties over many findings -----------------------------------------------------------------------------

# As ``finding_from`` makes them: a range always starts before its line.
FINDINGS = st.builds(
    Finding,
    path=st.sampled_from(["app.py", "a/app.py", "logo.png", "gone.py"]),
    line=st.integers(1, 70),
    side=st.sampled_from(["RIGHT", "LEFT"]),
    start_line=st.none() | st.integers(1, 69),
    severity=st.just("medium"),
    category=st.just("bug"),
    title=st.just("t"),
    body=st.just("b"),
    suggestion=st.none() | st.just("fix()"),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    f=FINDINGS.filter(lambda f: f.start_line is None or f.start_line < f.line),
    series=st.booleans(),
    distance=st.integers(0, 5),
)
def test_every_placement_is_postable_and_nothing_is_lost(f: Finding, series: bool, distance: int) -> None:
    diff = SERIES if series else DIFF
    item = anchor(f, diff, snap_distance=distance)
    p = item.placement
    if p.kind == "body":
        assert p.line is None
        assert p.reason
    else:
        target = diff.file(p.path)
        assert target is not None
        assert p.line in target.commentable(p.side)
        assert p.side == f.side
        if p.start_line is not None:
            assert p.start_line < p.line
            assert target.hunk_index(p.side, p.start_line) == target.hunk_index(p.side, p.line)
        if p.kind == "moved":
            assert p.moved_from == f.line != p.line
            assert abs(p.line - f.line) <= distance
    if f.suggestion is not None:
        assert (item.suggestion is None) != (item.suggestion_note is None)


def test_anchor_all_keeps_order_and_count() -> None:
    findings = (finding(12), finding(99), finding(5, path="x.py"), finding(17))
    placed = anchor_all(findings, DIFF, snap_distance=3)
    assert [a.finding for a in placed] == list(findings)
    assert [a.placement.kind for a in placed] == ["inline", "body", "body", "moved"]
