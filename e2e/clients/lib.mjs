// Shared by the client scripts: the gateway from the environment, a fetch
// that records every HTTP exchange a client makes (so the Go test can find
// each one in the request log by its X-Request-Id), and one JSON result
// line per call on stdout.
//
// A call passes when its check returns without throwing; its detail is the
// check's return value or the error's message. Nothing is retried here:
// every client is built with retries off unless a call tests retrying.

export function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is not set`);
  }
  return v;
}

// The gateway's base URL (http://127.0.0.1:PORT), an account's API key,
// and the model and embedding model to ask for.
export const gateway = {
  url: () => env('FORENSICS_GATEWAY_URL'),
  key: () => env('FORENSICS_API_KEY'),
  model: () => env('FORENSICS_MODEL'),
  embedModel: () => env('FORENSICS_EMBED_MODEL', env('FORENSICS_MODEL')),
};

// exchanges of the call in progress (calls run one at a time).
let exchanges = [];

// recordingFetch is the fetch handed to the clients.
export async function recordingFetch(input, init) {
  const res = await fetch(input, init);
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  exchanges.push({
    method: (init && init.method) || 'GET',
    path: url.pathname,
    status: res.status,
    id: res.headers.get('x-request-id') || '',
    at: Date.now(),
    headers: pick(res.headers, ['retry-after', 'retry-after-ms', 'x-should-retry', 'x-ratelimit-limit-requests',
      'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens']),
  });
  return res;
}

function pick(headers, names) {
  const out = {};
  for (const n of names) {
    const v = headers.get(n);
    if (v !== null) out[n] = v;
  }
  return out;
}

let failures = 0;

// call runs fn (which may return {detail, text}) and prints its result.
// fn throws to fail; status is the last HTTP status the call saw.
export async function call(client, name, fn) {
  exchanges = [];
  const start = Date.now();
  let ok = true;
  let detail = '';
  let text;
  try {
    const r = (await fn()) || {};
    detail = r.detail || '';
    text = r.text;
  } catch (err) {
    ok = false;
    detail = describe(err);
  }
  if (!ok) failures++;
  const last = exchanges[exchanges.length - 1];
  const line = {
    client, call: name, ok, status: last ? last.status : 0, detail,
    ms: Date.now() - start, requests: exchanges,
  };
  if (text !== undefined) line.text = text;
  process.stdout.write(JSON.stringify(line) + '\n');
  return line;
}

function describe(err) {
  if (!err) return 'failed';
  const parts = [err.name || 'Error', err.message || String(err)];
  if (err.status !== undefined) parts.push(`status ${err.status}`);
  if (err.status_code !== undefined) parts.push(`status ${err.status_code}`);
  if (err.code) parts.push(`code ${err.code}`);
  if (err.cause && err.cause.message) parts.push(`cause ${err.cause.message}`);
  return parts.join(': ');
}

// check throws with msg unless cond holds.
export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// expectError runs fn, which must throw an error that test accepts;
// it returns the error's description as the call's detail.
export async function expectError(fn, test) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error('succeeded, but an error was expected');
  const why = test(err);
  if (why) throw new Error(`${why} (got ${describe(err)})`);
  return { detail: describe(err) };
}

// exchangesSoFar is what the call in progress has sent so far.
export function exchangesSoFar() {
  return exchanges.slice();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// within runs fn, failing it if it has not settled after ms (a client
// still sleeping between retries): the call's time is bounded.
export function within(ms, what, fn) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms);
  });
  return Promise.race([fn(), late]).finally(() => clearTimeout(timer));
}

// finish exits, non-zero if any call failed, without waiting for what a
// client may still have pending (a retry asleep). Writes to a pipe are
// synchronous on Linux, so every line is out.
export function finish() {
  process.exit(failures > 0 ? 1 : 0);
}
