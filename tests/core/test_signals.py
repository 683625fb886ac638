"""Reading acceptance signals out of GitHub's text: commands, reply tone, reactions, permissions, changed lines,
applied suggestions, the polling schedule and the bot's own markers.

The patches are GitHub ``compare`` file patches of ``billing.py`` against the commented commit, whose lines are::

     1  from decimal import Decimal
     2
     3
     4  def total(items):
     5      subtotal = sum(i.price for i in items)
     6      if subtotal > 100:
     7          subtotal *= Decimal("0.9")
     8      return round(subtotal, 2)
     9
    10
    11  def tax(amount):
    12      return amount * Decimal("0.2")      (no newline at end of file)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.acceptance import Kind
from bot.core.anchoring import AnchoredFinding, Placement
from bot.core.comments import CommentContext, Marker, render_finding
from bot.core.findings import Finding
from bot.core.signals import (
    applies_suggestions,
    association_from_permission,
    bot_marker,
    command_of,
    lines_touched,
    poll_delay,
    reaction_kind,
    reply_polarity,
    suggestion_applied,
    suggestion_of,
)


def patch(*lines: str) -> str:
    return "\n".join(lines) + "\n"


NO_NEWLINE = "\\ No newline at end of file"
IF_LINE = "    if subtotal > 100:"
DISCOUNT_LINE = '        subtotal *= Decimal("0.9")'

# --- commands --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param("/arena accept", Kind.ACCEPT_COMMAND, id="accept"),
        pytest.param("/arena reject", Kind.REJECT_COMMAND, id="reject"),
        pytest.param("/Arena Accept", Kind.ACCEPT_COMMAND, id="title-case"),
        pytest.param("/ARENA REJECT", Kind.REJECT_COMMAND, id="upper-case"),
        pytest.param("   /arena accept", Kind.ACCEPT_COMMAND, id="leading-spaces"),
        pytest.param("\n\n/arena reject", Kind.REJECT_COMMAND, id="leading-blank-lines"),
        pytest.param("/arena  accept", Kind.ACCEPT_COMMAND, id="two-spaces"),
        pytest.param("/arena accept\nThe fix is in #12.", Kind.ACCEPT_COMMAND, id="followed-by-text"),
        pytest.param("/arena reject: the caller holds the lock", Kind.REJECT_COMMAND, id="followed-by-reason"),
        pytest.param("I think /arena accept", None, id="not-at-start"),
        pytest.param("> /arena accept\nno", None, id="quoted"),
        pytest.param("/arena accepted", None, id="longer-word"),
        pytest.param("/arenaaccept", None, id="no-space"),
        pytest.param("/arena review", None, id="other-command"),
        pytest.param("/arena", None, id="no-verb"),
        pytest.param("", None, id="empty"),
    ],
)
def test_command_of(body: str, kind: Kind | None) -> None:
    assert command_of(body) == kind


# --- reply tone ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("No, this is intended.", id="no"),
        pytest.param("Nope", id="nope"),
        pytest.param("nah, leave it", id="nah"),
        pytest.param("NOPE", id="upper-case"),
        pytest.param("Disagree: the caller checks it.", id="disagree"),
        pytest.param("Incorrect, items is never empty", id="incorrect"),
        pytest.param("Wrong: this is Decimal, not float", id="wrong"),
        pytest.param("Not a bug.", id="not-a-bug"),
        pytest.param("not an issue here", id="not-an-issue"),
        pytest.param("False positive: the lock is held by the caller.", id="false-positive"),
        pytest.param("Won't fix", id="wont-fix"),
        pytest.param("Won’t fix", id="wont-fix-typographic-apostrophe"),
        pytest.param("wontfix", id="wontfix"),
        pytest.param("Not applicable to this service", id="not-applicable"),
        pytest.param("Irrelevant here", id="irrelevant"),
        pytest.param("This is fine.", id="this-is-fine"),
        pytest.param("This is intended", id="this-is-intended"),
        pytest.param("That's not right", id="thats-not-right"),
        pytest.param("That’s not right", id="thats-not-right-typographic-apostrophe"),
        pytest.param("By design.", id="by-design"),
        pytest.param("Invalid", id="invalid"),
        pytest.param("👎", id="thumbs-down"),
        pytest.param("  \n  No.", id="leading-whitespace"),
    ],
)
def test_negative_replies(body: str) -> None:
    assert reply_polarity(body) == "negative"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("Good catch!", id="good-catch"),
        pytest.param("nice catch, thanks", id="nice-catch"),
        pytest.param("Thanks, fixed in abc1234", id="thanks"),
        pytest.param("Thank you", id="thank-you"),
        pytest.param("Fixed.", id="fixed"),
        pytest.param("Done", id="done"),
        pytest.param("Agreed", id="agreed"),
        pytest.param("Good point, will change", id="good-point"),
        pytest.param("Will fix", id="will-fix"),
        pytest.param("Yes, you are right", id="yes"),
        pytest.param("+1", id="plus-one"),
        pytest.param("👍", id="thumbs-up"),
        pytest.param("Thanks, but this is intended", id="judged-on-the-opening"),
    ],
)
def test_positive_replies(body: str) -> None:
    assert reply_polarity(body) == "positive"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param("Could you explain why?", id="question"),
        pytest.param("Noted", id="no-as-a-prefix"),
        pytest.param("Nothing to add", id="nothing"),
        pytest.param("I have fixed it", id="fixed-not-at-the-opening"),
        pytest.param("Doneness is checked elsewhere", id="done-as-a-prefix"),
        pytest.param("> No, this is intended.", id="only-a-quote"),
        pytest.param("@maria what do you think?", id="mention"),
    ],
)
def test_neutral_replies(body: str) -> None:
    assert reply_polarity(body) == "neutral"


@pytest.mark.parametrize(
    ("body", "polarity"),
    [
        pytest.param("> Good catch\nNo, this is intended.", "negative", id="negative-after-a-positive-quote"),
        pytest.param("> No idea why this is here\nFixed, thanks", "positive", id="positive-after-a-negative-quote"),
        pytest.param("> quoted\n> twice\n\nNot a bug", "negative", id="several-quoted-lines"),
        pytest.param("  > indented quote\nThanks", "positive", id="indented-quote"),
    ],
)
def test_reply_polarity_skips_quoted_lines(body: str, polarity: str) -> None:
    assert reply_polarity(body) == polarity


# --- reactions and permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        pytest.param("+1", Kind.THUMBS_UP, id="plus-one"),
        pytest.param("-1", Kind.THUMBS_DOWN, id="minus-one"),
        *(pytest.param(c, None, id=c) for c in ("laugh", "confused", "heart", "hooray", "rocket", "eyes")),
        pytest.param("THUMBS_UP", None, id="graphql-name"),
    ],
)
def test_reaction_kind(content: str, kind: Kind | None) -> None:
    assert reaction_kind(content) == kind


@pytest.mark.parametrize(
    ("permission", "login", "association"),
    [
        pytest.param("admin", "acme", "OWNER", id="owner"),
        pytest.param("admin", "ACME", "OWNER", id="owner-any-case"),
        pytest.param("read", "acme", "OWNER", id="owner-whatever-the-permission"),
        pytest.param("admin", "maria", "COLLABORATOR", id="admin"),
        pytest.param("maintain", "maria", "COLLABORATOR", id="maintain"),
        pytest.param("write", "maria", "COLLABORATOR", id="write"),
        pytest.param("triage", "maria", "NONE", id="triage"),
        pytest.param("read", "maria", "NONE", id="read"),
        pytest.param("none", "maria", "NONE", id="none"),
        pytest.param("", "maria", "NONE", id="unknown"),
    ],
)
def test_association_from_permission(permission: str, login: str, association: str) -> None:
    assert association_from_permission(permission, login=login, owner="acme") == association


# --- changed lines ---------------------------------------------------------------------------------------------

REMOVAL_IN_RANGE = patch(
    "@@ -5,4 +5,2 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "-" + IF_LINE,
    "-" + DISCOUNT_LINE,
    "     return round(subtotal, 2)",
)
REPLACEMENT_IN_RANGE = patch(
    "@@ -5,3 +5,3 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "-" + IF_LINE,
    "+    if subtotal >= 100:",
    " " + DISCOUNT_LINE,
)
INSERTION_INSIDE = patch(
    "@@ -5,2 +5,3 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "+    subtotal = Decimal(subtotal)",
    " " + IF_LINE,
)
INSERTION_BEFORE = patch(
    "@@ -4,2 +4,3 @@",
    " def total(items):",
    '+    """The order total, discounted above 100."""',
    "     subtotal = sum(i.price for i in items)",
)
INSERTION_AFTER = patch(
    "@@ -7,2 +7,3 @@ def total(items):",
    " " + DISCOUNT_LINE,
    "+    subtotal = max(subtotal, 0)",
    "     return round(subtotal, 2)",
)
CHANGE_OUTSIDE = patch(
    "@@ -1,3 +1,3 @@",
    "-from decimal import Decimal",
    "+from decimal import ROUND_HALF_UP, Decimal",
    " ",
    " ",
)
SHIFTED_BY_AN_EARLIER_HUNK = patch(
    "@@ -1,2 +1,3 @@",
    " from decimal import Decimal",
    "+from typing import Iterable",
    " ",
    "@@ -5,3 +6,3 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "-" + IF_LINE,
    "+    if subtotal >= 100:",
    " " + DISCOUNT_LINE,
)
NEW_LINES_OVER_THE_RANGE = patch(
    "@@ -1,3 +1,8 @@",
    " from decimal import Decimal",
    "+from typing import Iterable",
    "+",
    "+DISCOUNT = Decimal('0.9')",
    "+THRESHOLD = 100",
    "+LIMIT = 10_000",
    " ",
    " ",
    "@@ -11,2 +16,2 @@ def total(items):",
    " def tax(amount):",
    '-    return amount * Decimal("0.2")',
    '+    return amount * Decimal("0.21")',
)
LAST_LINE_WITHOUT_NEWLINE = patch(
    "@@ -11,2 +11,2 @@ def total(items):",
    " def tax(amount):",
    '-    return amount * Decimal("0.2")',
    NO_NEWLINE,
    '+    return amount * Decimal("0.21")',
    NO_NEWLINE,
)
NEWLINE_ADDED_AT_THE_END = patch(
    "@@ -11,2 +11,2 @@ def total(items):",
    " def tax(amount):",
    '-    return amount * Decimal("0.2")',
    NO_NEWLINE,
    '+    return amount * Decimal("0.2")',
)
COUNTS_OMITTED = patch(
    "@@ -8 +8 @@ def total(items):",
    "-    return round(subtotal, 2)",
    "+    return subtotal.quantize(Decimal('0.01'))",
)


@pytest.mark.parametrize(
    ("patch_text", "start", "end", "touched"),
    [
        pytest.param(REMOVAL_IN_RANGE, 5, 7, True, id="removal-in-range"),
        pytest.param(REMOVAL_IN_RANGE, 7, 7, True, id="removal-of-the-single-line"),
        pytest.param(REMOVAL_IN_RANGE, 8, 8, False, id="removal-just-above"),
        pytest.param(REPLACEMENT_IN_RANGE, 5, 7, True, id="replacement-in-range"),
        pytest.param(REPLACEMENT_IN_RANGE, 7, 7, False, id="replacement-of-the-line-above"),
        pytest.param(INSERTION_INSIDE, 5, 7, True, id="insertion-inside"),
        pytest.param(INSERTION_INSIDE, 6, 7, False, id="insertion-right-before-the-range"),
        pytest.param(INSERTION_INSIDE, 4, 5, False, id="insertion-right-after-the-range"),
        pytest.param(INSERTION_INSIDE, 5, 5, False, id="insertion-after-a-single-line"),
        pytest.param(INSERTION_BEFORE, 5, 7, False, id="insertion-at-the-top-edge"),
        pytest.param(INSERTION_AFTER, 5, 7, False, id="insertion-at-the-bottom-edge"),
        pytest.param(INSERTION_AFTER, 7, 8, True, id="insertion-between-the-two-lines"),
        pytest.param(CHANGE_OUTSIDE, 5, 7, False, id="change-outside"),
        pytest.param(SHIFTED_BY_AN_EARLIER_HUNK, 5, 7, True, id="multiple-hunks-second-in-range"),
        pytest.param(SHIFTED_BY_AN_EARLIER_HUNK, 7, 8, False, id="multiple-hunks-old-side-numbers"),
        pytest.param(NEW_LINES_OVER_THE_RANGE, 5, 7, False, id="multiple-hunks-none-in-range"),
        pytest.param(NEW_LINES_OVER_THE_RANGE, 12, 12, True, id="multiple-hunks-last-in-range"),
        pytest.param(LAST_LINE_WITHOUT_NEWLINE, 12, 12, True, id="no-newline-last-line-changed"),
        pytest.param(LAST_LINE_WITHOUT_NEWLINE, 5, 11, False, id="no-newline-change-below-the-range"),
        pytest.param(NEWLINE_ADDED_AT_THE_END, 12, 12, True, id="newline-added-at-the-end"),
        pytest.param(COUNTS_OMITTED, 8, 8, True, id="hunk-header-without-counts"),
        pytest.param(COUNTS_OMITTED, 5, 7, False, id="hunk-header-without-counts-outside"),
        pytest.param("", 5, 7, False, id="no-patch"),
    ],
)
def test_lines_touched(patch_text: str, start: int, end: int, touched: bool) -> None:
    assert lines_touched(patch_text, start=start, end=end) is touched


PURE_INSERTION = patch("@@ -10,0 +11,2 @@", "+def discount(subtotal):", "+    return subtotal")


@pytest.mark.parametrize(
    ("start", "end", "touched"),
    [
        pytest.param(10, 11, True, id="between-the-two-lines"),
        pytest.param(9, 12, True, id="inside-a-wider-range"),
        pytest.param(11, 12, False, id="right-before-the-range"),
        pytest.param(9, 10, False, id="right-after-the-range"),
        pytest.param(10, 10, False, id="after-the-single-line"),
        pytest.param(11, 11, False, id="before-the-single-line"),
    ],
)
def test_lines_touched_by_a_pure_insertion(start: int, end: int, touched: bool) -> None:
    """``@@ -10,0 +11,2 @@`` inserts two lines after old line 10: between lines 10 and 11."""
    assert lines_touched(PURE_INSERTION, start=start, end=end) is touched


# --- suggestions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "text"),
    [
        pytest.param("Off by one.\n\n```suggestion\n    if x >= 100:\n```\n", "    if x >= 100:\n", id="three"),
        pytest.param(
            "Use a fence.\n\n````suggestion\n    doc = '''\n```python\nx\n```\n'''\n````\n",
            "    doc = '''\n```python\nx\n```\n'''\n",
            id="four-backticks-around-three",
        ),
        pytest.param("Delete it.\n\n```suggestion\n```\n", "", id="empty-deletes"),
        pytest.param("```suggestion\r\n    x = 1\r\n```\r\n", "    x = 1\r\n", id="crlf"),
        pytest.param("```suggestion\na\n```\n\n```suggestion\nb\n```\n", "a\n", id="first-of-two"),
        pytest.param("Just prose.", None, id="no-block"),
        pytest.param("```python\nx = 1\n```\n", None, id="plain-code-block"),
        pytest.param("Text ```suggestion\nx\n```", None, id="fence-not-at-line-start"),
        pytest.param("```suggestion\nx = 1\n", None, id="unclosed"),
        pytest.param("", None, id="empty-body"),
    ],
)
def test_suggestion_of(body: str, text: str | None) -> None:
    assert suggestion_of(body) == text


def test_suggestion_of_reads_what_the_bot_renders() -> None:
    text = "    doc = '''\n```\n'''"
    f = Finding("billing.py", 6, "RIGHT", None, "low", "docs", "Title", "Body", text)
    item = AnchoredFinding(f, Placement("inline", "billing.py", 6, "RIGHT"), text, None)
    ctx = CommentContext("DeepSeek V4", "deepseek", "0123456789abcdef", "ab" * 20, "deepseek-v4-pro", "review-v1")
    assert suggestion_of(render_finding(item, ctx)) == text + "\n"


SUGGESTED = '    if subtotal >= 100:\n        subtotal *= Decimal("0.85")\n'
BOTH_LINES_REPLACED = patch(
    "@@ -5,4 +5,4 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "-" + IF_LINE,
    "-" + DISCOUNT_LINE,
    "+    if subtotal >= 100:",
    '+        subtotal *= Decimal("0.85")',
    "     return round(subtotal, 2)",
)
REPLACED_WITH_TRAILING_SPACES = BOTH_LINES_REPLACED.replace(">= 100:", ">= 100:  ")
FIRST_LINE_ONLY = REPLACEMENT_IN_RANGE
OTHER_TEXT = BOTH_LINES_REPLACED.replace("0.85", "0.8")
REINDENTED = BOTH_LINES_REPLACED.replace("+        subtotal", "+      subtotal")
BOTH_LINES_DELETED = patch(
    "@@ -5,4 +5,2 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "-" + IF_LINE,
    "-" + DISCOUNT_LINE,
    "     return round(subtotal, 2)",
)
SHIFTED_AND_REPLACED = patch(
    "@@ -1,2 +1,3 @@",
    " from decimal import Decimal",
    "+from typing import Iterable",
    " ",
    "@@ -5,4 +6,4 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "-" + IF_LINE,
    "-" + DISCOUNT_LINE,
    "+    if subtotal >= 100:",
    '+        subtotal *= Decimal("0.85")',
    "     return round(subtotal, 2)",
)
KEEPS_ITS_SECOND_LINE = "    if subtotal >= 100:\n" + DISCOUNT_LINE + "\n"
SUGGESTION_PLUS_A_LINE_AFTER = BOTH_LINES_REPLACED.replace(
    "     return round", "+    subtotal = max(subtotal, 0)\n     return round"
)
INSERTED_ABOVE_RANGE_KEPT = patch(
    "@@ -5,3 +5,4 @@ def total(items):",
    "     subtotal = sum(i.price for i in items)",
    "+    if subtotal >= 100:",
    " " + IF_LINE,
    " " + DISCOUNT_LINE,
)
NEW_LAST_LINE = '    return amount * Decimal("0.21")\n'


@pytest.mark.parametrize(
    ("patch_text", "start", "end", "suggestion", "applied"),
    [
        pytest.param(BOTH_LINES_REPLACED, 6, 7, SUGGESTED, True, id="exact-replacement"),
        pytest.param(REPLACED_WITH_TRAILING_SPACES, 6, 7, SUGGESTED, True, id="commit-adds-trailing-spaces"),
        pytest.param(
            BOTH_LINES_REPLACED, 6, 7, SUGGESTED.replace(":\n", ":   \n"), True, id="suggestion-has-trailing-spaces"
        ),
        pytest.param(BOTH_LINES_REPLACED, 6, 7, SUGGESTED.rstrip("\n"), True, id="suggestion-without-final-newline"),
        pytest.param(BOTH_LINES_REPLACED, 6, 7, SUGGESTED.replace("\n", "\r\n"), True, id="suggestion-with-crlf"),
        pytest.param(SHIFTED_AND_REPLACED, 6, 7, SUGGESTED, True, id="old-side-numbers-after-an-earlier-hunk"),
        pytest.param(SUGGESTION_PLUS_A_LINE_AFTER, 6, 7, SUGGESTED, True, id="plus-a-line-inserted-after-the-range"),
        pytest.param(FIRST_LINE_ONLY, 6, 7, SUGGESTED, False, id="only-part-of-the-range-replaced"),
        pytest.param(FIRST_LINE_ONLY, 6, 7, KEEPS_ITS_SECOND_LINE, True, id="suggestion-keeps-a-line-unchanged"),
        pytest.param(BOTH_LINES_REPLACED, 6, 7, KEEPS_ITS_SECOND_LINE, False, id="kept-line-changed-anyway"),
        pytest.param(OTHER_TEXT, 6, 7, SUGGESTED, False, id="different-text"),
        pytest.param(REINDENTED, 6, 7, SUGGESTED, False, id="different-indentation"),
        pytest.param(BOTH_LINES_DELETED, 6, 7, "", True, id="empty-suggestion-deletes-the-lines"),
        pytest.param(BOTH_LINES_DELETED, 6, 7, SUGGESTED, False, id="lines-deleted-instead"),
        pytest.param(
            INSERTED_ABOVE_RANGE_KEPT,
            6,
            7,
            "    if subtotal >= 100:\n",
            False,
            id="line-inserted-above-an-unchanged-range",
        ),
        pytest.param(
            INSERTION_AFTER, 7, 7, DISCOUNT_LINE + "\n    subtotal = max(subtotal, 0)\n", True, id="adds-a-line"
        ),
        pytest.param(CHANGE_OUTSIDE, 6, 7, SUGGESTED, False, id="range-not-in-the-patch"),
        pytest.param(LAST_LINE_WITHOUT_NEWLINE, 12, 12, NEW_LAST_LINE, True, id="last-line-without-newline"),
        pytest.param(NEWLINE_ADDED_AT_THE_END, 12, 12, NEW_LAST_LINE, False, id="only-the-newline-changed"),
        pytest.param(BOTH_LINES_REPLACED, 6, 7, IF_LINE + "\n" + DISCOUNT_LINE + "\n", False, id="no-op-suggestion"),
        pytest.param("", 6, 7, SUGGESTED, False, id="no-patch"),
    ],
)
def test_suggestion_applied(patch_text: str, start: int, end: int, suggestion: str, applied: bool) -> None:
    assert suggestion_applied(patch_text, start=start, end=end, suggestion=suggestion) is applied


@pytest.mark.parametrize(
    ("message", "applies"),
    [
        pytest.param("Apply suggestions from code review", True, id="batch"),
        pytest.param("Apply suggestion from @maria", True, id="single"),
        pytest.param("Apply suggestions from code review\n\nCo-authored-by: Maria <m@example.com>", True, id="both"),
        pytest.param(
            "Update billing.py\n\nCo-authored-by: maria <12+maria@users.noreply.github.com>", True, id="co-author"
        ),
        pytest.param("co-authored-by: Maria <m@example.com>", True, id="co-author-any-case"),
        pytest.param("Fix the discount threshold", False, id="ordinary"),
        pytest.param('Revert "Apply suggestions from code review"', False, id="revert"),
        pytest.param("Don't Apply suggestions from bots blindly", False, id="not-at-line-start"),
        pytest.param("", False, id="empty"),
    ],
)
def test_applies_suggestions(message: str, applies: bool) -> None:
    assert applies_suggestions(message) is applies


# --- polling ---------------------------------------------------------------------------------------------------

STOP = timedelta(days=14)


@pytest.mark.parametrize(
    ("age", "delay"),
    [
        pytest.param(timedelta(0), timedelta(minutes=15), id="new"),
        pytest.param(timedelta(hours=23), timedelta(minutes=15), id="under-a-day"),
        pytest.param(timedelta(days=1), timedelta(minutes=30), id="day-1"),
        pytest.param(timedelta(days=2), timedelta(hours=1), id="day-2"),
        pytest.param(timedelta(days=3), timedelta(hours=2), id="day-3"),
        pytest.param(timedelta(days=4), timedelta(hours=4), id="day-4"),
        pytest.param(timedelta(days=5), timedelta(hours=8), id="day-5"),
        pytest.param(timedelta(days=6), timedelta(hours=12), id="day-6-capped"),
        pytest.param(timedelta(days=400), timedelta(hours=12), id="old-capped"),
    ],
)
def test_poll_delay_doubles_each_day_up_to_twelve_hours(age: timedelta, delay: timedelta) -> None:
    assert poll_delay(age=age, closed_for=None, stop_after=STOP) == delay


@pytest.mark.parametrize(
    ("closed_for", "delay"),
    [
        pytest.param(timedelta(0), timedelta(hours=1), id="just-closed"),
        pytest.param(STOP - timedelta(seconds=1), timedelta(hours=1), id="before-stop"),
        pytest.param(STOP, None, id="at-stop"),
        pytest.param(STOP + timedelta(days=30), None, id="long-after-stop"),
    ],
)
def test_poll_delay_stops_after_close(closed_for: timedelta, delay: timedelta | None) -> None:
    assert poll_delay(age=timedelta(days=2), closed_for=closed_for, stop_after=STOP) == delay


def test_poll_delay_never_exceeds_twelve_hours() -> None:
    for days in range(60):
        delay = poll_delay(age=timedelta(days=days, hours=5), closed_for=None, stop_after=STOP)
        assert delay is not None and timedelta(minutes=15) <= delay <= timedelta(hours=12)


# --- the bot's own comments ------------------------------------------------------------------------------------

FINDING = Marker("finding", "deepseek", "0123456789abcdef", "abcd", "0123456789abcdef")
SUMMARY = Marker("summary", "deepseek", "0123456789abcdef", "abcd", "-")
NOTICE = Marker("notice", "deepseek", "0123456789abcdef", "-", "-")
BODY = "**DeepSeek V4** · 🟠 high · bug\n\nOff by one.\n" + FINDING.render()
BOT = "review-arena[bot]"
BOT_LOGINS = frozenset({BOT})


@pytest.mark.parametrize(
    ("body", "author", "is_bot", "logins", "marker"),
    [
        pytest.param(BODY, BOT, True, BOT_LOGINS, FINDING, id="finding-from-the-bot"),
        pytest.param(BODY, "other-app[bot]", True, frozenset(), FINDING, id="any-bot-when-logins-unknown"),
        pytest.param(BODY, "mallory", False, BOT_LOGINS, None, id="human-pasting-a-marker"),
        pytest.param(BODY, BOT, False, BOT_LOGINS, None, id="bot-login-not-flagged-as-bot"),
        pytest.param(BODY, "other-app[bot]", True, BOT_LOGINS, None, id="another-bot"),
        pytest.param("Summary\n" + SUMMARY.render(), BOT, True, BOT_LOGINS, None, id="summary-marker"),
        pytest.param("Notice\n" + NOTICE.render(), BOT, True, BOT_LOGINS, None, id="notice-marker"),
        pytest.param("Thanks!", BOT, True, BOT_LOGINS, None, id="no-marker"),
        pytest.param(BODY.replace(":v1", ":v2"), BOT, True, BOT_LOGINS, None, id="malformed-marker"),
    ],
)
def test_bot_marker(body: str, author: str, is_bot: bool, logins: frozenset[str], marker: Marker | None) -> None:
    assert bot_marker(body, author=author, author_is_bot=is_bot, bot_logins=logins) == marker
