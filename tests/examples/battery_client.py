"""A client for `streamrig battery`: print the reply's text, exit non-zero when it fails."""

import os

ask = [{"role": "user", "content": "Hello"}]
if os.environ.get("STREAMRIG_PROVIDER", "anthropic") == "anthropic":
    import anthropic  # ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY come from the battery

    with anthropic.Anthropic(timeout=3.0).messages.stream(
        model="claude-test", max_tokens=1024, messages=ask
    ) as stream:
        for text in stream.text_stream:
            print(text, end="", flush=True)
    if stream.get_final_message().stop_reason is None:  # a clean early end raises nothing
        raise SystemExit("the stream ended before message_stop")
else:
    import openai  # OPENAI_BASE_URL and OPENAI_API_KEY

    with openai.OpenAI(timeout=3.0).chat.completions.stream(model="gpt-test", messages=ask) as s:
        for event in s:
            if event.type == "content.delta":
                print(event.delta, end="", flush=True)
    if s.get_final_completion().choices[0].finish_reason is None:
        raise SystemExit("the stream ended before its finish_reason")
