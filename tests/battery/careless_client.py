"""A careless streaming client: reads Anthropic text deltas with plain HTTP, and
takes whatever arrives as the whole reply (no check of message_stop), and on a
429/529 tries again at once (no look at retry-after)."""

import json
import os

import httpx2 as httpx

body = {
    "model": "m",
    "max_tokens": 1024,
    "stream": True,
    "messages": [{"role": "user", "content": "Hi"}],
}
for _ in range(3):
    with httpx.stream(
        "POST", os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages", json=body, timeout=3
    ) as response:
        if response.status_code in (429, 529):
            continue  # again, right away
        for line in response.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event["type"] == "content_block_delta" and "text" in event["delta"]:
                    print(event["delta"]["text"], end="", flush=True)
        break
