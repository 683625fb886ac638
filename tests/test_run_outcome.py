"""What a contender's outcome leaves behind: the "also raised by" labels of the spots it shares."""

from __future__ import annotations

from bot.core.config import settings_from
from bot.run_outcome import also_raised_for
from tests.conftest import contenders_for

SETTINGS = settings_from({"contenders": contenders_for("http://127.0.0.1:9/v1")}, source="test")


def test_each_shared_spot_names_the_other_contenders_by_label() -> None:
    labels = {c.name: c.label for c in SETTINGS.contenders}
    pairs = [("deepseek", "a" * 16, "openai", "b" * 16), ("openai", "c" * 16, "deepseek", "d" * 16)]
    assert also_raised_for(pairs, "deepseek", SETTINGS) == {
        "a" * 16: (labels["openai"],),
        "d" * 16: (labels["openai"],),
    }
    assert also_raised_for(pairs, "openai", SETTINGS) == {
        "b" * 16: (labels["deepseek"],),
        "c" * 16: (labels["deepseek"],),
    }


def test_a_spot_shared_twice_with_one_contender_names_it_once() -> None:
    pairs = [("deepseek", "a" * 16, "openai", "b" * 16), ("deepseek", "a" * 16, "openai", "e" * 16)]
    assert len(also_raised_for(pairs, "deepseek", SETTINGS)["a" * 16]) == 1


def test_an_unknown_contender_is_named_by_its_id() -> None:
    assert also_raised_for([("deepseek", "a" * 16, "gone", "b" * 16)], "deepseek", SETTINGS) == {"a" * 16: ("gone",)}
