"""Drive the Debian ``chromium`` headlessly through ``chromedriver`` with Selenium, for tests.

Usage::

    from tests.browser import chromium_driver

    with chromium_driver() as driver:
        driver.get(url)

Nothing is downloaded: the driver and the browser are the Debian packages ``chromium`` and
``chromium-driver`` (``/usr/bin/chromium``, ``/usr/bin/chromedriver``), so Selenium Manager is
never run. When either is missing the calling test fails (it is never skipped) with a message
saying what to install; CI installs them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

#: Where the Debian packages put the browser and its driver.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

#: Flags that keep Chromium headless, quiet and off the network except for what a test opens.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--window-size=1000,900",
)


def require_chromium() -> None:
    """Fail the calling test unless the browser, its driver and Selenium are installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"headless browser test needs {', '.join(missing)}: install the Debian packages "
            "`chromium chromium-driver` (apt-get install chromium chromium-driver; CI installs "
            "them)",
            pytrace=False,
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("headless browser test needs Selenium: pip install selenium", pytrace=False)


@contextmanager
def chromium_driver(page_load_timeout_s: float = 30) -> Iterator[Chrome]:
    """A Selenium ``Chrome`` driver on headless Debian Chromium with a fresh profile.

    Yields the driver; on exit the browser is quit and its temporary profile removed. Fails the
    test (``pytest.fail``) when Chromium, chromedriver or Selenium is not installed.
    """
    require_chromium()
    from selenium.webdriver import Chrome, ChromeOptions
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cf-chromium-")
    options = ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(page_load_timeout_s)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
