// A fake Google for gauth's Google-preset tests (tests/google.rs): one HTTPS
// server for accounts.google.com, oauth2.googleapis.com and
// openidconnect.googleapis.com, run inside a network namespace where a
// private /etc/hosts sends those names to 127.0.0.1 and a private CA signed
// its certificate. It answers like Google where gauth can tell, and records
// every request (one JSON object a line) for the test to read.
//
// Where it follows Google (developers.google.com/identity/protocols/oauth2:
// native-app, limited-input-device; observed answers quoted in issue
// trackers):
// - Desktop ("installed") clients may redirect to any port of
//   http://127.0.0.1, http://[::1] or (allowed, not recommended) localhost;
//   anything else is "Error 400: redirect_uri_mismatch" on a page, no
//   redirect. An unknown client is "Error 401: invalid_client".
// - The redirect back carries `code` (4/0A…, with a slash), `state`,
//   `scope` (the granted scopes, full URLs), `authuser` and `prompt`.
// - A refresh token only with access_type=offline, and then only on the
//   first consent unless prompt=consent.
// - Desktop clients authenticate at the token endpoint with their secret
//   ("client_secret is missing." otherwise), in the body or with HTTP Basic.
// - Scopes come back as full URLs: email → …/auth/userinfo.email, profile →
//   …/auth/userinfo.profile.
// - Tokens: access_token ya29.…, expires_in 3599, refresh_token 1//… (code
//   exchange only; refreshes do not rotate it), scope, token_type Bearer,
//   id_token (with openid).
// - Device flow: only clients of type "TVs and Limited Input devices"
//   (others: 401 invalid_client "Invalid client type."); only the scopes of
//   DEVICE_SCOPES (others: 400 invalid_scope "Invalid device flow scope:
//   …"); the answer names `verification_url` (not RFC 8628's
//   verification_uri); a pending poll is HTTP 428 authorization_pending.
// - /revoke takes `token` (either kind); revoking a refresh token ends the
//   grant, its access tokens included.
// - /.well-known/openid-configuration is Google's discovery document (the
//   endpoints gauth's preset names; `gauth doctor --online` fetches it).
//
// Where it is stricter than Google, so that a test fails when gauth slips:
// PKCE must be S256 with a 43-character challenge (Google also takes
// `plain`, or no PKCE at all), and `state` must be sent. Such a request is
// recorded with `violations` and answered with an error redirect.
//
// The "user" consents at once: the authorization endpoint redirects straight
// back (302) instead of showing a consent page, and a device code is
// approved after its first poll.
//
// Usage: node fake_google.mjs CONFIG.json; prints `READY port=N` once it
// listens. CONFIG: { cert, key, log, host (127.0.0.1), port (443),
// interval (device polling interval to announce, default 5), iss (send
// iss= in the redirect, default false), user: {sub, email}, clients: [{id,
// secret, type: installed|tv|web, redirect_uris}] }.
import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ISSUER = 'https://accounts.google.com';
const G = 'https://www.googleapis.com/auth/';
const ALIASES = { email: `${G}userinfo.email`, profile: `${G}userinfo.profile` };
// Scopes the fake knows; Google answers invalid_scope for others.
const KNOWN = new Set(['openid', `${G}userinfo.email`, `${G}userinfo.profile`,
  `${G}drive`, `${G}drive.file`, `${G}drive.appdata`, `${G}drive.readonly`,
  `${G}youtube`, `${G}youtube.readonly`, `${G}gmail.readonly`, `${G}bigquery`,
  `${G}cloud-platform`, `${G}spreadsheets`]);
// "OAuth 2.0 for TV and Limited-Input Device Applications", allowed scopes
// (the short names count as their full URLs).
const DEVICE_SCOPES = new Set(['openid', `${G}userinfo.email`, `${G}userinfo.profile`,
  `${G}drive.appdata`, `${G}drive.file`, `${G}youtube`, `${G}youtube.readonly`]);
