// A real browser for gauth's login tests: `node chromium.mjs URL [options]`
// drives headless Debian Chromium (playwright-core) through oidc-provider's
// dev login and consent forms the way a person would, and lets it follow the
// redirect to gauth's loopback listener. With --device, URL is a device
// verification page: it enters the code (--code C, or the one already in a
// verification_uri_complete), confirms, logs in and consents.
//
// Exits 0 only when the final page shows success: gauth's "You can close
// this tab" (loopback) or the provider's "Sign-in Success" (--device).
// Every request not to 127.0.0.1, localhost or [::1] is aborted (the
// provider's pages import web fonts from the internet; a test must not
// depend on, or talk to, the network).
//
// It prints `chromium: …` progress lines, the final page's text, and
// `RESULT ok|fail …` as its last line; `--shot FILE` saves a screenshot of
// the final page. Used as gauth's BROWSER it simply keeps running: gauth
// counts an opener still running after ~1 s as opened.
// Options: --device, --code C, --login NAME (default jenny), --shot FILE,
// --timeout S (whole run, default 45).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const url0 = args.find((a) => /^https?:\/\//.test(a));
const device = args.includes('--device');
const code = opt('--code');
const loginName = opt('--login', 'jenny');
const shot = opt('--shot');
const timeoutMs = Number(opt('--timeout', '45')) * 1000;
if (!url0) {
  console.error('usage: chromium.mjs URL [--device] [--code C] [--login NAME] [--shot FILE] [--timeout S]');
  process.exit(2);
}

const log = (msg) => console.log(`chromium: ${msg}`);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SUCCESS = device ? /Sign-in Success/ : /You can close this tab/;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic'];

const profile = mkdtempSync(join(tmpdir(), 'gauth-chromium-'));
let context;
let finished = false;
async function finish(ok, why) {
  if (finished) return;
  finished = true;
  const page = context?.pages()[0];
  if (page) {
    const text = await page.innerText('body', { timeout: 2000 }).catch((e) => `(no text: ${e.message})`);
    log(`final page ${page.url()}:\n${text.trim()}`);
    if (shot) {
      await page.screenshot({ path: shot, timeout: 5000 })
        .then(() => log(`screenshot ${shot}`), (e) => log(`no screenshot: ${e.message}`));
    }
  }
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  console.log(`RESULT ${ok ? 'ok' : 'fail'} ${why}`);
  process.exit(ok ? 0 : 1);
}
// Bounded no matter what the browser does.
const timer = setTimeout(() => finish(false, `timed out after ${timeoutMs / 1000} s`), timeoutMs);
timer.unref();
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => finish(false, `killed (${sig})`));

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    // Our own signal handlers close the browser and remove the profile.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 20000,
  });
  let blocked = 0;
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (LOOPBACK.has(u.hostname)) return route.continue();
    blocked += 1;
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15000);
  log(`open ${url0}`);
  await page.goto(url0, { waitUntil: 'load' });

  // One action per page until a success page; each action submits a form
  // and waits for the next document.
  for (let step = 0; step < 12; step += 1) {
    const url = page.url();
    const text = await page.innerText('body').catch(() => '');
    if (SUCCESS.test(text)) {
      await finish(true, `success page at ${url} (${blocked} non-loopback requests blocked)`);
    }
    const submit = async (what, locator) => {
      log(`${what} on ${url}`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
    };
    if (await page.locator('input[name=login]').count()) {
      await page.fill('input[name=login]', loginName);
      await page.fill('input[name=password]', 'any password');
      await submit('login', page.locator('button[type=submit]'));
    } else if (await page.locator('input[name=user_code]:not([type=hidden])').count()) {
      if (code) await page.fill('input[name=user_code]', code);
      await submit('user code', page.locator('button[type=submit][form="op.deviceInputForm"]'));
    } else if (await page.locator('button[autofocus][type=submit]').count()) {
      // Consent, or the device confirmation (its other button is Abort).
      await submit('continue', page.locator('button[autofocus][type=submit]'));
    } else {
      await finish(false, `nothing to do on ${url}`);
    }
  }
  await finish(false, 'too many pages');
} catch (e) {
  log(`error: ${e.stack || e}`);
  await finish(false, `error: ${e.message}`);
}
