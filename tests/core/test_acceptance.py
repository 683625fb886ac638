"""The published definition of "accepted": one row per situation, each naming the rule of ``RULES`` that decides.

Times are hours after the comment was posted. Unless a row says otherwise, signals come from ``maria`` (a
MEMBER) on a pull request opened by ``alex`` that is still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.acceptance import (
    RULES,
    Kind,
    Policy,
    PullFacts,
    Role,
    Signal,
    Verdict,
    VerdictClass,
    classify,
    counted,
    role_of,
)

README = Path(__file__).resolve().parents[2] / "README.md"
README_SECTION = '## Acceptance: what "accepted" means'

POSTED = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)
POLICY = Policy(ignore_after=WINDOW, bot_logins=frozenset({"review-arena-app"}))

UP, DOWN = Kind.THUMBS_UP, Kind.THUMBS_DOWN
ACCEPT, REJECT = Kind.ACCEPT_COMMAND, Kind.REJECT_COMMAND
RESOLVED, SUGGESTION, LINES = Kind.RESOLVED, Kind.SUGGESTION_APPLIED, Kind.LINES_CHANGED


def h(hours: float) -> datetime:
    return POSTED + timedelta(hours=hours)


def by(
    kind: Kind,
    hours: float,
    *,
    actor: str = "maria",
    association: str = "MEMBER",
    is_bot: bool = False,
    retracted: bool = False,
) -> Signal:
    """A person's action: a reaction, a command or a resolution."""
    return Signal(kind, actor, association, h(hours), actor_is_bot=is_bot, retracted=retracted)


def reply(polarity: str, hours: float, *, actor: str = "maria", association: str = "MEMBER") -> Signal:
    return Signal(Kind.REPLY, actor, association, h(hours), value=polarity)


def code(kind: Kind, hours: float, *, actor: str = "", is_bot: bool = False) -> Signal:
    """A fact about a later commit: the commented lines changed, or the suggestion was applied."""
    return Signal(kind, actor, "", h(hours), actor_is_bot=is_bot, value="abc1234")


OPEN = PullFacts(author="alex")
PUSHED_AFTER = PullFacts(author="alex", pushed_at=(h(-3), h(2)))
PUSHED_BEFORE = PullFacts(author="alex", pushed_at=(h(-3), h(-1)))
CLOSED_AT = h(10)
CLOSED = PullFacts(author="alex", closed_at=CLOSED_AT)
MERGED = PullFacts(author="alex", closed_at=CLOSED_AT, merged=True)
WINDOW_PASSED = CLOSED_AT + WINDOW
WINDOW_OPEN = CLOSED_AT + WINDOW - timedelta(seconds=1)
NOW = h(1000)


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    signals: tuple[Signal, ...]
    expected: Verdict
    pull: PullFacts = OPEN
    policy: Policy = POLICY
    now: datetime = NOW

    def classify(self) -> Verdict:
        return classify(self.signals, posted_at=POSTED, pull=self.pull, policy=self.policy, now=self.now)


def case(
    id: str,
    signals: list[Signal],
    verdict: VerdictClass,
    rule: str,
    at: datetime | None,
    *,
    pull: PullFacts = OPEN,
    policy: Policy = POLICY,
    now: datetime = NOW,
) -> Case:
    return Case(id, tuple(signals), Verdict(verdict, rule, at), pull, policy, now)


def table(cases: list[Case]) -> list[object]:
    return [pytest.param(c, id=c.id) for c in cases]


# --- precedence: the rules in RULES order, and who wins a conflict ---------------------------------------------