const interval = cfg.interval ?? 5;
const user = cfg.user ?? { sub: '110169484474386276334', email: 'jenny@gmail.test' };
const clients = new Map((cfg.clients ?? []).map((c) => [c.id, c]));

const codes = new Map(); // code → grant awaiting exchange
const refreshTokens = new Map(); // refresh token → { client, scopes, revoked }
const accessTokens = new Map(); // access token → { client, scopes, exp, refresh }
const devices = new Map(); // device code → { client, scopes, polls, used }
const consented = new Set(); // client ids the user consented to once

const rand = (n) => crypto.randomBytes(n).toString('base64url');
const b64url = (s) => Buffer.from(s).toString('base64url');
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('base64url');
const log = (rec) => fs.appendFileSync(cfg.log, `${JSON.stringify({ t: Date.now(), ...rec })}\n`);

function scopeList(s) {
  return (s ?? '').split(' ').filter(Boolean).map((x) => ALIASES[x] ?? x);
}

// Google's client authentication: HTTP Basic (id and secret form-encoded,
// RFC 6749 §2.3.1) or client_id/client_secret in the body, not both.
function clientAuth(req, form) {
  const h = req.headers.authorization ?? '';
  let id; let secret; let method;
  if (h.startsWith('Basic ')) {
    const dec = Buffer.from(h.slice(6), 'base64').toString();
    const i = dec.indexOf(':');
    const un = (x) => decodeURIComponent(x.replace(/\+/g, ' '));
    id = un(dec.slice(0, i));
    secret = un(dec.slice(i + 1));
    method = 'basic';
    if (form.has('client_secret')) method = 'basic+body';
  } else {
    id = form.get('client_id') ?? undefined;
    secret = form.get('client_secret') ?? undefined;
    method = secret === undefined ? 'none' : 'body';
  }
  const client = clients.get(id);
  let error = null;
  if (!client) error = [401, 'invalid_client', 'The OAuth client was not found.'];
  else if (method === 'basic+body') error = [400, 'invalid_request', 'client authentication used twice'];
  else if (client.secret && secret === undefined) error = [400, 'invalid_request', 'client_secret is missing.'];
  else if (client.secret && secret !== client.secret) error = [401, 'invalid_client', 'Unauthorized'];
  return { client, id, method, error };
}

function idToken(client, scopes) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, azp: client.id, aud: client.id, sub: user.sub, iat: now, exp: now + 3599 };
  if (scopes.includes(`${G}userinfo.email`)) Object.assign(claims, { email: user.email, email_verified: true });
  // Signed by nobody: gauth reads it only to name the account.
  return `${b64url(JSON.stringify({ alg: 'RS256', kid: 'fake', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.${rand(64)}`;
}

function issue(client, scopes, refresh) {
  const access = `ya29.a0${rand(60)}`;
  accessTokens.set(access, { client: client.id, scopes, exp: Date.now() + 3599e3, refresh });
  const body = { access_token: access, expires_in: 3599, scope: scopes.join(' '), token_type: 'Bearer' };
  if (scopes.includes('openid')) body.id_token = idToken(client, scopes);
  return body;
}

// Every answer is logged before it is sent: once gauth has its answer (and
// perhaps exited), the test finds the request in the log.
function send(res, status, body, rec) {
  log({ ...rec, status });
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
  });
  res.end(json);
}

const oauthError = (res, rec, [status, error, desc]) =>
  send(res, status, { error, error_description: desc }, { ...rec, error });

