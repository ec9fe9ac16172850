"""--streamrig-html and pytest-html, run through pytester as a user's project would run them."""

from __future__ import annotations

import re
import textwrap

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

TESTS = """
import pytest

FAULT = [{"after_events": 5, "drop": "reset"}]

@pytest.mark.streamrig("short_text", faults=FAULT)
def test_broken(anthropic_client, streamrig):
    seen = streamrig.probe()
    with anthropic_client.messages.stream(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        for event in stream:
            seen.note(event)

@pytest.mark.streamrig("short_text")
def test_two_requests(anthropic_client, openai_client, streamrig):
    anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert len(streamrig.journal) == 2
"""


INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def project(pytester):
    pytester.makeini(INI)
    pytester.makepyfile(test_runs=textwrap.dedent(TESTS))
    return pytester


def _pages(folder):
    return sorted(p.name for p in folder.glob("*.html"))


def test_failed_tests_get_a_page_whose_path_the_report_prints(project):
    # If the suite runs with --streamrig-html
    result = project.runpytest("--streamrig-html", "timelines")
    result.assert_outcomes(passed=1, failed=1)
    folder = project.path / "timelines"
    # Then only the failed test has a page, plus the index
    [page] = [name for name in _pages(folder) if name != "index.html"]
    assert page.startswith("test_runs.py_test_broken-")
    # and the failure report prints its path in its own section
    out = result.stdout.str()
    assert re.search(r"-+ streamrig timeline -+\n" + re.escape(str(folder / page)), out)
    assert f"streamrig: timelines in {folder / 'index.html'}" in out
    html = (folder / page).read_text()
    # The page holds the request with the fault, the ending and the client's receipts
    assert 'data-lane="client"' in html and "client receipts" in html
    assert "reset after_events=5" in html and 'class="srt-end srt-end-reset"' in html
    assert re.search(r"client: \d+ chunk\(s\) received, \d+ paired with frames", html)
    index = (folder / "index.html").read_text()
    assert f'href="{page}"' in index and "test_runs.py::test_broken</a> failed" in index


def test_all_gives_every_test_a_page_from_the_ini_file(project):
    # If the ini file asks for every test's page
    project.makeini(INI + "streamrig_html = out/tl\nstreamrig_html_when = all\n")
    project.runpytest().assert_outcomes(passed=1, failed=1)
    folder = project.path / "out" / "tl"
    pages = [name for name in _pages(folder) if name != "index.html"]
    assert len(pages) == 2
    two = (folder / next(p for p in pages if "two_requests" in p)).read_text()
    # Then a test's page holds every request it made
    assert two.count('<section class="srt-request"') == 2
    assert "/v1/messages" in two and "/v1/chat/completions" in two
    # The command line wins over the ini file; an earlier run's pages are cleared
    project.runpytest("--streamrig-html-when", "failed").assert_outcomes(passed=1, failed=1)
    assert len([n for n in _pages(folder) if n != "index.html"]) == 1


def test_without_the_option_no_page_is_written(project):
    result = project.runpytest("-p", "no:html")
    result.assert_outcomes(passed=1, failed=1)
    assert not list(project.path.rglob("*.html"))
    assert "streamrig timeline" not in result.stdout.str()


def test_pytest_html_report_carries_the_timeline(project):
    # If pytest-html writes a report and --streamrig-html is given too
    result = project.runpytest(
        "--html=report.html", "--self-contained-html", "--streamrig-html", "tl"
    )
    result.assert_outcomes(passed=1, failed=1)
    report = (project.path / "report.html").read_text()
    # Then the failed test's row carries the picture (escaped in pytest-html's JSON) and a link
    assert report.count("srt-lane srt-lane-client") == 1  # one test, one request
    assert "reset after_events=5" in report
    page = next(p for p in (project.path / "tl").glob("test_runs*.html"))
    assert page.as_uri() in report


def test_under_xdist_the_controller_indexes_the_pages_workers_wrote(project):
    # If the tests run on an xdist worker (the controller runs none)
    result = project.runpytest("-n", "1", "--streamrig-html", "tl", "--streamrig-html-when", "all")
    result.assert_outcomes(passed=1, failed=1)
    # Then the controller's index links the pages the worker wrote
    index = (project.path / "tl" / "index.html").read_text()
    assert index.count("<li") == 2
    assert "test_runs.py::test_broken</a> failed" in index
    assert "test_runs.py::test_two_requests</a> passed" in index
