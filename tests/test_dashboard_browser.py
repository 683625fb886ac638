"""Specification of the dashboard in a real browser: headless Chromium (Debian's ``chromium`` driven through its
``chromedriver`` by Selenium) loads the page from the real receiver, and the chart data read back from the DOM
must equal the report's numbers. A screenshot is kept in ``tests/artifacts/``.

Chromium is required, not optional: CI installs it (``.ci/run``), and a missing browser fails with the command.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine

from bot.core.stats_report import build_report
from bot.service import build_receiver
from bot.stats_queries import StatsFilter, load_input
from bot.stats_trend import load_trend
from tests.dashboard_data import TOKEN, chart_rows, expected, receiver_env, seeded_engine, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOT = ARTIFACTS / "dashboard.png"
INSTALL = "apt-get install -y --no-install-recommends chromium chromium-driver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1280,900")
# every mark of every chart with its data-* attributes (the prefix dropped), as the tests' HTML parser reads them
READ_MARKS = """
return Array.from(document.querySelectorAll('svg[data-chart] .mark')).map((el) => {
  const found = {chart: el.closest('svg').getAttribute('data-chart')};
  for (const name of el.getAttributeNames()) {
    if (name.startsWith('data-')) found[name.slice(5)] = el.getAttribute(name);
  }
  return found;
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"headless Chromium is required but {', '.join(missing)} is missing; install it: {INSTALL}")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser')}/stats.db"
    engine = seeded_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(database: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = receiver_env(database[0], str(tmp_path_factory.mktemp("broker")), REVIEW_ARENA_DASHBOARD_TOKEN=TOKEN)
    with serving(build_receiver(env)) as url:
        yield url


def open_page(browser: webdriver.Chrome, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")


def charts_for(engine: Engine, f: StatsFilter) -> dict[str, list[tuple[object, ...]]]:
    return expected(build_report(load_input(engine, f), seed=0, filters=f.described()), load_trend(engine, f))


def marks(browser: webdriver.Chrome) -> list[dict[str, str]]:
    found: list[dict[str, str]] = browser.execute_script(READ_MARKS)
    return found


def test_the_charts_in_chromium_show_the_reports_numbers(
    browser: webdriver.Chrome, base_url: str, database: tuple[str, Engine]
) -> None:
    open_page(browser, f"{base_url}/dashboard?token={TOKEN}")
    shown = chart_rows(marks(browser))
    assert shown == charts_for(database[1], StatsFilter())
    assert set(shown) == {"acceptance", "head-to-head", "cost", "cost-per-pr", "trend"}


def test_the_page_loads_nothing_from_outside_the_app(browser: webdriver.Chrome, base_url: str) -> None:
    open_page(browser, f"{base_url}/dashboard?token={TOKEN}")
    loaded: list[str] = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded == [f"{base_url}/dashboard/static/dashboard.css"]
    border: str = browser.execute_script(
        "return getComputedStyle(document.querySelector('figure.chart')).borderTopStyle"
    )
    assert border == "solid"  # the stylesheet applied
    logged: list[dict[str, Any]] = browser.get_log("browser")
    assert [entry["message"] for entry in logged if entry["level"] == "SEVERE"] == []  # no CSP or load errors


def test_the_filter_form_narrows_the_charts(
    browser: webdriver.Chrome, base_url: str, database: tuple[str, Engine]
) -> None:
    open_page(browser, f"{base_url}/dashboard?token={TOKEN}")
    browser.find_element(By.CSS_SELECTOR, "form.filters input[name=contender]").send_keys("openai")
    browser.find_element(By.CSS_SELECTOR, "form.filters input[name=severity]").send_keys("high")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 20).until(lambda b: "contender=openai" in b.current_url)
    open_page(browser, browser.current_url)
    assert chart_rows(marks(browser)) == charts_for(database[1], StatsFilter(contender="openai", severity="high"))
    assert "contender = openai" in browser.find_element(By.CSS_SELECTOR, "p.shown").text


def test_a_screenshot_of_the_dashboard_is_kept(browser: webdriver.Chrome, base_url: str) -> None:
    open_page(browser, f"{base_url}/dashboard?token={TOKEN}")
    height: int = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height + 40, 900), 8000))
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