function authorize(req, res, url, rec) {
  const q = url.searchParams;
  const p = Object.fromEntries(q);
  rec.query = p;
  const client = clients.get(p.client_id);
  if (!client) {
    return send(res, 401, '<h1>Access blocked: Authorization Error</h1><p>Error 401: invalid_client</p>',
      { ...rec, error: 'invalid_client' });
  }
  rec.client_type = client.type;
  let redirect;
  try { redirect = new URL(p.redirect_uri ?? ''); } catch { redirect = null; }
  const loopbackHost = redirect && ['127.0.0.1', '[::1]', 'localhost'].includes(redirect.hostname);
  const ok = client.type === 'installed'
    ? redirect && redirect.protocol === 'http:' && loopbackHost && !redirect.hash
    : client.type === 'web' && (client.redirect_uris ?? []).includes(p.redirect_uri);
  if (!ok) {
    return send(res, 400, '<h1>Access blocked</h1><p>Error 400: redirect_uri_mismatch</p>',
      { ...rec, error: 'redirect_uri_mismatch' });
  }
  rec.redirect = { host: redirect.hostname, port: redirect.port, path: redirect.pathname, query: redirect.search };
  const scopes = scopeList(p.scope);
  const violations = [];
  let error = null;
  if (p.response_type !== 'code') error = ['unsupported_response_type', 'response_type must be code'];
  else if (!p.scope) error = ['invalid_request', 'Missing required parameter: scope'];
  else if (scopes.some((s) => !KNOWN.has(s))) error = ['invalid_scope', `Some requested scopes were invalid. {invalid=[${scopes.filter((s) => !KNOWN.has(s)).join(', ')}]}`];
  if (p.code_challenge_method !== 'S256') violations.push(`code_challenge_method is ${p.code_challenge_method ?? 'missing'}, not S256`);
  if (!/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge ?? '')) violations.push('code_challenge is not 43 base64url characters (a SHA-256)');
  if (!p.state) violations.push('no state');
  if (violations.length && !error) error = ['invalid_request', violations.join('; ')];
  rec.violations = violations;
  const back = new URL(redirect);
  if (p.state !== undefined) back.searchParams.set('state', p.state);
  if (error) {
    back.searchParams.set('error', error[0]);
    back.searchParams.set('error_description', error[1]);
    log({ ...rec, status: 302, error: error[0] });
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  const code = `4/0A${rand(60)}`;
  // A refresh token as Google gives one: with access_type=offline, on the
  // first consent or when prompt=consent asks again.
  const offline = p.access_type === 'offline' && (p.prompt === 'consent' || !consented.has(client.id));
  consented.add(client.id);
  codes.set(code, {
    client: client.id, redirect_uri: p.redirect_uri, challenge: p.code_challenge, scopes, offline,
    exp: Date.now() + 600e3,
  });
  if (cfg.iss) back.searchParams.set('iss', ISSUER);
  back.searchParams.set('code', code);
  back.searchParams.set('scope', scopes.join(' '));
  back.searchParams.set('authuser', '0');
  back.searchParams.set('prompt', 'consent');
  log({ ...rec, status: 302, code_issued: true, offline });
  res.writeHead(302, { location: back.toString() });
  res.end();
}

