// reference.mjs encodes texts with Hugging Face's own JavaScript
// tokenizers (@huggingface/tokenizers), the second implementation the
// agreement test of llm/tokenizer/hf compares token ids with.
//
//   node reference.mjs NODE_MODULES MODEL_DIR [REPEAT [special]] < texts.json
//
// texts.json is a JSON array of strings. It prints one JSON object:
// {"ids": [[id, ...], ...], "seconds": S, "special": [[id, ...], ...]},
// the ids of each text encoded with add_special_tokens=false, the seconds
// that encoding took (of REPEAT passes over all the texts, default 1,
// after one warm-up pass), and, when the fourth argument is "special",
// the ids with add_special_tokens=true.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, modelDir, repeatArg, specialArg] = process.argv.slice(2);
const { Tokenizer } = await import(pathToFileURL(join(nodeModules, "@huggingface/tokenizers/dist/tokenizers.mjs")).href);
const json = JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8"));
const config = JSON.parse(readFileSync(join(modelDir, "tokenizer_config.json"), "utf8"));
const tokenizer = new Tokenizer(json, config);
const texts = JSON.parse(readFileSync(0, "utf8"));
const encode = (t) => tokenizer.encode(t, { add_special_tokens: false }).ids;

const ids = texts.map(encode);
const repeat = Number(repeatArg || 1);
const start = process.hrtime.bigint();
for (let r = 0; r < repeat; r++) {
  for (const t of texts) encode(t);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const special = specialArg === "special" ? texts.map((t) => tokenizer.encode(t, { add_special_tokens: true }).ids) : null;
process.stdout.write(JSON.stringify({ ids, seconds, special }));
