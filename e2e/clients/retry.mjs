// How the `openai` client's own retries meet the gateway's 429s, with its
// retries on. A 429 the client should wait out (one request at a time:
// Retry-After of a second or so) is retried after Retry-After and the call
// succeeds; a spent daily token budget is not retried (x-should-retry:
// false), so the client neither sleeps (openai 6 waits whatever
// Retry-After says) nor spends retries. Both are bounded in time.
// Environment: FORENSICS_GATEWAY_URL, FORENSICS_MODEL,
// FORENSICS_CONCURRENT_KEY (an account with concurrent: 1),
// FORENSICS_BUDGET_KEY and FORENSICS_BUDGET_TOKENS (an account with
// tokens_per_day: that many).
import OpenAI from 'openai';

import { call, check, env, exchangesSoFar, expectError, finish, gateway, recordingFetch, sleep, within } from './lib.mjs';

const model = gateway.model();
const baseURL = gateway.url() + '/v1';
const ask = [{ role: 'user', content: 'Tell me about the war.' }];
const C = 'openai-node';

await call(C, '429 concurrent → retried after Retry-After', async () => {
  const key = env('FORENSICS_CONCURRENT_KEY');
  // The holder takes the account's one slot and keeps it until the other
  // request has been refused once, then goes away (aborts its stream).
  const holder = new OpenAI({ baseURL, apiKey: key, maxRetries: 0, fetch: recordingFetch });
  const stream = await holder.chat.completions.create({ model, messages: ask, max_tokens: 4000, stream: true });
  const it = stream[Symbol.asyncIterator]();
  await it.next(); // the slot is taken once the first chunk is out
  const drained = (async () => {
    try {
      while (!(await it.next()).done);
    } catch {
      // aborted below
    }
  })();
  exchangesSoFar()[0].aborted = true;
  const start = Date.now();
  const retrying = new OpenAI({ baseURL, apiKey: key, maxRetries: 3, timeout: 20_000, fetch: recordingFetch });
  const pending = within(15_000, 'the retried request', () => retrying.chat.completions.create({ model, messages: ask, max_tokens: 5 }));
  while (!exchangesSoFar().some((x) => x.status === 429) && Date.now() - start < 10_000) await sleep(10);
  stream.controller.abort();
  let r;
  try {
    r = await pending;
  } finally {
    await drained;
  }
  const elapsed = Date.now() - start;
  const tries = exchangesSoFar().slice(1);
  const timeline = tries.map((x) => `${x.status}@+${x.at - start}ms`).join(' ');
  const first = tries[0];
  check(first && first.status === 429, `first try was ${first && first.status}, not 429`);
  const after = Number(first.headers['retry-after']);
  check(after > 0 && after <= 60, `Retry-After ${first.headers['retry-after']}`);
  const gap = tries[1].at - first.at;
  check(gap >= after * 1000 * 0.9, `retried after ${gap} ms, Retry-After ${after} s (${timeline})`);
  check(tries[tries.length - 1].status === 200 && r.choices.length > 0, `did not succeed (${timeline})`);
  return { detail: `${tries.length} tries (${timeline}), Retry-After ${after} s, ${elapsed} ms` };
});

await call(C, '429 token budget spent → not retried', async () => {
  // The account's day is FORENSICS_BUDGET_TOKENS tokens (prompt and
  // completion): a first answer of a third of it fits; a second asking for
  // more than the rest is refused whole, not cut short with a 200.
  const key = env('FORENSICS_BUDGET_KEY');
  const budget = Number(env('FORENSICS_BUDGET_TOKENS'));
  const client = new OpenAI({ baseURL, apiKey: key, maxRetries: 2, timeout: 20_000, fetch: recordingFetch });
  await client.chat.completions.create({ model, messages: ask, max_tokens: Math.floor(budget / 3) });
  const start = Date.now();
  const res = await expectError(
    () => within(5_000, 'the second request', () => client.chat.completions.create({ model, messages: ask, max_tokens: budget })),
    (e) => (e instanceof OpenAI.RateLimitError ? '' : 'not a RateLimitError'));
  const elapsed = Date.now() - start;
  const tries = exchangesSoFar().slice(1);
  const h = tries[0].headers;
  check(tries.length === 1, `${tries.length} tries (the client retried a spent budget)`);
  check(h['x-should-retry'] === 'false', `x-should-retry ${h['x-should-retry']}`);
  check(Number(h['retry-after']) > 0 && Number(h['retry-after']) <= 60, `Retry-After ${h['retry-after']}`);
  check(elapsed < 2_000, `took ${elapsed} ms`);
  return { detail: `${res.detail}; Retry-After ${h['retry-after']}, ${elapsed} ms` };
});

finish();
