"""The run store's rows: what it inserts for agreements and comments, and the records it reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from bot.run_rows import agreement_rows, comment_row, record_of, spots_from
from bot.runs import PostedComment, Spot


def test_a_pair_named_twice_gives_one_agreement_row() -> None:
    pair = ("deepseek", "a" * 16, "openai", "b" * 16)
    rows = agreement_rows(7, "h" * 40, [pair, pair])
    assert rows == [
        {
            "pull_request_id": 7,
            "head_sha": "h" * 40,
            "contender_a": "deepseek",
            "fingerprint_a": "a" * 16,
            "contender_b": "openai",
            "fingerprint_b": "b" * 16,
        }
    ]


def test_a_comment_row_starts_pending_with_its_language_and_agreement() -> None:
    run = SimpleNamespace(id=3, contender="openai", pull_request_id=7)
    comment = PostedComment("f" * 16, "src/app.py", 4, 3, "RIGHT", "high", "bug", "inline")
    row = comment_row(comment, run, 11, datetime(2026, 11, 28, tzinfo=UTC))
    assert (row["run_pk"], row["contender"], row["pull_request_id"]) == (3, "openai", 7)
    assert (row["verdict"], row["language"], row["agreement_id"]) == ("pending", "Python", 11)


def test_a_stored_run_reads_back_with_its_spots() -> None:
    spot = Spot("f" * 16, "a.py", 1, 2, "Null check")
    stored = SimpleNamespace(
        run_id="r" * 32,
        contender="deepseek",
        head_sha="h" * 40,
        status="reviewed",
        position=1,
        seed=5,
        findings_json='[{"fp": "' + "f" * 16 + '", "path": "a.py", "start": 1, "end": 2, "text": "Null check"}]',
        review_id=None,
    )
    record = record_of(stored)
    assert (record.status, record.position, record.spots) == ("reviewed", 1, (spot,))
    assert spots_from(None) == ()
