"""The diff parser, feature by feature: what each awkward part of a real diff becomes in the model.

Corpus files are read in place from the shared data (see ``shared/data/README.md``); small inline diffs pin the
behaviours the corpus does not show on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.diff import Diff, FileStatus, LineKind
from bot.core.diff_parse import (
    GithubFile,
    decode_diff_bytes,
    parse_github_files,
    parse_unified_diff,
    split_lines,
    unquote_git_path,
)
from bot.errors import DiffError

Parse = Callable[[Path], Diff]  # the session fixture ``parse``

SIMPLE = """\
diff --git a/f.py b/f.py
index 1111111..2222222 100644
--- a/f.py
+++ b/f.py
@@ -1,4 +1,5 @@ def top():
 one
-two
+TWO
+2.5
 three
 four
"""


def twins(corpus: Path, stem: str) -> list[Path]:
    return [corpus / f"{stem}.diff", corpus / f"{stem}.patch"]


# --- the model -------------------------------------------------------------------------------------------------


def test_right_side_numbers_added_and_context_lines() -> None:
    f = parse_unified_diff(SIMPLE).files[0]
    assert f.commentable("RIGHT") == {1, 2, 3, 4, 5}
    assert {n: line.kind for n, line in f.lines_on("RIGHT")} == {
        1: LineKind.CONTEXT,
        2: LineKind.ADDED,
        3: LineKind.ADDED,
        4: LineKind.CONTEXT,
        5: LineKind.CONTEXT,
    }


def test_left_side_numbers_removed_and_context_lines() -> None:
    f = parse_unified_diff(SIMPLE).files[0]
    assert {n: line.text for n, line in f.lines_on("LEFT")} == {1: "one", 2: "two", 3: "three", 4: "four"}


def test_hunk_keeps_its_header_numbers_and_section() -> None:
    h = parse_unified_diff(SIMPLE).files[0].hunks[0]
    assert (h.old_start, h.old_len, h.new_start, h.new_len, h.section) == (1, 4, 1, 5, "def top():")
    assert (h.added, h.removed) == (2, 1)


def test_hunk_index_finds_the_hunk_of_a_commentable_line() -> None:
    text = SIMPLE + "@@ -40,2 +41,2 @@\n-forty\n+FORTY\n fortyone\n"
    f = parse_unified_diff(text).files[0]
    assert [f.hunk_index("RIGHT", n) for n in (2, 41, 42, 20)] == [0, 1, 1, None]
    assert f.hunk_index("LEFT", 40) == 1


def test_file_lookup_by_new_path() -> None:
    diff = parse_unified_diff(SIMPLE)
    assert diff.file("f.py") is diff.files[0]
    assert diff.file("a/f.py") is None


def test_totals_add_up_over_files() -> None:
    diff = parse_unified_diff(SIMPLE + SIMPLE.replace("f.py", "g.py"))
    assert (diff.additions, diff.deletions) == (4, 2)


# --- line text -------------------------------------------------------------------------------------------------


def test_split_lines_splits_on_newline_only() -> None:
    assert split_lines("a\rb\x0cc\u2028d\ne\x85f") == ["a\rb\x0cc\u2028d\n", "e\x85f\n"]


def test_crlf_lines_lose_the_carriage_return_in_text() -> None:
    text = SIMPLE.replace(" one\n", " one\r\n").replace("+TWO\n", "+TWO\r\n")
    f = parse_unified_diff(text).files[0]
    texts = [line.text for h in f.hunks for line in h.lines]
    assert texts[:3] == ["one", "two", "TWO"]
    assert not any(t.endswith("\r") for t in texts)


def test_carriage_return_inside_a_line_is_kept() -> None:
    text = SIMPLE.replace("+TWO\n", "+T\rW\x0cO\u2028!\n")
    f = parse_unified_diff(text).files[0]
    assert dict(f.lines_on("RIGHT"))[2].text == "T\rW\x0cO\u2028!"
    assert f.commentable("RIGHT") == {1, 2, 3, 4, 5}


def test_no_newline_marker_is_not_a_line() -> None:
    text = (
        "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n"
        "+new\n\\ No newline at end of file\n"
    )
    f = parse_unified_diff(text).files[0]
    assert [(line.kind, line.old_no, line.new_no, line.text) for line in f.hunks[0].lines] == [
        (LineKind.REMOVED, 1, None, "old"),
        (LineKind.ADDED, None, 1, "new"),
    ]


def test_corpus_no_newline_marker_ends_the_hunk_at_its_last_line(corpus: Path, parse: Parse) -> None:
    diff = parse(corpus / "py-requests-no-newline-at-eof-05a1a215.diff")
    f = diff.file("tests/test_requests.py")
    assert f is not None
    last = f.hunks[-1]
    assert (last.new_start, last.new_len) == (2566, 8)
    assert max(f.right_lines) == 2573
    assert "No newline" not in dict(f.lines_on("RIGHT"))[2573].text


def test_corpus_crlf_new_files_have_no_carriage_returns_in_text(corpus: Path, parse: Parse) -> None:
    diff = parse(corpus / "py-pygithub-crlf-new-files-24251f4b.diff")
    texts = [line.text for f in diff.files for h in f.hunks for line in h.lines]
    assert len(texts) > 395
    assert [t for t in texts if t.endswith("\r")] == []
    assert diff.additions == 445


def test_invalid_utf8_becomes_replacement_characters_without_moving_lines() -> None:
    raw = SIMPLE.encode().replace(b"-two", b"-tw\xe9o \xff")
    assert decode_diff_bytes(raw).count("\n") == SIMPLE.count("\n")
    f = parse_unified_diff(raw).files[0]
    assert {n: line.text for n, line in f.lines_on("LEFT")}[2] == "tw\ufffdo \ufffd"
    assert f.commentable("RIGHT") == {1, 2, 3, 4, 5}


def test_corpus_latin1_removed_lines_parse_with_replacement_characters(corpus: Path, parse: Parse) -> None:
    diff = parse(corpus / "py-flask-latin1-to-utf8-invalid-utf8-ac302fb6.diff")
    changes = diff.file("CHANGES.rst")
    assert changes is not None
    removed = [line for h in changes.hunks for line in h.lines if line.kind is LineKind.REMOVED]
    added = [line for h in changes.hunks for line in h.lines if line.kind is LineKind.ADDED]
    assert any("\ufffd" in line.text for line in removed)
    assert not any("\ufffd" in line.text for line in added)
    assert (diff.additions, diff.deletions) == (414, 408)
    for h in changes.hunks:
        assert sorted(h.numbers("RIGHT")) == list(range(h.new_start, h.new_start + h.new_len))
        assert sorted(h.numbers("LEFT")) == list(range(h.old_start, h.old_start + h.old_len))


def test_bytes_and_text_input_agree_on_valid_utf8(corpus: Path) -> None:
    raw = (corpus / "go-cobra-medium-feature-flag-groups-68b6b24f.diff").read_bytes()
    assert parse_unified_diff(raw) == parse_unified_diff(raw.decode("utf-8"))


# --- file kinds ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".diff", ".patch"])
def test_binary_files_are_flagged_and_hunkless(corpus: Path, parse: Parse, suffix: str) -> None:
    diff = parse(corpus / f"py-flask-binary-svg-logo-a7589158{suffix}")
    binary = [f for f in diff.files if f.is_binary]
    assert len(binary) == 3
    assert all(f.hunks == () for f in binary)
    assert not any(f.is_binary for f in diff.files if f.path.endswith(".svg"))


@pytest.mark.parametrize("suffix", [".diff", ".patch"])
def test_deleted_binary_images_are_flagged_removed(corpus: Path, parse: Parse, suffix: str) -> None:
    diff = parse(corpus / f"py-requests-binary-images-deleted-514c1623{suffix}")
    binary = [f for f in diff.files if f.is_binary]
    assert len(binary) == 5
    assert {f.status for f in binary} == {FileStatus.REMOVED}
    assert [f.path for f in diff.files if not f.is_binary] == ["README.md"]


@pytest.mark.parametrize("suffix", [".diff", ".patch"])
def test_renames_carry_the_old_path(corpus: Path, parse: Parse, suffix: str) -> None:
    diff = parse(corpus / f"py-requests-renames-src-layout-d63e94f5{suffix}")
    renamed = [f for f in diff.files if f.status is FileStatus.RENAMED]
    assert len(renamed) == 18
    for f in renamed:
        assert f.old_path is not None
        assert f.path == "src/" + f.old_path
    assert all(f.old_path is None for f in diff.files if f.status is not FileStatus.RENAMED)


def test_rename_with_edits_keeps_its_hunks() -> None:
    text = (
        "diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\nrename to new.py\n"
        "--- a/old.py\n+++ b/new.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    f = parse_unified_diff(text).files[0]
    assert (f.status, f.path, f.old_path, f.right_lines) == (FileStatus.RENAMED, "new.py", "old.py", {1})


def test_copy_is_reported_as_copied() -> None:
    text = "diff --git a/a.py b/b.py\nsimilarity index 100%\ncopy from a.py\ncopy to b.py\n"
    f = parse_unified_diff(text).files[0]
    assert (f.status, f.path, f.old_path) == (FileStatus.COPIED, "b.py", "a.py")


@pytest.mark.parametrize("suffix", [".diff", ".patch"])
def test_mode_only_change_has_no_hunks_and_status_changed(corpus: Path, parse: Parse, suffix: str) -> None:
    diff = parse(corpus / f"js-express-mode-change-only-c24a6b23{suffix}")
    [f] = diff.files
    assert (f.path, f.status, f.hunks, f.is_binary) == ("bin/express", FileStatus.CHANGED, (), False)


def test_mode_change_with_an_edit_is_modified(corpus: Path, parse: Parse) -> None:
    diff = parse(corpus / "py-requests-mode-change-exec-bit-c6a63471.diff")
    assert {f.path: f.status for f in diff.files} == {
        "AUTHORS.rst": FileStatus.CHANGED,
        "requests/sessions.py": FileStatus.CHANGED,
        "tests/test_lowlevel.py": FileStatus.CHANGED,
        "tests/test_requests.py": FileStatus.MODIFIED,
    }


@pytest.mark.parametrize("suffix", [".diff", ".patch"])
def test_submodule_pointer_is_flagged(corpus: Path, parse: Parse, suffix: str) -> None:
    diff = parse(corpus / f"js-express-submodule-update-eeb77541{suffix}")
    assert {f.path: f.is_submodule for f in diff.files} == {"lib/view.js": False, "support/jade": True}


def test_new_submodule_is_flagged_by_its_mode() -> None:
    text = (
        "diff --git a/lib/dep b/lib/dep\nnew file mode 160000\nindex 0000000..abcdef1\n--- /dev/null\n"
        "+++ b/lib/dep\n@@ -0,0 +1 @@\n+Subproject commit abcdef1234567890abcdef1234567890abcdef12\n"
    )
    assert parse_unified_diff(text).files[0].is_submodule


@pytest.mark.parametrize(
    ("header", "symlink"),
    [
        pytest.param("new file mode 120000\nindex 0000000..1111111\n", True, id="new-symlink"),
        pytest.param("index 1111111..2222222 120000\n", True, id="changed-symlink-target"),
        pytest.param("new file mode 100644\nindex 0000000..1111111\n", False, id="new-regular-file"),
    ],
)
def test_symlinks_are_flagged_by_mode(header: str, symlink: bool) -> None:
    text = f"diff --git a/link b/link\n{header}--- a/link\n+++ b/link\n@@ -0,0 +1 @@\n+target\n"
    if "new file" in header:
        text = text.replace("--- a/link", "--- /dev/null")
    assert parse_unified_diff(text).files[0].is_symlink is symlink


@pytest.mark.parametrize("suffix", [".diff", ".patch"])
def test_symlink_replaced_by_file_is_one_file_with_a_note(corpus: Path, parse: Parse, suffix: str) -> None:
    diff = parse(corpus / f"py-pygithub-symlinks-replaced-8d3b9057{suffix}")
    paths = [f.path for f in diff.files]
    assert len(paths) == len(set(paths)) == 3
    replaced = [f for f in diff.files if "file type changed" in f.notes]
    assert len(replaced) == 2
    for f in replaced:
        assert (f.status, f.is_symlink) == (FileStatus.MODIFIED, False)
        assert f.left_lines == {1}  # the old link target
        assert f.right_lines == set(range(1, max(f.right_lines) + 1))


# --- names -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        pytest.param("a/src/x.py", "src/x.py", id="a-prefix"),
        pytest.param("b/src/x.py", "src/x.py", id="b-prefix"),
        pytest.param("src/x.py", "src/x.py", id="no-prefix"),
        pytest.param('"b/utf-8 \\355\\225\\234.txt"', "utf-8 한.txt", id="octal-utf8"),
        pytest.param('"a/tab\\there"', "tab\there", id="tab"),
        pytest.param('"a/quote\\"and\\\\slash"', 'quote"and\\slash', id="quote-backslash"),
        pytest.param('  "a/x y"  ', "x y", id="padded"),
    ],
)
def test_unquote_git_path(raw: str, path: str) -> None:
    assert unquote_git_path(raw) == path


def test_c_quoted_name_decodes_like_the_quotepath_false_twin(corpus: Path, parse: Parse) -> None:
    stem = "js-express-nonascii-crlf-nonl-content-disposition-56b672e6"
    quoted = parse(corpus / f"{stem}.diff")
    plain = parse(corpus / f"{stem}.quotepath-false.diff")
    assert [f.path for f in quoted.files] == [f.path for f in plain.files]
    assert "examples/downloads/files/utf-8 한中日.txt" in [f.path for f in quoted.files]
    assert quoted == plain


# --- mail series -----------------------------------------------------------------------------------------------


def commits_per_path(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for mail in re.split(r"(?m)^(?=From [0-9a-f]{40} )", text):
        for path in set(re.findall(r"(?m)^diff --git a/\S+ b/(\S+)$", mail)):
            counts[path] = counts.get(path, 0) + 1
    return counts


def test_series_files_changed_by_several_commits_have_no_left_side(series_patch: Path, parse: Parse) -> None:
    diff = parse(series_patch)
    counts = commits_per_path(series_patch.read_text(encoding="utf-8", errors="replace"))
    several = {p for p, n in counts.items() if n > 1}
    assert several, "every pull-request series in the corpus touches some file twice"
    assert {f.path for f in diff.files if not f.left_commentable} == several
    for f in diff.files:
        if f.path in several:
            assert f.left_lines == frozenset()
            assert f.commentable("LEFT") == frozenset()
            assert any(f"changed by {counts[f.path]} commits" in note for note in f.notes)


def test_series_notes_name_each_superseded_file(series_patch: Path, parse: Parse) -> None:
    diff = parse(series_patch)
    superseded = [f.path for f in diff.files if not f.left_commentable]
    assert len(diff.notes) == len(superseded)
    assert all(any(note.startswith(f"{path}: ") for note in diff.notes) for path in superseded)


def test_series_keeps_each_file_once(series_patch: Path, parse: Parse) -> None:
    paths = [f.path for f in parse(series_patch).files]
    assert len(paths) == len(set(paths))


def test_single_mail_patch_has_no_series_notes(corpus: Path, parse: Parse) -> None:
    diff = parse(corpus / "py-flask-medium-feature-limits-config-c7a53888.patch")
    assert diff.notes == ()
    assert all(f.left_commentable for f in diff.files)


# --- GitHub's per-file patches ---------------------------------------------------------------------------------


def test_github_file_without_patch_is_kept_with_a_note() -> None:
    [f] = parse_github_files([GithubFile("logo.png", "added", None)]).files
    assert (f.path, f.status, f.hunks) == ("logo.png", FileStatus.ADDED, ())
    assert f.notes and "no patch" in f.notes[0]


def test_github_file_with_malformed_patch_is_kept_with_a_note() -> None:
    [f] = parse_github_files([GithubFile("a.py", "modified", "@@ -1,3 +1,3 @@\n-only one line")]).files
    assert (f.path, f.hunks) == ("a.py", ())
    assert f.notes and f.notes[0].startswith("unparseable patch")


def test_github_file_patch_gives_numbered_lines() -> None:
    patch = "@@ -1,2 +1,3 @@\n keep\n-drop\n+new\n+newer\n\\ No newline at end of file"
    [f] = parse_github_files([GithubFile("a.py", "modified", patch, additions=2, deletions=1)]).files
    assert {n: line.text for n, line in f.lines_on("RIGHT")} == {1: "keep", 2: "new", 3: "newer"}
    assert (f.additions, f.deletions) == (2, 1)


def test_github_rename_keeps_previous_filename() -> None:
    entry = GithubFile("src/new.py", "renamed", "@@ -1 +1 @@\n-a\n+b", previous_filename="old.py")
    [f] = parse_github_files([entry]).files
    assert (f.status, f.path, f.old_path) == (FileStatus.RENAMED, "src/new.py", "old.py")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("added", FileStatus.ADDED, id="added"),
        pytest.param("removed", FileStatus.REMOVED, id="removed"),
        pytest.param("modified", FileStatus.MODIFIED, id="modified"),
        pytest.param("renamed", FileStatus.RENAMED, id="renamed"),
        pytest.param("copied", FileStatus.COPIED, id="copied"),
        pytest.param("changed", FileStatus.CHANGED, id="changed"),
        pytest.param("unchanged", FileStatus.MODIFIED, id="unknown-is-modified"),
    ],
)
def test_github_status_words(status: str, expected: FileStatus) -> None:
    [f] = parse_github_files([GithubFile("x", status, "@@ -1 +1 @@\n-a\n+b")]).files
    assert f.status is expected


def test_github_submodule_patch_is_flagged() -> None:
    patch = "@@ -1 +1 @@\n-Subproject commit " + "a" * 40 + "\n+Subproject commit " + "b" * 40
    [f] = parse_github_files([GithubFile("support/jade", "modified", patch)]).files
    assert f.is_submodule


def test_github_files_keep_their_order_and_count() -> None:
    entries = [GithubFile(f"f{i}.py", "modified", None if i % 2 else "@@ -1 +1 @@\n-a\n+b") for i in range(7)]
    assert [f.path for f in parse_github_files(entries).files] == [e.filename for e in entries]


# --- malformed input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n-x\n", id="hunk-too-short"),
        pytest.param("--- a/f\n+++ b/f\n@@ -1 +1 @@\n*x\n", id="bad-line-prefix"),
        pytest.param("@@ -1 +1 @@\n-a\n+b\n", id="hunk-without-file"),
    ],
)
def test_malformed_diff_raises_diff_error(text: str) -> None:
    with pytest.raises(DiffError, match="malformed"):
        parse_unified_diff(text)


def test_empty_diff_has_no_files() -> None:
    assert parse_unified_diff("") == Diff(files=())
