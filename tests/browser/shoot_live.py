"""Makes the README's pictures of the live page: `python -m tests.browser.shoot_live`.

A few requests of each kind (a reply, tool calls on Chat Completions, a retried 429, a
reset mid-stream, one the server holds silent), one opened into its timeline, in Debian's Chromium.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import anthropic
import openai
from playwright.sync_api import sync_playwright

from streamrig import MockServer
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"


def play(server: MockServer) -> threading.Thread:
    claude = anthropic.Anthropic(base_url=server.url, api_key="test", max_retries=2, timeout=3)
    gpt = openai.OpenAI(base_url=server.openai_base_url, api_key="test", max_retries=0)
    hello = [{"role": "user", "content": "Hello"}]

    def ask(scenario: str) -> None:
        with (
            contextlib.suppress(Exception),
            claude.messages.stream(
                model="claude-test",
                max_tokens=256,
                messages=hello,
                extra_headers={"x-streamrig-scenario": scenario},
            ) as stream,
        ):
            stream.until_done()

    ask("short_text")
    for chunk in gpt.chat.completions.create(
        model="gpt-test",
        messages=hello,
        stream=True,
        extra_headers={"x-streamrig-scenario": "tool_after_text"},
    ):
        del chunk
    ask("rate_limited_then_ok")
    ask("connection_reset")
    ask("realistic_pace")
    playing = threading.Thread(target=ask, args=("stalled_stream",))
    playing.start()
    return playing


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with MockServer() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(server.url + "/_streamrig/")
        page.wait_for_selector("#conn.live")
        playing = play(server)
        time.sleep(0.6)
        realistic = next(e for e in server.journal.entries() if e.scenario == "realistic_pace")
        page.locator(f'#requests tbody tr[data-key="{realistic.id}"]').click()
        page.frame_locator("#timeline").locator("svg.srt-timeline").wait_for()
        time.sleep(0.3)
        page.screenshot(path=str(OUT / "live.png"))
        playing.join()
        browser.close()
    print(OUT / "live.png")


if __name__ == "__main__":
    main()
