// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// A burst of simultaneous password logins against a running idp on loopback: N login forms
// (random names and passwords, so every one is a full argon2id check against the dummy hash and
// no per-name limit applies), sent all at once, each on its own connection from a source address
// in 127.0.0.2 .. 127.0.0.250 (so the per-address limit, 100, does not hide the hashing).
// With RETRY=1 a login turned away with 503 tries again after its Retry-After, at most 50 times,
// as a patient browser would; every login then ends in a password check.
// Usage: ISSUER=http://127.0.0.1:3202 CLIENT_ID=web REDIRECT_URI=http://127.0.0.1:9/callback \
//        [RETRY=1] node bench/login-burst.mjs [N]
// Prints one JSON line: statuses, seconds, checks per second, latency percentiles of the 401s.
import { request } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';

const { ISSUER, CLIENT_ID, REDIRECT_URI } = process.env;
const retry = process.env.RETRY === '1';
const n = Number(process.argv[2] ?? 2000);
const issuer = new URL(ISSUER);
if (!['127.0.0.1', 'localhost'].includes(issuer.hostname)) throw new Error('loopback targets only');

const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
const authorization = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
  scope: 'openid', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' });

function post(body, localAddress) {
  return new Promise((resolve) => {
    const req = request({
      host: issuer.hostname, port: issuer.port, path: '/login', method: 'POST', localAddress, agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body),
        origin: issuer.origin, 'sec-fetch-site': 'same-origin' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: Number(res.headers['retry-after'] ?? 1) }));
    });
    req.on('error', (e) => resolve({ status: `error ${e.code}` }));
    req.end(body);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const statuses = {};
const latencies = [];
let retries = 0;

async function login(i) {
  const form = new URLSearchParams(authorization);
  form.set('identifier', `burst-${randomBytes(6).toString('hex')}`);
  form.set('password', randomBytes(12).toString('base64url'));
  const localAddress = `127.0.0.${2 + (i % 249)}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = performance.now();
    const { status, retryAfter } = await post(form.toString(), localAddress);
    if (status === 503 && retry) {
      retries++;
      await sleep(retryAfter * 1000 * (0.5 + Math.random()));
      continue;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 401) latencies.push(performance.now() - start);
    return;
  }
  statuses['gave up'] = (statuses['gave up'] ?? 0) + 1;
}

const start = performance.now();
await Promise.all(Array.from({ length: n }, (_, i) => login(i)));
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0);
console.log(JSON.stringify({ logins: n, retry, statuses, retries, seconds: Number(seconds.toFixed(2)),
  checks_per_second: Number(((statuses[401] ?? 0) / seconds).toFixed(1)),
  ms_401: { p50: pct(50), p90: pct(90), p99: pct(99), max: Math.round(latencies.at(-1) ?? 0) } }));
