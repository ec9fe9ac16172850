"""A 10,000-frame stream's timeline: building it, rendering it, and showing it in Chromium.

    .venv/bin/python -m tests.benchmarks.bench_timeline

Prints JSON. The stream is a real run: 10,000 words in word chunks, played with no
waits to the openai SDK (Chat Completions) against MockServer. Measured: building
the `Timeline` from the journal entry, rendering `html()`, and, in headless
Chromium (Debian's, as the page tests use), the time from navigation start to the
page rendered (two animation frames after the load event: layout and paint done),
next to a plain page of the same size in bytes (one `<pre>`), so the ratio says
what the SVG and table cost beyond the bytes.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import openai

import streamrig
from streamrig import MockServer
from tests.benchmarks._stats import summary
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path

WORDS = 10_000
REPEAT = 7
LONG = {"name": "long", "reply": [{"text": "word " * WORDS}], "chunking": "words"}
RENDERED = """() => new Promise(done => {
    const measure = () => requestAnimationFrame(() => requestAnimationFrame(() => done({
        rendered_ms: performance.now(),
        load_ms: performance.getEntriesByType("navigation")[0].loadEventEnd,
        paint_ms: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime,
    })));
    document.readyState === "complete" ? measure() : addEventListener("load", measure);
})"""


def long_run() -> streamrig.JournalEntry:
    with MockServer([LONG], default="long", speed=0) as server:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="sk-bench") as client:
            for _ in client.chat.completions.create(model="m", messages=[], stream=True):
                pass
        return server.journal.last()


def timed(action, repeat: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def in_chromium(pages: dict[str, Path]) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        sys.exit("Chromium is not installed: `make browser`")
    measured: dict[str, dict[str, list[float]]] = {name: {} for name in pages}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        for _ in range(REPEAT):
            for name, path in pages.items():  # interleaved, so load falls on both alike
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(path.as_uri())
                for key, value in page.evaluate(RENDERED).items():
                    if value is not None:
                        measured[name].setdefault(key, []).append(value)
                page.close()
        browser.close()
    return {
        name: {k: summary(v)["median_ms"] for k, v in found.items()}
        for name, found in measured.items()
    }


def main() -> None:
    entry = long_run()
    build, tl = timed(lambda: streamrig.timeline(entry), REPEAT)
    render, html = timed(tl.html, REPEAT)
    folder = Path(tempfile.mkdtemp(prefix="bench_timeline-"))
    timeline_page = folder / "timeline.html"
    timeline_page.write_text(html)
    filler = "x" * (len(html.encode()) - 100)
    plain_page = folder / "plain.html"
    plain_page.write_text(f"<!DOCTYPE html><html><body><pre>{filler}</pre></body></html>")
    browser = in_chromium({"timeline": timeline_page, "plain": plain_page})
    shown, plain = browser["timeline"]["rendered_ms"], browser["plain"]["rendered_ms"]
    print(
        json.dumps(
            {
                "benchmark": "timeline",
                "frames": len(entry.frames),
                "page_bytes": len(html.encode()),
                "build": summary(build),
                "render_html": summary(render),
                "chromium_timeline_page_ms": browser["timeline"],
                "chromium_plain_page_ms": browser["plain"],
                "rendered_ratio_timeline_to_plain": round(shown / plain, 2),
                "under_one_second": shown < 1000,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