function token(req, res, form, rec) {
  const auth = clientAuth(req, form);
  const grant = form.get('grant_type');
  Object.assign(rec, { grant_type: grant, client_id: auth.id, client_auth: auth.method });
  if (auth.error) return oauthError(res, rec, auth.error);
  const { client } = auth;
  if (grant === 'authorization_code') {
    const c = codes.get(form.get('code'));
    rec.redirect_uri = form.get('redirect_uri');
    const verifier = form.get('code_verifier');
    rec.verifier_length = verifier?.length ?? 0;
    if (!c || c.used || c.exp < Date.now() || c.client !== client.id) {
      rec.code = c ? 'used, expired or another client\'s' : 'unknown';
      if (c) c.used = true;
      return oauthError(res, rec, [400, 'invalid_grant', 'Malformed auth code.']);
    }
    c.used = true; // once only, even when the exchange fails below
    rec.code = 'ok';
    if (rec.redirect_uri !== c.redirect_uri) return oauthError(res, rec, [400, 'redirect_uri_mismatch', 'Bad Request']);
    rec.pkce = verifier === undefined ? 'missing' : sha256(verifier) === c.challenge ? 'ok' : 'mismatch';
    if (rec.pkce !== 'ok') return oauthError(res, rec, [400, 'invalid_grant', rec.pkce === 'missing' ? 'Missing code verifier.' : 'Invalid code verifier.']);
    let refresh;
    if (c.offline) {
      refresh = `1//0g${rand(70)}`;
      refreshTokens.set(refresh, { client: client.id, scopes: c.scopes, revoked: false });
    }
    const body = issue(client, c.scopes, refresh);
    if (refresh) body.refresh_token = refresh;
    rec.issued = { access_token: body.access_token, refresh_token: refresh ?? null, scope: body.scope };
    return send(res, 200, body, rec);
  }
  if (grant === 'refresh_token') {
    const rt = form.get('refresh_token');
    const r = refreshTokens.get(rt);
    rec.refresh = !r ? 'unknown' : r.revoked ? 'revoked' : r.client !== client.id ? 'another client\'s' : 'ok';
    if (rec.refresh !== 'ok') return oauthError(res, rec, [400, 'invalid_grant', 'Token has been expired or revoked.']);
    const body = issue(client, r.scopes, rt);
    rec.issued = { access_token: body.access_token, refresh_token: null, scope: body.scope };
    return send(res, 200, body, rec);
  }
  if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'http://oauth.net/grant_type/device/1.0') {
    if (client.type !== 'tv') return oauthError(res, rec, [401, 'invalid_client', 'Invalid client type.']);
    const d = devices.get(form.get('device_code'));
    if (!d || d.client !== client.id || d.exp < Date.now()) return oauthError(res, rec, [400, 'invalid_grant', 'Malformed auth code.']);
    if (d.used) return oauthError(res, rec, [400, 'invalid_grant', 'Bad Request']);
    d.polls += 1;
    rec.poll = d.polls;
    if (d.polls === 1) {
      // The user approves on another device while this first poll waits.
      return oauthError(res, rec, [428, 'authorization_pending', 'Precondition Required']);
    }
    d.used = true;
    const refresh = `1//0g${rand(70)}`;
    refreshTokens.set(refresh, { client: client.id, scopes: d.scopes, revoked: false });
    const body = { ...issue(client, d.scopes, refresh), refresh_token: refresh };
    rec.issued = { access_token: body.access_token, refresh_token: refresh, scope: body.scope };
    return send(res, 200, body, rec);
  }
  return oauthError(res, rec, [400, 'unsupported_grant_type', `Invalid grant_type: ${grant}`]);
}

function deviceCode(req, res, form, rec) {
  const auth = clientAuth(req, form);
  const scopes = scopeList(form.get('scope'));
  Object.assign(rec, { client_id: auth.id, client_auth: auth.method, scopes });
  // The device endpoint takes the client id alone (TV clients' secrets are
  // for the token endpoint); a secret given must still be right.
  if (!auth.client || (auth.error && auth.error[1] !== 'invalid_request')) {
    return oauthError(res, rec, auth.error ?? [401, 'invalid_client', 'The OAuth client was not found.']);
  }
  if (auth.client.type !== 'tv') return oauthError(res, rec, [401, 'invalid_client', 'Invalid client type.']);
  if (!scopes.length) return oauthError(res, rec, [400, 'invalid_scope', 'Missing required parameter: scope']);
  const refused = scopes.filter((s) => !DEVICE_SCOPES.has(s));
  if (refused.length) return oauthError(res, rec, [400, 'invalid_scope', `Invalid device flow scope: ${refused.join(' ')}`]);
  const dc = `AH-1Ng${rand(60)}`;
  devices.set(dc, { client: auth.id, scopes, polls: 0, used: false, exp: Date.now() + 1800e3 });
  send(res, 200, {
    device_code: dc,
    user_code: 'GQVQ-JKEC',
    expires_in: 1800,
    interval,
    verification_url: 'https://www.google.com/device',
  }, rec);
}

