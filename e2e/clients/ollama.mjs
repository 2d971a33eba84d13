// Drives the gateway with the official `ollama` npm client, pointed at it
// the way a user would: host, and the key as an Authorization header (the
// client sends OLLAMA_API_KEY only to https://ollama.com). One JSON line a
// call; exits 1 if any call failed. Environment: see lib.mjs.
import { Ollama } from 'ollama';

import { call, check, expectError, finish, gateway, recordingFetch } from './lib.mjs';

const model = gateway.model();
const host = gateway.url();
const client = new Ollama({ host, headers: { Authorization: `Bearer ${gateway.key()}` }, fetch: recordingFetch });
const messages = [{ role: 'user', content: 'Tell me about the war.' }];
const options = { num_predict: Number(process.env.FORENSICS_MAX_TOKENS || 60) };
const C = 'ollama-js';

await call(C, 'list', async () => {
  const r = await client.list();
  const names = r.models.map((m) => m.name);
  check(names.some((n) => n === model || n === `${model}:latest`), `${model} not in ${JSON.stringify(names)}`);
  return { detail: `${names.length} models` };
});

await call(C, 'show', async () => {
  const r = await client.show({ model });
  check(r.details && r.details.family, `no details: ${JSON.stringify(r).slice(0, 200)}`);
  return { detail: `${r.details.family} ${r.details.parameter_size}` };
});

await call(C, 'ps', async () => {
  const r = await client.ps();
  check(Array.isArray(r.models), 'no models array');
  return { detail: `${r.models.length} running` };
});

await call(C, 'version', async () => {
  const r = await client.version();
  check(typeof r.version === 'string' && r.version.length > 0, 'no version');
  return { detail: r.version };
});

await call(C, 'generate', async () => {
  const r = await client.generate({ model, prompt: 'The letter said', stream: false, options });
  check(r.done && r.response.length > 0, 'no response');
  return { detail: `${r.eval_count} tokens, ${r.done_reason}`, text: r.response };
});

await call(C, 'generate stream', async () => {
  let text = '';
  let last = null;
  for await (const part of await client.generate({ model, prompt: 'The letter said', stream: true, options })) {
    text += part.response;
    last = part;
  }
  check(text.length > 0 && last && last.done, 'no text or no final part');
  return { detail: `${last.eval_count} tokens`, text };
});

await call(C, 'chat', async () => {
  const r = await client.chat({ model, messages, stream: false, options });
  check(r.done && r.message.content.length > 0, 'no message');
  return { detail: `${r.eval_count} tokens, ${r.done_reason}`, text: r.message.content };
});

await call(C, 'chat stream', async () => {
  let text = '';
  let last = null;
  for await (const part of await client.chat({ model, messages, stream: true, options })) {
    text += part.message.content;
    last = part;
  }
  check(text.length > 0 && last && last.done, 'no text or no final part');
  return { detail: `${last.eval_count} tokens`, text };
});

await call(C, 'embed', async () => {
  const r = await client.embed({ model: gateway.embedModel(), input: ['The letter said', 'hello'] });
  check(r.embeddings.length === 2 && r.embeddings[0].length > 0, `${r.embeddings.length} embeddings`);
  return { detail: `2 × ${r.embeddings[0].length} dimensions` };
});

await call(C, 'embeddings (legacy)', async () => {
  const r = await client.embeddings({ model: gateway.embedModel(), prompt: 'The letter said' });
  check(r.embedding.length > 0, 'empty embedding');
  return { detail: `${r.embedding.length} dimensions` };
});

await call(C, 'bad key → ResponseError', async () => {
  const bad = new Ollama({ host, headers: { Authorization: 'Bearer not-a-key' }, fetch: recordingFetch });
  return expectError(() => bad.list(), (e) => {
    if (e.name !== 'ResponseError') return 'not a ResponseError';
    if (e.status_code !== 401) return 'status not 401';
    return '';
  });
});

finish();
