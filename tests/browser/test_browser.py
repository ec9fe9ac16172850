"""The browser the page tests use starts, renders a page served on 127.0.0.1, and screenshots it."""

from __future__ import annotations

from streamrig import MockServer


def test_chromium_renders_a_page_of_the_server_and_keeps_a_screenshot(page):
    with MockServer(speed=0) as server:
        page.goto(server.url + "/_streamrig/health")
        assert '"status": "ok"' in page.content() or '"status":"ok"' in page.content()
        shot = page.screenshot_as("health")
    assert shot.stat().st_size > 1000
