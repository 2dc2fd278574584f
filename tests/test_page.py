"""argmap page in a real browser: headless Chromium from the system's packages, driven by Selenium.

Skipped, with the reason, where Chromium, its driver or Selenium is missing (.ci/run installs them).
Every request other than the page file itself is blocked, and the test checks none was attempted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from argmap.render import pct

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    if not CHROMIUM or not DRIVER:
        return "no Chromium and chromedriver on this machine (Debian: apt-get install chromium chromium-driver)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
        opts.add_argument(arg)  # no network: a proxy that refuses, and no name resolves
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def _argmap(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "argmap", *args], capture_output=True, text=True, cwd=cwd,
                          check=True)


def _open(browser, page: Path) -> dict[str, str]:
    """Open the page; every node's displayed expected probability."""
    from selenium.webdriver.common.by import By

    browser.get_log("performance")  # drop what earlier pages logged
    browser.get(page.as_uri())
    shown = {c.get_attribute("data-node"): c.text for c in browser.find_elements(By.CSS_SELECTOR, "td[data-node]")}
    requests = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    urls = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
    assert all(u.startswith(("file://", "data:")) for u in urls), urls  # nothing fetched
    return shown


def _exact(doc: dict) -> dict[str, str]:
    return {n: pct(s["exact_mean"]) for n, s in doc["nodes"].items()}


def test_the_shipped_maps_page_shows_the_exact_means_and_its_sliders_recompute(browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = tmp_path / "page.html"
    _argmap("page", str(page), cwd=tmp_path)
    assert page.stat().st_size < 300 * 1024
    shown = _open(browser, page)
    doc = json.loads(_argmap("estimate", "--json", cwd=tmp_path).stdout)
    assert shown == _exact(doc)
    assert '"<1%" survives' in browser.find_element(By.ID, "verdict").text
    # two sliders moved with the keyboard: the most important parameter and another
    for pid, key, presses in (("da_ft_base_goal_first", Keys.ARROW_RIGHT, 8),
                              ("opposed_optimisation", Keys.ARROW_RIGHT, 30)):
        slider = browser.find_element(By.CSS_SELECTOR, f'input[data-param="{pid}"]')
        slider.send_keys(key * presses)
    moved = {c.get_attribute("data-node"): c.text for c in browser.find_elements(By.CSS_SELECTOR, "td[data-node]")}
    assert moved != shown
    copied = tmp_path / "mine.toml"
    copied.write_text(browser.find_element(By.ID, "priors-out").get_attribute("value"))
    assert "da_ft_base_goal_first" in copied.read_text() and 'extends = "wheaton"' in copied.read_text()
    after = json.loads(_argmap("estimate", "--priors", str(copied), "--json", cwd=tmp_path).stdout)
    assert moved == _exact(after)
    verdict = browser.find_element(By.ID, "verdict").text
    assert ("does not survive" in verdict) == (after["result"]["exact_mean"] >= 0.01)
    shot = tmp_path / "page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000


def test_the_monitoring_map_and_a_200_claim_map(browser, tmp_path) -> None:
    from tests.randommaps import write_random

    page = tmp_path / "monitoring.html"
    _argmap("page", str(page), "--map", "monitoring", "--draws", "20000", cwd=tmp_path)
    doc = json.loads(_argmap("estimate", "--map", "monitoring", "--json", "--draws", "20000", cwd=tmp_path).stdout)
    assert _open(browser, page) == _exact(doc)
    assert "tests no threshold" in browser.find_element("id", "verdict").text
    m, p = write_random(tmp_path, 200, seed=1, window=8)
    big = tmp_path / "big.html"
    _argmap("page", str(big), "--map", str(m), "--priors", str(p), "--draws", "20000", cwd=tmp_path)
    doc = json.loads(_argmap("estimate", "--map", str(m), "--priors", str(p), "--json", "--draws", "20000",
                             cwd=tmp_path).stdout)
    assert _open(browser, big) == _exact(doc)
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('rect.node')].map(r => [+r.getAttribute('x'), "
        "+r.getAttribute('y'), +r.getAttribute('width'), +r.getAttribute('height')]);")
    boxes.sort()
    for i, (x, y, w, h) in enumerate(boxes):  # no two claims' boxes overlap
        for x2, y2, w2, h2 in boxes[i + 1:]:
            if x2 >= x + w:
                break
            assert not (y < y2 + h2 and y2 < y + h), ((x, y), (x2, y2))


def test_evidence_and_implied_results_are_shown_when_given(browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "ev.html"
    _argmap("page", str(page), "--evidence", "honeypots-null", "--given", "deceptive_alignment_prosaic < 1%",
            "--priors", "wheaton-ipcc-reading", "--draws", "20000", cwd=tmp_path)
    _open(browser, page)
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#extra h2")]
    assert titles == ["Given the evidence", "What the stated conclusions imply"]
    notes = " ".join(d.text for d in browser.find_elements(By.CSS_SELECTOR, "#extra .muted"))
    assert "HYPOTHETICAL" in notes and "the sliders do not move these numbers" in notes
