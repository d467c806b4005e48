// A real OpenID provider (oidc-provider) on loopback for gauth's login tests.
// Prints `READY issuer=http://127.0.0.1:PORT` once it listens, then serves
// until killed. Options (argv):
//   --port P            listen port (0: any free one; default 0)
//   --access-ttl S      access token lifetime in seconds (default 3600)
//   --device-ttl S      device code lifetime in seconds (default 600)
//   --device-interval S interval to announce for device polling (default 1)
//   --slow-down N       answer the first N device token polls with slow_down
//   --no-device         no device authorization endpoint (like many providers)
//   --mangle-token M    spoil the token endpoint's answers (a hostile provider):
//                       control (escape sequences and a header injection in the
//                       access token), empty, long (2 MB), zero-expiry, scope
//                       (a granted scope with control characters),
//                       expires-string (`expires_in` as a string of digits,
//                       as some providers send it), expires-word (`"soon"`)
//   --issuer-slash      the issuer ends in `/` (http://127.0.0.1:PORT/), as
//                       some providers' do; `iss` and the document say so
// Test-only route: POST /test/forget-access-token with `token=…` makes the
// provider forget that access token and nothing else (its revocation
// endpoint would also revoke the grant, and with it the refresh token): an
// access token the provider no longer honours while gauth's cache still
// thinks it valid.
// Clients: `gauth-native` (public, native: any loopback port on
// http://127.0.0.1/callback, PKCE) and `gauth-web` (secret `web-secret`,
// redirect http://127.0.0.1:1410/). Any login/password is accepted.
import Provider from 'oidc-provider';
import http from 'node:http';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(name);
const port = Number(opt('--port', '0'));
const accessTtl = Number(opt('--access-ttl', '3600'));
const deviceTtl = Number(opt('--device-ttl', '600'));
const interval = Number(opt('--device-interval', '1'));
let slowDown = Number(opt('--slow-down', '0'));
const device = !flag('--no-device');
const mangle = opt('--mangle-token', '');
const issuerSlash = flag('--issuer-slash');

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}${issuerSlash ? '/' : ''}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'gauth-native',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/'],
      grant_types: ['authorization_code', 'refresh_token',
        ...(device ? ['urn:ietf:params:oauth:grant-type:device_code'] : [])],
      response_types: ['code'],
    },
    {
      client_id: 'gauth-web',
      client_secret: 'web-secret',
      redirect_uris: ['http://127.0.0.1:1410/'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  // Google's scope names too, as plain scopes, for the R package's tests
  // (googledrive asks for .../auth/drive, gargle adds .../auth/userinfo.email).
  scopes: ['openid', 'offline_access', 'email', 'profile',
    'https://www.googleapis.com/auth/drive',
    'https://www.googleapis.com/auth/drive.file',
    'https://www.googleapis.com/auth/spreadsheets',
    'https://www.googleapis.com/auth/bigquery',
    'https://www.googleapis.com/auth/cloud-platform',
    'https://www.googleapis.com/auth/gmail.readonly',
    'https://www.googleapis.com/auth/userinfo.email',
    'https://www.googleapis.com/auth/userinfo.profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: sub }),
  }),
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: device },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  ttl: {
    AccessToken: accessTtl,
    DeviceCode: deviceTtl,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 3600,
  },
  issueRefreshToken: async (ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  // Consent to every requested scope at once (dev interactions ask once).
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
});
provider.proxy = false;

// RFC 8628 behaviour oidc-provider leaves out: an `interval`, and
// `slow_down` on demand.
provider.use(async (ctx, next) => {
  if (ctx.path === '/test/forget-access-token' && ctx.method === 'POST') {
    const body = await new Promise((resolve) => {
      let data = '';
      ctx.req.on('data', (c) => { data += c; });
      ctx.req.on('end', () => resolve(data));
    });
    const token = await provider.AccessToken.find(new URLSearchParams(body).get('token') || '');
    if (token) await token.destroy();
    ctx.status = token ? 204 : 404;
    return;
  }
  const isToken = ctx.path === '/token' && ctx.method === 'POST';
  if (isToken && slowDown > 0) {
    const body = await new Promise((resolve) => {
      let data = '';
      ctx.req.on('data', (c) => { data += c; });
      ctx.req.on('end', () => resolve(data));
    });
    const params = new URLSearchParams(body);
    if (params.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code') {
      slowDown -= 1;
      ctx.status = 400;
      ctx.body = { error: 'slow_down', error_description: 'polling too fast' };
      return;
    }
    // The body is read: hand it to the provider's parser, which takes an
    // already-read body from ctx.request.body.
    ctx.request.body = body;
  }
  await next();
  if (mangle && isToken && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    const body = { ...ctx.body };
    if (mangle === 'control') body.access_token = 'ya29.\u001b]0;PWNED\u0007\r\nX-Injected: 1';
    if (mangle === 'empty') body.access_token = '';
    if (mangle === 'long') body.access_token = 'a'.repeat(2 * 1024 * 1024);
    if (mangle === 'zero-expiry') body.expires_in = 0;
    if (mangle === 'scope') body.scope = 'openid email\u001b]0;PWNED\u0007';
    if (mangle === 'expires-string') body.expires_in = String(body.expires_in);
    if (mangle === 'expires-word') body.expires_in = 'soon';
    ctx.body = body;
  }
  if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    ctx.body = { ...ctx.body, interval };
  }
});

server.on('request', provider.callback());
process.stdout.write(`READY issuer=${issuer}\n`);
