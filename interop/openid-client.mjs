// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// An independent, certified relying-party library (openid-client by panva) against the running
// idp: discovery, code + PKCE login (driving the login form over HTTP like a browser without
// JavaScript), ID token validation, userinfo, refresh, introspection, revocation and logout.
// scripts/interop.sh starts the idp and sets the environment.
import assert from 'node:assert/strict';
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env('ISSUER'));
const redirectUri = env('REDIRECT_URI');
const postLogoutUri = env('POST_LOGOUT_URI');

let passed = 0;
const step = (name) => {
  passed += 1;
  console.log(`ok - ${name}`);
};

const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The hidden fields and action of the login form, as a browser would submit them. */
function loginForm(html) {
  const fields = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields.append(match[1], decode(match[2]));
  }
  assert.ok(fields.has('code_challenge'), 'the login form carries the authorization request');
  return fields;
}

const config = await client.discovery(issuer, env('CLIENT_ID'), undefined, client.ClientSecretBasic(env('CLIENT_SECRET')), {
  execute: [client.allowInsecureRequests],
});
assert.equal(config.serverMetadata().issuer, issuer.href.replace(/\/$/, ''));
step('discovery');

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile email groups',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});
const page = await fetch(authorizationUrl, { redirect: 'manual' });
assert.equal(page.status, 200, 'the login page is shown');
const form = loginForm(await page.text());
form.append('identifier', env('LOGIN'));
form.append('password', env('PASSWORD'));
const login = await fetch(new URL('/login', issuer), {
  method: 'POST',
  body: form,
  redirect: 'manual',
  headers: { origin: issuer.origin, 'sec-fetch-site': 'same-origin' },
});
assert.equal(login.status, 303, 'a correct login redirects back');
const callback = new URL(login.headers.get('location'));
step('login form over HTTP');

const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
}, { redirect_uri: redirectUri });
const claims = tokens.claims();
assert.ok(claims.sub, 'the ID token names the person');
assert.equal(claims.preferred_username, env('LOGIN'));
step('code exchange with PKCE and ID token validation (signature, iss, aud, nonce, exp)');

const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
assert.equal(userinfo.sub, claims.sub);
assert.ok(userinfo.email);
step('userinfo');

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
assert.ok(refreshed.access_token && refreshed.access_token !== tokens.access_token);
assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
assert.equal(refreshed.claims().sub, claims.sub);
step('refresh');

const active = await client.tokenIntrospection(config, refreshed.access_token);
assert.equal(active.active, true);
assert.equal(active.sub, claims.sub);
step('introspection');

await client.tokenRevocation(config, refreshed.access_token);
const revoked = await client.tokenIntrospection(config, refreshed.access_token);
assert.equal(revoked.active, false);
step('revocation');

const logoutUrl = client.buildEndSessionUrl(config, {
  id_token_hint: refreshed.id_token ?? tokens.id_token,
  post_logout_redirect_uri: postLogoutUri,
  state: 'after-logout',
});
const logout = await fetch(logoutUrl, { redirect: 'manual' });
assert.equal(logout.status, 303);
const back = new URL(logout.headers.get('location'));
assert.equal(`${back.origin}${back.pathname}`, postLogoutUri);
assert.equal(back.searchParams.get('state'), 'after-logout');
step('RP-initiated logout');

console.log(`openid-client interop: ${passed} passed`);
