"""Browser tests: Playwright for Python driving Debian's chromium against a live server.

No test tool downloads a browser. When /usr/bin/chromium is missing the browser
tests are skipped with a message, unless HUBNET_REQUIRE_BROWSER=1 (set by
.ci/run, which installs chromium), when they fail instead.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HUBNET_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1.min.js"
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}

# Playwright's sync API runs an event loop in this thread; the test's own ORM
# calls are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("HUBNET_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # bypass_csp: axe-core is injected as an inline script. The policy itself is exercised
    # by tests/e2e/test_content_security_policy.py, which does not bypass it.
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def open_as(browser, live_server):
    """open_as(username, *, viewport=LAPTOP, csp=False, **context_options): a new page
    signed in as `username`. With `csp` the page runs under its Content-Security-Policy and
    any violation fails the test (axe, injected inline, cannot run there); without, the
    policy is bypassed so axe can run."""
    contexts, violations = [], []

    def open_page(username, *, viewport=LAPTOP, csp=False, **options):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.url, bypass_csp=not csp, **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if csp:
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
        from tests.e2e.test_sign_in import sign_in  # here: that module imports this one

        sign_in(page, username)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert violations == []


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[str]:
    """WCAG 2.1 A and AA violations axe-core finds on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
