"""`streamrig serve --workers N`: processes sharing one port, one admin API for all."""

from __future__ import annotations

import httpx2 as httpx

from tests.test_cli import start_serve, stop

BODY = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}


def fresh_connection_post(url: str, **kwargs):
    # A new connection per request, so the kernel spreads them over the workers.
    with httpx.Client(timeout=10) as client:
        return client.post(url, **kwargs)


def test_workers_share_the_port_and_the_admin_api_answers_for_all():
    process, url = start_serve("--workers", "2", "--port", "0", "--speed", "0")
    try:
        for _ in range(24):
            assert fresh_connection_post(url + "/v1/messages", json=BODY).status_code == 200
        journal = httpx.get(url + "/_streamrig/journal").json()
        assert journal["workers"] == 2
        assert len(journal["entries"]) == 24
        assert len({entry["worker"] for entry in journal["entries"]}) == 2  # both served
        times = [entry["time"] for entry in journal["entries"]]
        assert times == sorted(times)

        # a scenario posted to one worker answers on every connection
        added = fresh_connection_post(
            url + "/_streamrig/scenarios", content="name: added\nreply: [{text: from all}]\n"
        )
        assert added.status_code == 201
        for _ in range(12):
            answer = fresh_connection_post(
                url + "/v1/messages", json=BODY, headers={"x-streamrig-scenario": "added"}
            )
            assert answer.json()["content"][0]["text"] == "from all"

        assert httpx.delete(url + "/_streamrig/journal").status_code == 204
        assert httpx.get(url + "/_streamrig/journal").json()["entries"] == []
    finally:
        took, out = stop(process)
    assert took < 5 and "Traceback" not in out


def test_the_live_pages_events_and_timelines_cover_every_worker():
    from tests.server.test_live import Events

    process, url = start_serve("--workers", "2", "--port", "0", "--speed", "0")
    try:
        events = Events(url)
        try:
            scenarios = ["short_text", "long_text"] * 8
            for name in scenarios:
                answer = fresh_connection_post(
                    url + "/v1/messages", json=BODY, headers={"x-streamrig-scenario": name}
                )
                assert answer.status_code == 200
            finished: dict[tuple[int, int], dict] = {}

            def all_done(data):
                if data["done"]:
                    finished[data["worker"], data["id"]] = data
                return len(finished) == len(scenarios)

            events.until(all_done)
            journal = httpx.get(url + "/_streamrig/journal").json()["entries"]
            assert {(e["worker"], e["id"]): e["scenario"] for e in journal} == {
                key: data["scenario"] for key, data in finished.items()
            }
            assert len({worker for worker, _ in finished}) == 2  # both served, both heard
            for (worker, entry_id), data in finished.items():
                text = httpx.get(
                    f"{url}/_streamrig/journal/{entry_id}/timeline",
                    params={"worker": worker, "format": "text"},
                )
                assert text.status_code == 200
                assert f"scenario={data['scenario']}" in text.text
            unknown = httpx.get(f"{url}/_streamrig/journal/1/timeline", params={"worker": "1"})
            assert unknown.status_code == 404
            assert "no worker '1'" in unknown.json()["error"]["message"]

            assert httpx.delete(url + "/_streamrig/journal").status_code == 204
            cleared: set[int] = set()

            def both_cleared(data):
                if "id" not in data:
                    cleared.add(data["worker"])
                return len(cleared) == 2

            events.until(both_cleared)
            assert cleared == {worker for worker, _ in finished}
        finally:
            events.close()
    finally:
        took, out = stop(process)
    assert took < 5 and "Traceback" not in out
