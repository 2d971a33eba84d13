// Drives the gateway with the official `openai` npm client, pointed at it
// the way a user would (baseURL and apiKey), retries off. One JSON line a
// call; exits 1 if any call failed. Environment: see lib.mjs.
import OpenAI from 'openai';

import { call, check, expectError, finish, gateway, recordingFetch } from './lib.mjs';

const model = gateway.model();
const client = new OpenAI({
  baseURL: gateway.url() + '/v1', apiKey: gateway.key(), maxRetries: 0, timeout: 60_000, fetch: recordingFetch,
});
const ask = [{ role: 'user', content: 'Tell me about the war.' }];
const tokens = Number(process.env.FORENSICS_MAX_TOKENS || 60);
const C = 'openai-node';

function content(completion) {
  const c = completion.choices[0];
  check(c && typeof c.message.content === 'string' && c.message.content.length > 0, 'no message content');
  return c.message.content;
}

await call(C, 'models.list', async () => {
  const page = await client.models.list();
  const ids = page.data.map((m) => m.id);
  check(ids.includes(model), `${model} not in ${JSON.stringify(ids)}`);
  return { detail: `${ids.length} models` };
});

await call(C, 'models.retrieve', async () => {
  const m = await client.models.retrieve(model);
  check(m.id === model && m.object === 'model', `got ${JSON.stringify(m)}`);
  return { detail: m.id };
});

await call(C, 'chat.completions.create', async () => {
  const r = await client.chat.completions.create({ model, messages: ask, max_tokens: tokens });
  const text = content(r);
  check(r.usage && r.usage.completion_tokens > 0, `usage ${JSON.stringify(r.usage)}`);
  return { detail: `${r.usage.completion_tokens} tokens, finish ${r.choices[0].finish_reason}`, text };
});

await call(C, 'chat.completions.create stream include_usage', async () => {
  const stream = await client.chat.completions.create({
    model, messages: ask, max_tokens: tokens, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    for (const c of chunk.choices) text += c.delta?.content || '';
    if (chunk.usage) usage = chunk.usage;
  }
  check(text.length > 0, 'no streamed text');
  check(usage && usage.completion_tokens > 0, 'no usage chunk');
  return { detail: `${chunks} chunks, usage ${usage.prompt_tokens}+${usage.completion_tokens}`, text };
});

await call(C, 'chat.completions.create content parts', async () => {
  const r = await client.chat.completions.create({
    model, max_tokens: tokens,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me' }, { type: 'text', text: ' about the war.' }] }],
  });
  return { detail: `${r.usage?.completion_tokens} tokens`, text: content(r) };
});

await call(C, 'chat.completions.create max_tokens 5', async () => {
  const r = await client.chat.completions.create({ model, messages: ask, max_tokens: 5 });
  const c = r.choices[0];
  check(r.usage.completion_tokens <= 5, `${r.usage.completion_tokens} tokens`);
  check(c.finish_reason === 'length', `finish_reason ${c.finish_reason}`);
  return { detail: `${r.usage.completion_tokens} tokens, finish ${c.finish_reason}` };
});

await call(C, 'chat.completions.create seed (twice)', async () => {
  const req = { model, messages: ask, max_tokens: 16, seed: 42, temperature: 1 };
  const a = content(await client.chat.completions.create(req));
  const b = content(await client.chat.completions.create(req));
  check(a === b, 'the same seed gave two different answers');
  return { detail: 'same 16-token answer twice' };
});

await call(C, 'x-ratelimit headers', async () => {
  const { response } = await client.chat.completions.create({ model, messages: ask, max_tokens: 1 }).withResponse();
  const want = ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'];
  const missing = want.filter((h) => response.headers.get(h) === null);
  check(missing.length === 0, `missing ${missing.join(', ')}`);
  return { detail: want.map((h) => `${h}=${response.headers.get(h)}`).join(' ') };
});

await call(C, 'completions.create', async () => {
  const r = await client.completions.create({ model, prompt: 'The letter said', max_tokens: tokens });
  const text = r.choices?.[0]?.text;
  check(typeof text === 'string' && text.length > 0, 'no text');
  return { detail: `${r.usage?.completion_tokens} tokens`, text };
});

await call(C, 'embeddings.create', async () => {
  // The client asks for base64 unless told otherwise, and decodes it.
  const r = await client.embeddings.create({ model: gateway.embedModel(), input: ['The letter said', 'hello'] });
  check(r.data.length === 2, `${r.data.length} embeddings for 2 inputs`);
  const v = r.data[0].embedding;
  check(v.length > 0 && v.every(Number.isFinite), 'empty or non-numeric embedding');
  return { detail: `2 × ${v.length} dimensions` };
});

await call(C, 'bad key → AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL: gateway.url() + '/v1', apiKey: 'not-a-key', maxRetries: 0, fetch: recordingFetch });
  return expectError(() => bad.models.list(), (e) => {
    if (!(e instanceof OpenAI.AuthenticationError)) return 'not an AuthenticationError';
    if (e.status !== 401) return 'status not 401';
    if (!e.code) return 'no error code';
    return '';
  });
});

// Features the gateway cannot watermark exactly: a clear 400 in OpenAI's
// shape (BadRequestError with a message), never a silent 200.
const refused = [
  ['tools → BadRequestError', /tool/i, { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }] }],
  ['logprobs → BadRequestError', /logprob/i, { logprobs: true, top_logprobs: 2 }],
  ['response_format json → BadRequestError', /response_format|json/i, { response_format: { type: 'json_object' } }],
  ['image_url part → BadRequestError', /image/i, {
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
  }],
];
for (const [name, says, extra] of refused) {
  await call(C, name, () => expectError(
    () => client.chat.completions.create({ model, messages: ask, max_tokens: 5, ...extra }),
    (e) => {
      if (!(e instanceof OpenAI.BadRequestError)) return 'not a BadRequestError';
      if (!e.error || !e.error.message) return 'no message in an OpenAI-shaped error body';
      if (!says.test(e.error.message)) return `the message does not name the feature (${says})`;
      return '';
    }));
}

finish();
