// What each Node SDK does with a truncated, stalled, reset, errored and malformed stream. Prints one JSON line per
// (api, scenario): {"api", "scenario", "outcome": "raised" | "resolved" | "hung", "detail", "ms"}.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const root = process.env.STREAMRIG_SERVER!;
const timeout = 1000; // the SDKs' own timeout, ms
const patience = 4000; // past this, the call counts as hung
const ask = [{ role: "user" as const, content: "Hello" }];

const apis: Record<string, (base: string) => Promise<string>> = {
  "anthropic messages.stream": async (base) => {
    const client = new Anthropic({ baseURL: base, apiKey: "k", timeout, maxRetries: 0 });
    const message = await client.messages.stream({ model: "m", max_tokens: 50, messages: ask }).finalMessage();
    return `stop_reason ${message.stop_reason}`;
  },
  "openai chat.completions.stream": async (base) => {
    const client = new OpenAI({ baseURL: base + "/v1", apiKey: "k", timeout, maxRetries: 0 });
    const completion = await client.chat.completions.stream({ model: "m", messages: ask }).finalChatCompletion();
    return `finish_reason ${completion.choices[0]?.finish_reason}`;
  },
  "openai chat.completions.create(stream)": async (base) => {
    const client = new OpenAI({ baseURL: base + "/v1", apiKey: "k", timeout, maxRetries: 0 });
    let finish: string | null = null;
    for await (const chunk of await client.chat.completions.create({ model: "m", messages: ask, stream: true })) {
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    return `finish_reason ${finish}`;
  },
  "openai responses.stream": async (base) => {
    const client = new OpenAI({ baseURL: base + "/v1", apiKey: "k", timeout, maxRetries: 0 });
    const response = await client.responses.stream({ model: "m", input: "Hello" }).finalResponse();
    return `status ${response.status}`;
  },
};

async function probe(api: string, scenario: string): Promise<void> {
  const started = Date.now();
  let outcome: string;
  let detail: string;
  try {
    const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("__hung__")), patience));
    detail = await Promise.race([apis[api]!(`${root}/s/${scenario}`), hung]);
    outcome = "resolved";
  } catch (error) {
    detail = String(error);
    outcome = detail.includes("__hung__") ? "hung" : "raised";
  }
  console.log(JSON.stringify({ api, scenario, outcome, detail, ms: Date.now() - started }));
}

const runs = Object.keys(apis).flatMap((api) => ["truncated_stream", "stalled_stream", "connection_reset", "overloaded_mid_stream", "malformed_stream"].map((s) => probe(api, s)));
Promise.all(runs).then(() => process.exit(0));