PRECEDENCE = [
    # command
    case("accept-command", [by(ACCEPT, 1)], "accepted", "command", h(1)),
    case("reject-command", [by(REJECT, 1)], "rejected", "command", h(1)),
    case("accept-command-beats-later-thumbs-down", [by(ACCEPT, 1), by(DOWN, 2)], "accepted", "command", h(1)),
    case("accept-command-beats-earlier-thumbs-down", [by(DOWN, 1), by(ACCEPT, 2)], "accepted", "command", h(2)),
    case("reject-command-beats-thumbs-up", [by(UP, 1), by(REJECT, 2)], "rejected", "command", h(2)),
    case("reject-command-beats-suggestion-applied", [code(SUGGESTION, 1), by(REJECT, 2)], "rejected", "command", h(2)),
    case("latest-command-wins-reject", [by(ACCEPT, 1), by(REJECT, 2)], "rejected", "command", h(2)),
    case("latest-command-wins-accept", [by(REJECT, 1), by(ACCEPT, 2)], "accepted", "command", h(2)),
    case(
        "latest-command-wins-in-time-not-list-order",
        [by(ACCEPT, 3, actor="omar", association="OWNER"), by(REJECT, 2)],
        "accepted",
        "command",
        h(3),
    ),
    # suggestion
    case("suggestion-applied", [code(SUGGESTION, 2)], "accepted", "suggestion", h(2)),
    case("suggestion-beats-thumbs-down", [code(SUGGESTION, 2), by(DOWN, 3)], "accepted", "suggestion", h(2)),
    case("suggestion-beats-lines-changed", [code(LINES, 2), code(SUGGESTION, 2)], "accepted", "suggestion", h(2)),
    case(
        "suggestion-first-application-dates-it",
        [code(SUGGESTION, 5), code(SUGGESTION, 2)],
        "accepted",
        "suggestion",
        h(2),
    ),
    # reaction
    case("thumbs-up", [by(UP, 1)], "accepted", "reaction", h(1)),
    case("thumbs-down", [by(DOWN, 1)], "rejected", "reaction", h(1)),
    case(
        "thumbs-up-then-thumbs-down-latest-wins",
        [by(UP, 1), by(DOWN, 2, actor="omar", association="OWNER")],
        "rejected",
        "reaction",
        h(2),
    ),
    case(
        "thumbs-down-then-thumbs-up-latest-wins",
        [by(DOWN, 1, actor="omar", association="OWNER"), by(UP, 2)],
        "accepted",
        "reaction",
        h(2),
    ),
    case("thumbs-down-beats-lines-changed", [code(LINES, 1), by(DOWN, 2)], "rejected", "reaction", h(2)),
    case("thumbs-up-beats-lines-changed", [by(UP, 1), code(LINES, 2)], "accepted", "reaction", h(1)),
    case(
        "thumbs-up-beats-resolved-with-negative-reply",
        [reply("negative", 1), by(RESOLVED, 2), by(UP, 3)],
        "accepted",
        "reaction",
        h(3),
    ),
    # lines
    case("lines-changed", [code(LINES, 2)], "addressed", "lines", h(2)),
    case("lines-changed-first-change-dates-it", [code(LINES, 6), code(LINES, 2)], "addressed", "lines", h(2)),
    case(
        "lines-changed-beats-resolved-with-negative-reply",
        [reply("negative", 1), by(RESOLVED, 2), code(LINES, 3)],
        "addressed",
        "lines",
        h(3),
    ),
    case("lines-changed-on-a-closed-pull-after-the-window", [code(LINES, 2)], "addressed", "lines", h(2), pull=MERGED),
    # open
    case("nothing-yet", [], "pending", "open", None),
    case("positive-reply-alone", [reply("positive", 1)], "pending", "open", None),
    case("push-after-the-comment-alone", [], "pending", "open", None, pull=PUSHED_AFTER),
]

# --- thread resolution: resolved alone is not enough -----------------------------------------------------------

RESOLUTION = [
    case(
        "resolved-with-negative-reply",
        [reply("negative", 1), by(RESOLVED, 2)],
        "rejected",
        "resolved-negative",
        h(2),
    ),
    case(
        "resolved-then-negative-reply-dated-by-the-reply",
        [by(RESOLVED, 1), reply("negative", 3)],
        "rejected",
        "resolved-negative",
        h(3),
    ),
    case(
        "resolved-negative-beats-resolved-after-push",
        [reply("negative", 1), by(RESOLVED, 3)],
        "rejected",
        "resolved-negative",
        h(3),
        pull=PUSHED_AFTER,
    ),
    case(
        "resolved-by-one-maintainer-negative-reply-by-another",
        [reply("negative", 1, actor="omar", association="OWNER"), by(RESOLVED, 2)],
        "rejected",
        "resolved-negative",
        h(2),
    ),
    case("negative-reply-without-resolution", [reply("negative", 1)], "pending", "open", None),
    case("resolved-with-positive-reply", [reply("positive", 1), by(RESOLVED, 2)], "pending", "open", None),
    case("resolved-with-neutral-reply", [reply("neutral", 1), by(RESOLVED, 2)], "pending", "open", None),
    case(
        "resolved-and-push-after-the-comment",
        [by(RESOLVED, 3)],
        "addressed",
        "resolved-change",
        h(3),
        pull=PUSHED_AFTER,
    ),
    case(
        "resolved-before-the-push-still-addressed",
        [by(RESOLVED, 1)],
        "addressed",
        "resolved-change",
        h(1),
        pull=PUSHED_AFTER,
    ),
    case(
        "resolved-and-push-after-with-positive-reply",
        [reply("positive", 1), by(RESOLVED, 3)],
        "addressed",
        "resolved-change",
        h(3),
        pull=PUSHED_AFTER,
    ),
    case("resolved-and-push-only-before-the-comment", [by(RESOLVED, 3)], "pending", "open", None, pull=PUSHED_BEFORE),
    case("resolved-no-change-no-reply", [by(RESOLVED, 3)], "pending", "open", None),
]

