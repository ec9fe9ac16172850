"""Each wire format's endpoint and the aiohttp routes it serves, known before its module
loads: the app routes every provider at start, and loads a provider's module when a
request first comes for it."""

from __future__ import annotations

from ..scenario import Provider

__all__ = ["ROUTE", "ROUTES"]

_GEMINI_VERSION = "{version:v1|v1beta|v1alpha|v1beta1}"
_GEMINI_METHOD = "{method:streamGenerateContent|generateContent}"

# The endpoint as documented (a name for fingerprints, listings, upstreams).
ROUTE = {
    Provider.ANTHROPIC: "/v1/messages",
    Provider.OPENAI_CHAT: "/v1/chat/completions",
    Provider.OPENAI_RESPONSES: "/v1/responses",
    Provider.GEMINI: "/v1beta/models/{model}:streamGenerateContent",
}

# aiohttp route patterns served, in the order the app adds them; `{model}`-style
# captures go to Call.
ROUTES: dict[Provider, tuple[str, ...]] = {
    Provider.ANTHROPIC: (ROUTE[Provider.ANTHROPIC],),
    Provider.OPENAI_CHAT: (ROUTE[Provider.OPENAI_CHAT],),
    Provider.OPENAI_RESPONSES: (ROUTE[Provider.OPENAI_RESPONSES],),
    Provider.GEMINI: (
        f"/{_GEMINI_VERSION}/{{collection:models|tunedModels}}/{{model}}:{_GEMINI_METHOD}",
        f"/{_GEMINI_VERSION}/projects/{{project}}/locations/{{location}}/publishers/{{publisher}}/models/{{model}}:{_GEMINI_METHOD}",
        # Vertex AI express mode (an API key, no project): google-genai calls v1beta1.
        f"/{_GEMINI_VERSION}/publishers/{{publisher}}/models/{{model}}:{_GEMINI_METHOD}",
    ),
}
