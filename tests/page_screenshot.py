"""Write docs/example-page.html and docs/page-screenshot.png: ``python -m tests.page_screenshot``.

The page is `argmap page` on the shipped map with its default priors; the screenshot is taken by the
same headless Chromium as tests/test_page.py, with the network blocked.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "example-page.html"
SHOT = ROOT / "docs" / "page-screenshot.png"


def example_page_text() -> str:
    """The example page's HTML, as `argmap page docs/example-page.html` writes it."""
    from argmap.analyses.estimate import estimate
    from argmap.analyses.sensitivity import sensitivity
    from argmap.page import page_data, render_page
    from argmap.selection import select

    amap, priors = select(None, None)
    est = estimate(amap, priors, evidence=())
    return render_page(page_data(amap, priors, est, sensitivity(amap, priors, samples=1024)))


def main() -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.test_page import CHROMIUM, DRIVER

    PAGE.write_text(example_page_text(), encoding="utf-8")
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        driver.get(PAGE.as_uri())
        driver.execute_script("document.querySelector('g[role=button]:nth-of-type(30)')?.dispatchEvent("
                              "new MouseEvent('click'));")
        driver.save_screenshot(str(SHOT))
    finally:
        driver.quit()
    print(f"wrote {PAGE.relative_to(ROOT)} and {SHOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
