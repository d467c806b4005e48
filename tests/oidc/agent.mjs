// A scripted user agent standing in for the browser: `node agent.mjs URL`
// follows an authorization URL through oidc-provider's login and consent
// pages, then loads the final redirect (the loopback callback) like a
// browser would. With --device, URL is a verification_uri_complete and it
// confirms the user code instead. Options: --deny (refuse consent),
// --login NAME (the account, default jenny), --print-redirect (print the
// final redirect URL instead of loading it: the paste flow).
const args = process.argv.slice(2);
const url0 = args.find((a) => !a.startsWith('--') && /^https?:/.test(a));
const has = (f) => args.includes(f);
const loginName = (() => { const i = args.indexOf('--login'); return i >= 0 ? args[i + 1] : 'jenny'; })();
if (!url0) { console.error('usage: agent.mjs URL [--device] [--deny] [--print-redirect]'); process.exit(2); }

// Path-aware cookie jar (oidc-provider scopes its cookies by path).
const jar = [];
function store(res, url) {
  for (const line of res.headers.getSetCookie?.() ?? []) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    for (const a of attrs) if (a.toLowerCase().startsWith('path=')) path = a.slice(5);
    const host = new URL(url).host;
    const i = jar.findIndex((c) => c.name === name && c.path === path && c.host === host);
    const expired = attrs.some((a) => /^expires=thu, 01 jan 1970/i.test(a) || /^max-age=0$/i.test(a));
    if (i >= 0) jar.splice(i, 1);
    if (!expired) jar.push({ name, value, path, host });
  }
}
function cookies(url) {
  const u = new URL(url);
  return jar.filter((c) => c.host === u.host && u.pathname.startsWith(c.path))
    .map((c) => `${c.name}=${c.value}`).join('; ');
}
const isProvider = (url) => new URL(url).origin === new URL(url0).origin;

async function go(url, init = {}) {
  for (let hops = 0; hops < 30; hops += 1) {
    if (!isProvider(url)) return url; // the redirect back to the client
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookies(url) } });
    store(res, url);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).toString();
      init = {};
      continue;
    }
    const html = await res.text();
    return { url, html, status: res.status };
  }
  throw new Error('too many redirects');
}

function form(html, pageUrl) {
  const m = html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!m) return null;
  const fields = {};
  for (const inp of m[2].matchAll(/<input[^>]*>/gi)) {
    const name = inp[0].match(/name="([^"]*)"/)?.[1];
    const value = inp[0].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) fields[name] = value;
  }
  return { action: new URL(m[1].replace(/&amp;/g, '&'), pageUrl).toString(), fields };
}

async function post(action, fields) {
  return go(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

let page = await go(url0);
for (let step = 0; step < 10 && typeof page === 'object'; step += 1) {
  const f = form(page.html, page.url);
  if (!f) {
    if (/success|signed in|you can close/i.test(page.html)) { console.log('DEVICE-DONE'); process.exit(0); }
    console.error(`agent: no form on ${page.url} (HTTP ${page.status})`);
    process.exit(1);
  }
  if ('login' in f.fields || 'password' in f.fields) {
    page = await post(f.action, { ...f.fields, login: loginName, password: 'any' });
  } else if (has('--deny') && /href="([^"]*\/abort)"/.test(page.html)) {
    // The consent page's "Cancel" link: the provider answers access_denied.
    const abort = page.html.match(/href="([^"]*\/abort)"/)[1].replace(/&amp;/g, '&');
    page = await go(new URL(abort, page.url).toString());
    if (typeof page === 'object') { console.log('DENIED'); process.exit(0); }
  } else {
    page = await post(f.action, f.fields);
  }
}
if (typeof page !== 'string') {
  console.error('agent: the login did not finish');
  process.exit(1);
}
if (has('--print-redirect')) {
  console.log(page);
} else {
  const res = await fetch(page);
  console.log(`CALLBACK ${res.status}`);
}