# --- closing: ignored only once the pull request has closed and the window has passed --------------------------

CLOSING = [
    case("open-pull-never-ignored", [], "pending", "open", None, now=h(24 * 365)),
    case("closed-window-not-passed", [], "pending", "open", None, pull=CLOSED, now=WINDOW_OPEN),
    case("closed-window-passed", [], "ignored", "closed", WINDOW_PASSED, pull=CLOSED, now=WINDOW_PASSED),
    case("merged-window-passed", [], "ignored", "closed", WINDOW_PASSED, pull=MERGED, now=WINDOW_PASSED),
    case("merged-window-not-passed", [], "pending", "open", None, pull=MERGED, now=WINDOW_OPEN),
    case(
        "resolved-no-change-no-reply-then-closed",
        [by(RESOLVED, 3)],
        "ignored",
        "closed",
        WINDOW_PASSED,
        pull=CLOSED,
        now=WINDOW_PASSED,
    ),
    case(
        "negative-reply-then-closed",
        [reply("negative", 3)],
        "ignored",
        "closed",
        WINDOW_PASSED,
        pull=MERGED,
        now=WINDOW_PASSED,
    ),
    case(
        "custom-window",
        [],
        "ignored",
        "closed",
        CLOSED_AT + timedelta(days=1),
        pull=CLOSED,
        policy=Policy(ignore_after=timedelta(days=1)),
        now=CLOSED_AT + timedelta(days=1),
    ),
    case("a-decision-before-closing-stands", [by(UP, 2)], "accepted", "reaction", h(2), pull=MERGED, now=NOW),
]

# --- retractions: a reaction taken back or a thread unresolved no longer counts --------------------------------

RETRACTED = [
    case("thumbs-up-removed", [by(UP, 1, retracted=True)], "pending", "open", None),
    case(
        "thumbs-down-removed-earlier-thumbs-up-stands",
        [by(UP, 1), by(DOWN, 2, retracted=True)],
        "accepted",
        "reaction",
        h(1),
    ),
    case(
        "thumbs-up-removed-thumbs-down-stands", [by(DOWN, 1), by(UP, 2, retracted=True)], "rejected", "reaction", h(1)
    ),
    case("thread-unresolved-after-push", [by(RESOLVED, 3, retracted=True)], "pending", "open", None, pull=PUSHED_AFTER),
    case(
        "thread-unresolved-with-negative-reply",
        [reply("negative", 1), by(RESOLVED, 2, retracted=True)],
        "pending",
        "open",
        None,
    ),
    case(
        "thread-resolved-again",
        [by(RESOLVED, 2, retracted=True), by(RESOLVED, 4)],
        "addressed",
        "resolved-change",
        h(4),
        pull=PUSHED_AFTER,
    ),
    case("command-deleted", [by(ACCEPT, 1, retracted=True), by(DOWN, 2)], "rejected", "reaction", h(2)),
]

# --- trust: whose actions count --------------------------------------------------------------------------------

AUTHOR_COUNTS = Policy(count_pr_author=True, bot_logins=POLICY.bot_logins)
CONTRIBUTORS_TRUSTED = Policy(trusted=frozenset({"CONTRIBUTOR"}))

