// A hostile provider for gauth's tests: a discovery document and endpoints
// on loopback that misbehave on demand. Prints `READY issuer=http://127.0.0.1:PORT`
// once it listens, then serves until killed. Options (argv):
//   --trickle WHAT       WHAT (discovery, token or device) answers 200 and then
//                        its body one byte a second, for up to 120 s
//   --huge-body MB       the token endpoint answers 200 with MB megabytes of a
//                        token response that never closes its string (no
//                        Content-Length: the size shows only while reading)
//   --device-interval N  `interval` of the device response, written as is
//                        (18446744073709551615 stays exact; `none` leaves it out)
//   --device-expires N   `expires_in` of the device response, written as is
//   --verification-uri U / --verification-uri-complete U
//                        what the device response sends the user to
//   --hang token         the token endpoint reads each device poll and never
//                        answers it (a provider that stopped answering)
// The token endpoint answers device polls with authorization_pending and
// anything else with invalid_grant (unless --trickle token or --huge-body).
// GET /stats gives {"polls": [ms since start, …]}: when the device polls came.
import http from 'node:http';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const trickle = opt('--trickle', '');
const hang = opt('--hang', '');
const hugeMb = Number(opt('--huge-body', '0'));
const interval = opt('--device-interval', '1');
const expires = opt('--device-expires', '600');
const started = Date.now();
const polls = [];

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const verificationUri = opt('--verification-uri', `${issuer}/device`);
const verificationUriComplete = opt('--verification-uri-complete', `${issuer}/device?user_code=ABCD-EFGH`);

function trickleBody(res) {
  res.writeHead(200, { 'content-type': 'application/json' });
  const body = '{"padding":"' + 'x'.repeat(200);
  let i = 0;
  const t = setInterval(() => {
    if (i >= 120 || res.destroyed) { clearInterval(t); res.end(); return; }
    res.write(body[i % body.length]);
    i += 1;
  }, 1000);
  res.on('close', () => clearInterval(t));
}

function huge(res) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"token_type":"Bearer","access_token":"');
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  let left = hugeMb;
  const more = () => {
    while (left > 0) {
      left -= 1;
      if (!res.write(chunk)) { res.once('drain', more); return; }
    }
    res.end('"}');
  };
  res.on('error', () => {});
  more();
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

server.on('request', (req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const path = new URL(req.url, issuer).pathname;
    if (path === '/.well-known/openid-configuration') {
      if (trickle === 'discovery') return trickleBody(res);
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        device_authorization_endpoint: `${issuer}/device/auth`,
        userinfo_endpoint: `${issuer}/me`,
      });
    }
    if (path === '/device/auth') {
      if (trickle === 'device') return trickleBody(res);
      // Written by hand: JSON.stringify would round 18446744073709551615.
      const fields = [
        '"device_code":"dc-1"',
        '"user_code":"ABCD-EFGH"',
        `"verification_uri":${JSON.stringify(verificationUri)}`,
        `"verification_uri_complete":${JSON.stringify(verificationUriComplete)}`,
        `"expires_in":${expires}`,
      ];
      if (interval !== 'none') fields.push(`"interval":${interval}`);
      return json(res, 200, `{${fields.join(',')}}`);
    }
    if (path === '/token') {
      if (trickle === 'token') return trickleBody(res);
      if (hugeMb > 0) return huge(res);
      const params = new URLSearchParams(body);
      if (params.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code') {
        polls.push(Date.now() - started);
        if (hang === 'token') return; // read, never answered
        return json(res, 400, { error: 'authorization_pending' });
      }
      return json(res, 400, { error: 'invalid_grant' });
    }
    if (path === '/stats') return json(res, 200, { polls });
    return json(res, 404, { error: 'not_found' });
  });
});
process.stdout.write(`READY issuer=${issuer}\n`);