// Google's discovery document, as far as gauth reads it.
const DISCOVERY = {
  issuer: ISSUER,
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
  token_endpoint: 'https://oauth2.googleapis.com/token',
  userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
  revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
  jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
  response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token',
    'token id_token', 'code token id_token', 'none'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256'],
  scopes_supported: ['openid', 'email', 'profile'],
  token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
  claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name',
    'iat', 'iss', 'name', 'picture', 'sub'],
  code_challenge_methods_supported: ['plain', 'S256'],
  grant_types_supported: ['authorization_code', 'refresh_token',
    'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
};

function revoke(req, res, form, rec) {
  const t = form.get('token') ?? new URL(req.url, 'https://x').searchParams.get('token');
  const r = refreshTokens.get(t);
  const a = accessTokens.get(t);
  rec.token_kind = r ? 'refresh_token' : a ? 'access_token' : 'unknown';
  rec.token_type_hint = form.get('token_type_hint');
  if (r && !r.revoked) {
    r.revoked = true;
    for (const v of accessTokens.values()) if (v.refresh === t) v.exp = 0;
    rec.revoked = true;
    return send(res, 200, {}, rec);
  }
  if (a && a.exp > Date.now()) {
    a.exp = 0;
    rec.revoked = true;
    return send(res, 200, {}, rec);
  }
  return oauthError(res, rec, [400, 'invalid_token', 'Token expired or revoked']);
}

function userinfo(req, res, rec) {
  const h = req.headers.authorization ?? '';
  const a = h.startsWith('Bearer ') ? accessTokens.get(h.slice(7)) : undefined;
  rec.bearer = a ? (a.exp > Date.now() ? 'ok' : 'expired') : 'unknown';
  if (rec.bearer !== 'ok') return oauthError(res, rec, [401, 'invalid_request', 'Invalid Credentials']);
  const info = { sub: user.sub };
  if (a.scopes.includes(`${G}userinfo.email`)) Object.assign(info, { email: user.email, email_verified: true });
  send(res, 200, info, rec);
}

const MAX_BODY = 64 * 1024;
const server = https.createServer({
  cert: fs.readFileSync(cfg.cert),
  key: fs.readFileSync(cfg.key),
}, (req, res) => {
  const url = new URL(req.url, 'https://x');
  const host = (req.headers.host ?? '').replace(/:443$/, '');
  const rec = {
    method: req.method, host, sni: req.socket.servername ?? null, path: url.pathname,
    content_type: req.headers['content-type'] ?? null,
  };
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return send(res, 413, { error: 'too large' }, rec);
    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    const route = `${req.method} ${host}${url.pathname}`;
    try {
      switch (route) {
        case 'GET accounts.google.com/.well-known/openid-configuration': return send(res, 200, DISCOVERY, rec);
        case 'GET accounts.google.com/o/oauth2/v2/auth': return authorize(req, res, url, rec);
        case 'POST oauth2.googleapis.com/token': return token(req, res, form, rec);
        case 'POST oauth2.googleapis.com/device/code': return deviceCode(req, res, form, rec);
        case 'POST oauth2.googleapis.com/revoke': return revoke(req, res, form, rec);
        case 'GET openidconnect.googleapis.com/v1/userinfo':
        case 'POST openidconnect.googleapis.com/v1/userinfo': return userinfo(req, res, rec);
        default: return send(res, 404, '<p>404. That’s an error.</p>', rec);
      }
    } catch (e) {
      return send(res, 500, { error: 'fake_google_bug', error_description: String(e) }, rec);
    }
  });
});
// A client that does not trust the certificate ends the handshake: no
// request is ever seen, so it is recorded here.
server.on('tlsClientError', (e) => log({ event: 'tls_error', message: e.message }));
server.listen(cfg.port ?? 443, cfg.host ?? '127.0.0.1', () => {
  process.stdout.write(`READY port=${server.address().port}\n`);
});
