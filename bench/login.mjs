// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Times complete code + PKCE logins against a running idp, one after another:
//   with a password: GET /authorize -> POST /login (argon2id) -> POST /token
//   with the idp's login session (no argon2): GET /authorize -> POST /token
// Usage: ISSUER=... CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URI=... [LOGIN=... PASSWORD=...]
//        node bench/login.mjs [N]   (the demo supporter ada by default)
import { createHash, randomBytes } from 'node:crypto';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;
const LOGIN = process.env.LOGIN ?? 'ada';
const PASSWORD = process.env.PASSWORD ?? 'ada-lovelace-1815';
const n = Number(process.argv[2] ?? 50);
const basic = 'Basic ' + Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');

function authorizeUrl(verifier) {
  const url = new URL('/authorize', ISSUER);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
    scope: 'openid profile email', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' })) {
    url.searchParams.set(k, v);
  }
  return url;
}

async function exchange(location, verifier) {
  const code = new URL(location).searchParams.get('code');
  const response = await fetch(new URL('/token', ISSUER), {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  if (response.status !== 200) throw new Error(`token: ${response.status} ${await response.text()}`);
  await response.json();
}

// Milliseconds spent in each request of the password login, summed over the timed runs.
const steps = { 'GET /authorize (login page)': 0, 'POST /login': 0, 'POST /token': 0 };
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function withPassword() {
  const verifier = randomBytes(32).toString('base64url');
  const url = authorizeUrl(verifier);
  let start = now();
  const page = await fetch(url, { redirect: 'manual' });
  await page.text();
  steps['GET /authorize (login page)'] += now() - start;
  const form = new URLSearchParams(url.search);
  form.set('identifier', LOGIN);
  form.set('password', PASSWORD);
  start = now();
  const login = await fetch(new URL('/login', ISSUER), { method: 'POST', body: form, redirect: 'manual', headers: { origin: new URL(ISSUER).origin } });
  if (login.status !== 303) throw new Error(`login: ${login.status}`);
  await login.arrayBuffer();
  steps['POST /login'] += now() - start;
  const cookie = login.headers.get('set-cookie').split(';')[0];
  start = now();
  await exchange(login.headers.get('location'), verifier);
  steps['POST /token'] += now() - start;
  return cookie;
}

async function withSession(cookie) {
  const verifier = randomBytes(32).toString('base64url');
  const response = await fetch(authorizeUrl(verifier), { redirect: 'manual', headers: { cookie } });
  if (response.status !== 303) throw new Error(`authorize: ${response.status}`);
  await exchange(response.headers.get('location'), verifier);
}

async function time(label, count, run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / count;
  console.log(`${label}: ${ms.toFixed(2)} ms per login (${count} in a row)`);
}

const cookie = await withPassword();
for (const step of Object.keys(steps)) steps[step] = 0;
await time(`code + PKCE login with ${LOGIN}'s password`, n, withPassword);
for (const [step, ms] of Object.entries(steps)) console.log(`  of which ${step}: ${(ms / n).toFixed(2)} ms`);
await time('code + PKCE login with the idp session (no password)', n * 4, () => withSession(cookie));