TRUST = [
    *(
        case(
            f"thumbs-up-from-{a.lower()}-counts", [by(UP, 1, actor="omar", association=a)], "accepted", "reaction", h(1)
        )
        for a in ("OWNER", "MEMBER", "COLLABORATOR")
    ),
    *(
        case(
            f"thumbs-up-from-{a.lower()}-does-not-count",
            [by(UP, 1, actor="dana", association=a)],
            "pending",
            "open",
            None,
        )
        for a in ("NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN")
    ),
    case(
        "outsider-thumbs-up-does-not-override-maintainer-thumbs-down",
        [by(DOWN, 1), by(UP, 2, actor="dana", association="CONTRIBUTOR")],
        "rejected",
        "reaction",
        h(1),
    ),
    case(
        "outsider-command-does-not-count",
        [by(ACCEPT, 2, actor="dana", association="NONE"), by(DOWN, 1)],
        "rejected",
        "reaction",
        h(1),
    ),
    case(
        "outsider-resolution-does-not-count",
        [by(RESOLVED, 3, actor="dana", association="NONE")],
        "pending",
        "open",
        None,
        pull=PUSHED_AFTER,
    ),
    case(
        "outsider-negative-reply-does-not-count",
        [reply("negative", 1, actor="dana", association="NONE"), by(RESOLVED, 2)],
        "pending",
        "open",
        None,
    ),
    case(
        "pr-author-thumbs-up-kept-apart", [by(UP, 1, actor="alex", association="CONTRIBUTOR")], "pending", "open", None
    ),
    case("pr-author-who-is-owner-kept-apart", [by(UP, 1, actor="alex", association="OWNER")], "pending", "open", None),
    case("pr-author-command-kept-apart", [by(REJECT, 1, actor="alex", association="MEMBER")], "pending", "open", None),
    case(
        "pr-author-thumbs-up-counts-when-configured",
        [by(UP, 1, actor="alex", association="CONTRIBUTOR")],
        "accepted",
        "reaction",
        h(1),
        policy=AUTHOR_COUNTS,
    ),
    case(
        "pr-author-resolution-counts-when-configured",
        [by(RESOLVED, 3, actor="alex", association="CONTRIBUTOR")],
        "addressed",
        "resolved-change",
        h(3),
        pull=PUSHED_AFTER,
        policy=AUTHOR_COUNTS,
    ),
    case(
        "bot-flagged-reaction-never-counts",
        [by(UP, 1, actor="helper", association="OWNER", is_bot=True)],
        "pending",
        "open",
        None,
    ),
    case(
        "bot-login-reaction-never-counts",
        [by(UP, 1, actor="review-arena-app", association="OWNER")],
        "pending",
        "open",
        None,
    ),
    case(
        "bot-suffix-reaction-never-counts",
        [by(UP, 1, actor="review-arena[bot]", association="OWNER")],
        "pending",
        "open",
        None,
    ),
    case(
        "bot-never-counts-even-with-author-counted",
        [by(DOWN, 1, actor="renovate[bot]", association="NONE")],
        "pending",
        "open",
        None,
        pull=PullFacts(author="renovate[bot]"),
        policy=AUTHOR_COUNTS,
    ),
    case(
        "bot-command-never-counts",
        [by(ACCEPT, 1, actor="review-arena[bot]", association="OWNER")],
        "pending",
        "open",
        None,
    ),
    case(
        "custom-trusted-set-counts-its-members",
        [by(UP, 1, actor="dana", association="CONTRIBUTOR")],
        "accepted",
        "reaction",
        h(1),
        policy=CONTRIBUTORS_TRUSTED,
    ),
    case(
        "custom-trusted-set-drops-the-defaults",
        [by(UP, 1, association="MEMBER")],
        "pending",
        "open",
        None,
        policy=CONTRIBUTORS_TRUSTED,
    ),
    case(
        "code-fact-from-a-bot-push-counts",
        [code(LINES, 2, actor="dependabot[bot]", is_bot=True)],
        "addressed",
        "lines",
        h(2),
    ),
    case("code-fact-from-the-pr-author-counts", [code(SUGGESTION, 2, actor="alex")], "accepted", "suggestion", h(2)),
]

ALL_CASES = PRECEDENCE + RESOLUTION + CLOSING + RETRACTED + TRUST


@pytest.mark.parametrize("c", table(PRECEDENCE))
def test_first_matching_rule_decides(c: Case) -> None:
    assert c.classify() == c.expected


@pytest.mark.parametrize("c", table(RESOLUTION))
def test_thread_resolution_needs_a_push_or_a_negative_reply(c: Case) -> None:
    assert c.classify() == c.expected


@pytest.mark.parametrize("c", table(CLOSING))
def test_comment_is_ignored_once_closed_for_the_window(c: Case) -> None:
    assert c.classify() == c.expected


@pytest.mark.parametrize("c", table(RETRACTED))
def test_retracted_signals_do_not_count(c: Case) -> None:
    assert c.classify() == c.expected


@pytest.mark.parametrize("c", table(TRUST))
def test_only_trusted_people_and_code_count(c: Case) -> None:
    assert c.classify() == c.expected


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids))


def test_every_rule_is_reached_by_the_table() -> None:
    reached = {c.classify().rule for c in ALL_CASES}
    assert reached == {rule for rule, _, _ in RULES}


def test_every_verdict_class_is_reached_by_the_table() -> None:
    reached = {c.classify().verdict for c in ALL_CASES}
    assert reached == {"accepted", "addressed", "rejected", "ignored", "pending"}


