// A client for `streamrig battery`: print the reply's text, exit non-zero when it fails.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const ask = [{ role: "user" as const, content: "Hello" }];
const provider = process.env.STREAMRIG_PROVIDER ?? "anthropic";
const timeout = 3000; // ms; base URLs and keys come from the environment

async function main(): Promise<void> {
  if (provider === "anthropic") {
    const stream = new Anthropic({ timeout }).messages.stream({ model: "claude-test", max_tokens: 1024, messages: ask });
    stream.on("text", (text) => process.stdout.write(text));
    if ((await stream.finalMessage()).stop_reason === null) throw new Error("ended before message_stop");
  } else if (provider === "openai-chat") {
    const stream = await new OpenAI({ timeout }).chat.completions.create({ model: "gpt-test", messages: ask, stream: true });
    let finish: string | null = null;
    for await (const chunk of stream) {
      process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    if (finish === null) throw new Error("ended before finish_reason");
  } else {
    const stream = new OpenAI({ timeout }).responses.stream({ model: "gpt-test", input: "Hello" });
    stream.on("response.output_text.delta", (event) => process.stdout.write(event.delta));
    const response = await stream.finalResponse();
    if (response.status !== "completed") throw new Error(`response ${response.status}`);
  }
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