@pytest.mark.parametrize("c", table(ALL_CASES))
def test_verdict_is_dated_by_the_signal_that_decided_it(c: Case) -> None:
    verdict = c.classify()
    live_times = {s.at for s in counted(c.signals, c.pull, c.policy)}
    if verdict.rule == "open":
        assert verdict.at is None
    elif verdict.rule == "closed":
        assert c.pull.closed_at is not None
        assert verdict.at == c.pull.closed_at + c.policy.ignore_after
    else:
        assert verdict.at in live_times


def test_rule_verdicts_match_the_table() -> None:
    for c in ALL_CASES:
        verdict = c.classify()
        rule_verdicts = next(v for rule, v, _ in RULES if rule == verdict.rule)
        assert verdict.verdict in rule_verdicts.split("|"), c.id


def test_signal_order_in_the_input_does_not_matter() -> None:
    signals = [by(UP, 1), by(DOWN, 3), code(LINES, 2)]
    for order in (signals, signals[::-1], [signals[1], signals[0], signals[2]]):
        assert classify(order, posted_at=POSTED, pull=OPEN, policy=POLICY, now=NOW) == Verdict(
            "rejected", "reaction", h(3)
        )


# --- roles -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "policy", "role"),
    [
        pytest.param(by(UP, 1, association="MEMBER"), POLICY, Role.MAINTAINER, id="member"),
        pytest.param(by(UP, 1, association="OWNER"), POLICY, Role.MAINTAINER, id="owner"),
        pytest.param(by(UP, 1, association="COLLABORATOR"), POLICY, Role.MAINTAINER, id="collaborator"),
        pytest.param(by(UP, 1, association="CONTRIBUTOR"), POLICY, Role.OTHER, id="contributor"),
        pytest.param(by(UP, 1, association="NONE"), POLICY, Role.OTHER, id="none"),
        pytest.param(by(UP, 1, actor="alex", association="OWNER"), POLICY, Role.AUTHOR, id="author-before-trust"),
        pytest.param(by(UP, 1, actor="alex"), AUTHOR_COUNTS, Role.AUTHOR, id="author-counted-is-still-author"),
        pytest.param(by(UP, 1, actor="x", is_bot=True, association="OWNER"), POLICY, Role.BOT, id="bot-flag"),
        pytest.param(by(UP, 1, actor="review-arena-app"), POLICY, Role.BOT, id="bot-login"),
        pytest.param(by(UP, 1, actor="github-actions[bot]"), POLICY, Role.BOT, id="bot-suffix"),
        pytest.param(by(UP, 1, actor="alex", is_bot=True), POLICY, Role.BOT, id="bot-before-author"),
        pytest.param(code(LINES, 1, actor="dependabot[bot]", is_bot=True), POLICY, Role.CODE, id="code-lines"),
        pytest.param(code(SUGGESTION, 1, actor="alex"), POLICY, Role.CODE, id="code-suggestion"),
        pytest.param(by(UP, 1, association="CONTRIBUTOR"), CONTRIBUTORS_TRUSTED, Role.MAINTAINER, id="custom-trust"),
    ],
)
def test_role_of(signal: Signal, policy: Policy, role: Role) -> None:
    assert role_of(signal, OPEN, policy) == role


def test_counted_keeps_live_trusted_signals_oldest_first() -> None:
    kept = [by(UP, 1), code(LINES, 2), by(DOWN, 3)]
    dropped = [
        by(UP, 0.5, retracted=True),
        by(UP, 1.5, actor="alex"),
        by(UP, 2.5, actor="dana", association="NONE"),
        by(UP, 3.5, actor="review-arena[bot]"),
    ]
    assert counted([kept[2], *dropped, kept[1], kept[0]], OPEN, POLICY) == kept


# --- the README publishes the same rules -----------------------------------------------------------------------


def readme_rule_rows() -> list[tuple[str, str, str]]:
    """The rows of the rule table in the README's acceptance section: (rule id, verdict, condition)."""
    text = README.read_text(encoding="utf-8")
    assert README_SECTION in text
    section = text.split(README_SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.append((cells[1].strip("`"), cells[2], cells[3]))
    return rows


def test_readme_lists_the_rule_ids_in_order() -> None:
    assert [rule for rule, _, _ in readme_rule_rows()] == [rule for rule, _, _ in RULES]


def test_readme_states_each_rule_as_defined() -> None:
    readme = [(verdict.split(" or "), condition) for _, verdict, condition in readme_rule_rows()]
    assert readme == [(verdict.split("|"), condition) for _, verdict, condition in RULES]
