// Browser tests of the hosted pages against the local server: Debian's chromium driven by
// playwright-core, every page checked with axe-core. cmd/localapi's TestHostedPagesInBrowser starts
// the server (RESEND_COOLDOWN=2s, its own seed) and a receiver of handed-off tokens, then runs this
// file with BASE_URL, RECEIVER_URL and the seed's names in the environment; with SCREENSHOTS set it
// also writes the pictures of docs/screenshots/ there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const { BinaryBitmap, HybridBinarizer, QRCodeReader, RGBLuminanceSource } = require('@zxing/library');

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set`);
  return v;
};
const BASE = env('BASE_URL');
const RECEIVER = env('RECEIVER_URL');
const MFA_URL = env('MFA_APP_URL'); // an application with MFA on
const PLAIN_URL = env('PLAIN_APP_URL'); // MFA off
const ODD_URL = env('ODD_APP_URL'); // a name full of markup
const PASSWORD = env('USER_PASSWORD');
const SHOTS = process.env.SCREENSHOTS || '';

let context;
let userDataDir;
const offOrigin = []; // requests to any origin but the gateway's and the receiver's
const policyErrors = []; // console errors: a Content-Security-Policy violation, a script error
const axeResults = [];

before(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), 'pages-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 800, height: 900 },
  });
  const allowed = [new URL(BASE).origin, new URL(RECEIVER).origin];
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !allowed.includes(new URL(u).origin)) {
      offOrigin.push(u);
    }
  });
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
  }
});

after(async () => {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
  const counts = axeResults.map((r) => `${r.name}: ${r.violations} violations (${r.serious} serious or critical), ${r.passes} rules passed`);
  console.log('axe-core ' + counts.join('; '));
});

async function newPage(headers) {
  const page = await context.newPage();
  if (headers) {
    await page.setExtraHTTPHeaders(headers);
  }
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      policyErrors.push(m.text());
    }
  });
  page.on('pageerror', (e) => policyErrors.push(String(e)));
  page.on('dialog', (d) => { policyErrors.push('a dialog opened: ' + d.message()); d.dismiss(); });
  return page;
}

// axe runs axe-core's WCAG 2.0-2.2 A and AA rules on the page as it is now; a serious or critical
// violation fails the test.
async function axe(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeResults.push({ name, violations: r.violations.length, serious: bad.length, passes: r.passes.length });
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `axe on ${name}`);
}

async function shot(page, name) {
  if (SHOTS) {
    await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
  }
}

async function outbox() {
  const r = await fetch(BASE + '/_local/outbox');
  return r.json();
}

// nextMessage waits for an outbox entry after the first `seen` that matches.
async function nextMessage(seen, match) {
  for (let i = 0; i < 100; i++) {
    const entries = await outbox();
    const found = entries.slice(seen).reverse().find(match);
    if (found) {
      return found;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no such message in the outbox');
}

const codeOf = (entry) => /\b(\d{6})\b/.exec(entry.body)[1];
const linkOf = (entry) => /(http:\/\/\S+ticket=[A-Za-z0-9_-]+)/.exec(entry.body)[1];

// submitSignIn signs in with email on the sign-in form of the page.
async function submitSignIn(page, email) {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#login-form button[type=submit]').click();
}

async function signIn(page, query, email) {
  await page.goto(`${BASE}/login?${query}`);
  await submitSignIn(page, email);
}

test('full sign-in with the SMS code: a wrong code, then the right one', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/login?url=${MFA_URL}`);
  await page.waitForFunction(() => document.title.includes('Web (MFA)'));
  await axe(page, 'login');
  await shot(page, 'login');
  const seen = (await outbox()).length;
  await page.locator('#email').fill('sam@example.com');
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#mfa').waitFor();
  const sms = await nextMessage(seen, (e) => e.channel === 'SMS' && e.to === '+31612345601');
  assert.match(await page.locator('#mfa-sent').textContent(), /text message to \+31\*+01/);
  const code = await page.locator('#code');
  assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await code.getAttribute('inputmode'), 'numeric');
  assert.ok(await code.evaluate((el) => el === document.activeElement), 'focus moves to the code');
  await axe(page, 'second factor');
  await shot(page, 'second-factor');

  const right = codeOf(sms);
  const wrong = right === '000000' ? '111111' : '000000';
  await code.fill(wrong);
  await page.locator('#code-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'That code is not right. 4 attempts left.' }).waitFor();
  assert.equal(await page.locator('#attempts').textContent(), '4 attempts left.');
  assert.equal(await code.getAttribute('aria-invalid'), 'true');
  await axe(page, 'wrong code');
  await shot(page, 'wrong-code');
  await code.fill(right);
  await page.locator('#code-form button[type=submit]').click();
  await page.locator('#done').waitFor();
  assert.equal(await page.locator('#done-text').textContent(), 'You are signed in to Web (MFA).');
  assert.equal(await page.locator('#done-user').textContent(), 'Signed in as sam.');
  assert.match(await page.locator('#done-until').textContent(), /Your session lasts until/);
  assert.ok(!page.url().includes('token'), 'no token in the address');
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
  await axe(page, 'signed in');
  await shot(page, 'signed-in');
  await page.close();
});

test('resend counts the cooldown down, then sends a new code that works', async () => {
  const page = await newPage();
  const seen = (await outbox()).length;
  await signIn(page, `url=${MFA_URL}`, 'kim@example.com');
  await page.locator('#mfa').waitFor();
  const first = codeOf(await nextMessage(seen, (e) => e.to === '+31612345602'));
  const resend = page.locator('#resend');
  assert.ok(await resend.isDisabled(), 'resend waits for the cooldown');
  assert.match(await resend.textContent(), /Send a new code \(in [12] s\)/);
  await page.waitForFunction(() => !document.getElementById('resend').disabled, null, { timeout: 5000 });
  assert.equal(await resend.textContent(), 'Send a new code');
  const before = (await outbox()).length;
  await resend.click();
  const second = codeOf(await nextMessage(before, (e) => e.to === '+31612345602'));
  await page.locator('#status', { hasText: 'We sent a new code by text message' }).waitFor();
  assert.ok(await resend.isDisabled(), 'a send starts the cooldown again');
  if (first !== second) {
    await page.locator('#code').fill(first);
    await page.locator('#code-form button[type=submit]').click();
    await page.locator('#error', { hasText: 'That code is not right.' }).waitFor();
  }
  await page.locator('#code').fill(second);
  await page.locator('#code-form button[type=submit]').click();
  await page.locator('#done').waitFor();
  await page.close();
});

test('switch to the other channel: the code goes by email', async () => {
  const page = await newPage();
  await signIn(page, `url=${MFA_URL}`, 'lee@example.com');
  await page.locator('#mfa').waitFor();
  const other = page.locator('#switch');
  assert.equal(await other.textContent(), 'Send the code by email instead');
  await page.waitForFunction(() => !document.getElementById('switch').disabled, null, { timeout: 5000 });
  const before = (await outbox()).length;
  await other.click();
  const mail = await nextMessage(before, (e) => e.channel === 'Email' && e.to === 'lee@example.com');
  await page.locator('#mfa-sent', { hasText: 'by email to l***@example.com' }).waitFor();
  assert.equal(await other.textContent(), 'Send the code by text message instead');
  await page.locator('#code').fill(codeOf(mail));
  await page.locator('#code-form button[type=submit]').click();
  await page.locator('#done').waitFor();
  await page.close();
});

test('keyboard only: sign in and the code without a pointer', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/login?url=${MFA_URL}`);
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'email');
  const seen = (await outbox()).length;
  await page.keyboard.type('kb@example.com');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
  await page.keyboard.type(PASSWORD);
  // The focus ring shows where the keyboard is.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'a focused field shows its focus');
  await page.keyboard.press('Enter');
  await page.locator('#mfa').waitFor();
  const code = codeOf(await nextMessage(seen, (e) => e.to === '+31612345604'));
  await page.waitForFunction(() => document.activeElement.id === 'code');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.locator('#done').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'done-title');
  await page.close();
});

test('forgot password, then the reset link: a weak password is refused on the page, a good one signs in', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/login?url=${PLAIN_URL}`);
  await page.locator('#forgot-open').click();
  await page.locator('#forgot').waitFor();
  await axe(page, 'forgot password');
  const seen = (await outbox()).length;
  await page.locator('#forgot-email').fill('ria@example.com');
  await page.locator('#forgot-form button[type=submit]').click();
  await page.locator('#status', { hasText: 'If ria@example.com belongs to an account' }).waitFor();
  const mail = await nextMessage(seen, (e) => e.channel === 'Email' && e.to === 'ria@example.com' && /ticket=/.test(e.body));
  const link = linkOf(mail);
  assert.ok(link.startsWith(BASE + '/reset-password?ticket='), link);

  await page.goto(link);
  const input = page.locator('#new-password');
  await input.fill('short one');
  assert.equal(await page.locator('#policy-length').textContent(), 'At least 15 characters; now 9.');
  await axe(page, 'reset password');
  await shot(page, 'reset-password');
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'Choose another password: this one is shorter than 15 characters.' }).waitFor();
  // The server's verdict, in the page's words: the ticket stays usable.
  await input.fill('ria@example.comria@example.com');
  assert.equal(await page.locator('#policy-length').getAttribute('data-ok'), 'true');
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'Choose another password: this one is built from your email address.' }).waitFor();
  await axe(page, 'weak password');
  await shot(page, 'weak-password');
  await input.fill('Marble-Orchid-Tundra-Piano-58');
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#done').waitFor();
  // The link is used up.
  await page.goto(link);
  await page.locator('#new-password').fill('Another-Sturdy-Passphrase-93');
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'This link has expired, was already used' }).waitFor();
  await page.close();
});

test('invitation through its link: a password, then the second factor', async () => {
  const login = await (await fetch(BASE + '/api/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'root@example.com', password: PASSWORD, url: PLAIN_URL }),
  })).json();
  assert.ok(login.token, 'the admin signs in');
  const app = await (await fetch(BASE + '/odata/applications/url', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: MFA_URL }),
  })).json();
  const seen = (await outbox()).length;
  const invited = await fetch(BASE + '/odata/users/invite', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + login.token, appId: env('PLAIN_APP_ID') },
    body: JSON.stringify({ user: { email: 'new@example.com', name: 'New', applications: [app.appId] } }),
  });
  assert.equal(invited.status, 201);
  const link = linkOf(await nextMessage(seen, (e) => e.to === 'new@example.com' && /accept-invite/.test(e.body)));
  const page = await newPage();
  await page.goto(link + '&url=' + MFA_URL);
  await page.waitForFunction(() => document.title.includes('Web (MFA)'));
  assert.equal(await page.locator('h1').textContent(), 'Your invitation to Web (MFA)');
  await axe(page, 'accept invitation');
  await shot(page, 'accept-invite');
  const before = (await outbox()).length;
  await page.locator('#new-password').fill('Velvet-Harbor-Cactus-Mango-31');
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#mfa').waitFor();
  const mail = await nextMessage(before, (e) => e.to === 'new@example.com' && /\b\d{6}\b/.test(e.body));
  await page.locator('#code').fill(codeOf(mail));
  await page.locator('#code-form button[type=submit]').click();
  await page.locator('#done').waitFor();
  assert.equal(await page.locator('#done-text').textContent(), 'You are signed in to Web (MFA).');
  assert.equal(await page.locator('#done-user').textContent(), 'Signed in as New.');
  await page.close();
});

test('languages: the switcher and Accept-Language', async () => {
  const page = await newPage({ 'Accept-Language': 'de-CH,de;q=0.9' });
  await page.goto(`${BASE}/login?url=${MFA_URL}`);
  await page.waitForFunction(() => document.title.includes('Web (MFA)'));
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  assert.equal(await page.locator('h1').textContent(), 'Bei Web (MFA) anmelden');
  await page.locator('nav a[lang=nl]').click();
  await page.waitForFunction(() => document.documentElement.lang === 'nl' && document.title.includes('Web (MFA)'));
  assert.equal(await page.locator('h1').textContent(), 'Inloggen bij Web (MFA)');
  assert.equal(await page.locator('label[for=password]').textContent(), 'Wachtwoord');
  await axe(page, 'login in Dutch');
  await shot(page, 'login-nl');
  await page.locator('nav a[lang=fr]').click();
  await page.waitForFunction(() => document.documentElement.lang === 'fr');
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'Saisissez votre adresse e-mail.' }).waitFor();
  await page.close();
});

test('a redirect_uri on an allowed origin gets the token by form POST, never in the address', async () => {
  const page = await newPage();
  const target = `${RECEIVER}/callback`;
  await signIn(page, `url=${PLAIN_URL}&redirect_uri=${encodeURIComponent(target)}&state=s-42`, 'root@example.com');
  await page.waitForURL(target);
  assert.equal(page.url(), target);
  const got = await (await fetch(RECEIVER + '/last')).json();
  assert.equal(got.method, 'POST');
  assert.equal(got.form.state, 's-42');
  assert.match(got.form.token, /^[A-Za-z0-9_.-]{40,}$/);
  assert.ok(Number(got.form.expiresIn) > 0);
  await page.close();
});

test('bad input: no application, an unknown one, a redirect_uri elsewhere, an expired ticket', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/login`);
  await page.locator('#error', { hasText: 'This page does not say which application' }).waitFor();
  assert.ok(await page.locator('#login-form').isHidden());
  await axe(page, 'no application');

  await page.goto(`${BASE}/login?url=nobody.localhost`);
  await page.locator('#error', { hasText: 'No application is known at this address.' }).waitFor();
  assert.ok(await page.locator('#login-form').isHidden());

  await page.goto(`${BASE}/login?url=${PLAIN_URL}&redirect_uri=${encodeURIComponent('https://evil.example.net/cb')}`);
  await page.locator('#error', { hasText: 'This link would send you to https://evil.example.net, which Web does not allow.' }).waitFor();
  assert.ok(await page.locator('#login-form').isHidden(), 'nobody is asked for a password');
  await axe(page, 'redirect refused');
  await shot(page, 'redirect-refused');

  await page.goto(`${BASE}/login?appId=${env('PLAIN_APP_ID')}&redirect_uri=${encodeURIComponent(RECEIVER + '/cb')}`);
  await page.locator('#error', { hasText: 'does not name the application by its address' }).waitFor();

  await page.goto(`${BASE}/reset-password?ticket=bogus-ticket`);
  await page.locator('#new-password').fill('Granite-Meadow-Pickle-Oyster-64');
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'This link has expired, was already used' }).waitFor();
  assert.ok(await page.locator('#restart').isVisible());

  await page.goto(`${BASE}/accept-invite`);
  await page.locator('#error', { hasText: 'This link is not complete.' }).waitFor();
  await page.close();
});

test('markup in every field and in the application name stays text', async () => {
  const page = await newPage();
  const markup = '<img src=x onerror="window.__hit=1">';
  await page.goto(`${BASE}/login?url=${ODD_URL}&state=${encodeURIComponent(markup)}`);
  await page.waitForFunction(() => document.title.includes('<b>'));
  assert.equal(await page.locator('h1').textContent(), 'Sign in to <b>Odd</b> & <script>window.__hit=1</script>');
  await page.locator('#email').fill(markup + '@example.com');
  await page.locator('#password').fill(markup);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#error').waitFor({ state: 'visible' });
  await page.locator('#forgot-open').click();
  await page.locator('#forgot-email').fill(`a${markup}@example.com`);
  await page.locator('#forgot-form button[type=submit]').click();
  await page.locator('#status:not(:empty), #error:not(:empty)').first().waitFor();
  await page.goto(`${BASE}/reset-password?ticket=${encodeURIComponent(markup)}&url=${ODD_URL}`);
  await page.locator('#new-password').fill(markup + markup);
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('#error:not(:empty)').waitFor();
  assert.equal(await page.evaluate(() => window.__hit), undefined, 'no markup ran');
  assert.equal(await page.locator('img').count(), 0, 'no markup became an element');
  await page.close();
});

test('a 429 says how long to wait', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/login?url=${PLAIN_URL}`);
  await page.waitForFunction(() => document.title.includes('Web'));
  await page.locator('#email').fill('tom@example.com');
  let status = 0;
  for (let i = 0; i < 8 && status !== 429; i++) {
    await page.locator('#password').fill('a wrong password, try ' + i);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/auth/login')),
      page.locator('#login-form button[type=submit]').click(),
    ]);
    status = resp.status();
  }
  assert.equal(status, 429, 'failed passwords back the email off');
  await page.locator('#error', { hasText: /^Too many tries\. Wait \d+ seconds and try again\.$/ }).waitFor();
  await axe(page, 'too many requests');
  await page.close();
});

test('a double-clicked submit sends one request', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/login?url=${PLAIN_URL}`);
  await page.waitForFunction(() => document.title.includes('Web'));
  let logins = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/auth/login')) logins++; });
  await page.locator('#email').fill('root@example.com');
  await page.locator('#password').fill('not-the-password-at-all');
  await page.locator('#login-form button[type=submit]').dblclick();
  // A second submit would have sent its request at once, before the first answer came back.
  await page.locator('#error', { hasText: 'The email address or password is not right' }).waitFor();
  assert.equal(logins, 1);
  await page.close();
});

// TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps) of a base32 secret, as an authenticator app computes it.
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    assert.ok(i >= 0, `base32 character ${c}`);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// An authenticator app as the tests use it: each code is of a time step after the last one used (the
// gateway accepts a step once, and one step either side of now), so that no code is a replay.
function authenticatorApp(secret) {
  let last = -Infinity;
  return {
    code() {
      const now = Math.floor(Date.now() / 30000);
      const step = Math.max(now - 1, last + 1);
      assert.ok(step <= now + 1, 'a step the gateway still accepts');
      last = step;
      return totp(secret, step);
    },
  };
}

// The RFC 6238 test vector: the secret "12345678901234567890" at 59 s is 287082 (of 94287082).
test('the tests\' TOTP is RFC 6238\'s', () => {
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1), '287082');
});

const recoveryCode = /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/;

async function recoveryCodesShown(page) {
  await page.locator('#codes').waitFor();
  const list = await page.locator('#recovery-codes li').allTextContents();
  assert.equal(list.length, 10);
  for (const c of list) {
    assert.match(c, recoveryCode);
  }
  assert.equal(new Set(list).size, 10, 'ten different codes');
  return list;
}

// scanQR reads the QR code of the image element as an authenticator app's camera does, trying a few
// distances: the pixels of the image as the browser draws it at each of a few sizes, on white, decoded
// by ZXing. The first reading is the code's text.
async function scanQR(img) {
  const frames = await img.evaluate((el) => [el.naturalWidth, 200, 170, 400].map((side) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, side, side);
    g.drawImage(el, 0, 0, side, side);
    return { side, rgba: Array.from(g.getImageData(0, 0, side, side).data) };
  }));
  let failure;
  for (const { side, rgba } of frames) {
    const luminances = new Uint8ClampedArray(side * side);
    for (let i = 0; i < luminances.length; i++) {
      luminances[i] = (rgba[4 * i] + 2 * rgba[4 * i + 1] + rgba[4 * i + 2]) >> 2;
    }
    try {
      return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminances, side, side)))).getText();
    } catch (e) {
      failure = e;
    }
  }
  throw failure;
}

test('account: an authenticator app enrolled by its QR code, its code and a recovery code at sign-in, codes renewed, the app removed', async () => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(BASE).origin });
  const page = await newPage();
  await page.goto(`${BASE}/account?url=${MFA_URL}`);
  await page.waitForFunction(() => document.title.includes('Web (MFA)'));
  assert.equal(await page.locator('h1').textContent(), 'Your sign-in methods for Web (MFA)');
  await axe(page, 'account sign-in');
  const seen = (await outbox()).length;
  await submitSignIn(page, 'otp@example.com');
  await page.locator('#mfa').waitFor();
  const mail = await nextMessage(seen, (e) => e.channel === 'Email' && e.to === 'otp@example.com');
  await page.locator('#code').fill(codeOf(mail));
  await page.locator('#code-form button[type=submit]').click();
  await page.locator('#account').waitFor();
  assert.deepEqual(await page.locator('#factors li').allTextContents(), ['codes by email: o***@example.com']);
  assert.ok(await page.locator('#enrol').isVisible());
  assert.ok(await page.locator('#app-manage').isHidden());
  await axe(page, 'account');
  await shot(page, 'account');

  await page.locator('#enrol').click();
  await page.locator('#enrol-step').waitFor();
  assert.ok(await page.evaluate(() => document.activeElement.id === 'enrol-title'), 'focus moves to the step');
  const src = await page.locator('#qr').getAttribute('src');
  const png = Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64');
  assert.ok(src.startsWith('data:image/png;base64,'), 'the QR code is a PNG data URL');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  assert.ok(width > 20 && width === height, `a square image (${width}x${height})`);
  assert.deepEqual(await page.locator('#qr').evaluate((img) => [img.complete, img.naturalWidth]), [true, width], 'the browser drew it');
  // The secret comes from the QR code itself, as an authenticator app reads it.
  const scanned = await scanQR(page.locator('#qr'));
  assert.equal(scanned, await page.locator('#otpauth').getAttribute('href'), 'the QR code holds the page\'s otpauth link');
  const uri = new URL(scanned);
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/Web (MFA):otp@example.com');
  assert.equal(uri.searchParams.get('issuer'), 'Web (MFA)');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
  const secret = uri.searchParams.get('secret');
  assert.match(secret, /^[A-Z2-7]{32,}$/);
  assert.equal((await page.locator('#secret').textContent()).replace(/ /g, ''), secret, 'the key as text is the QR code\'s');
  await axe(page, 'account enrolment');
  await shot(page, 'account-enrol');

  const app = authenticatorApp(secret);
  await page.locator('#confirm-code').fill('12345');
  await page.locator('#confirm-form button[type=submit]').click();
  await page.locator('#error', { hasText: 'The code is 6 digits.' }).waitFor();
  await page.locator('#confirm-code').fill(app.code());
  await page.locator('#confirm-form button[type=submit]').click();
  const codes = await recoveryCodesShown(page);
  await page.locator('#status', { hasText: 'Your authenticator app is set up.' }).waitFor();
  await axe(page, 'recovery codes');
  await shot(page, 'recovery-codes');
  await page.locator('#copy-codes').click();
  await page.locator('#status', { hasText: 'The codes are copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), codes.join('\n'));
  await page.locator('#codes-done').click();
  await page.locator('#account').waitFor();
  assert.match(await page.locator('#factors').textContent(), /authenticator app: set up on/);
  assert.equal(await page.locator('#recovery-count').textContent(), '10 recovery codes left.');
  assert.equal(await page.locator('#recovery-codes li').count(), 0, 'the codes are gone from the page');
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
  await page.close();

  // A later sign-in asks for the app's code, and nothing is sent.
  const login = await newPage();
  const before = (await outbox()).length;
  await signIn(login, `url=${MFA_URL}`, 'otp@example.com');
  await login.locator('#mfa').waitFor();
  assert.equal(await login.locator('#mfa-sent').textContent(), 'Enter the code your authenticator app shows.');
  assert.ok(await login.locator('#resend').isHidden());
  await login.locator('#code').fill(app.code());
  await login.locator('#code-form button[type=submit]').click();
  await login.locator('#done').waitFor();
  assert.equal((await outbox()).slice(before).filter((e) => e.to === 'otp@example.com' && /\b\d{6}\b/.test(e.body)).length, 0, 'no code was sent');
  await login.close();

  // A recovery code instead, once; then the account page from the finished sign-in, with its token.
  const rescue = await newPage();
  await signIn(rescue, `url=${MFA_URL}`, 'otp@example.com');
  await rescue.locator('#mfa').waitFor();
  await rescue.locator('#use-recovery').click();
  assert.ok(await rescue.evaluate(() => document.activeElement.id === 'recovery'));
  await rescue.locator('#recovery').fill(codes[0]);
  await rescue.locator('#code-form button[type=submit]').click();
  await rescue.locator('#done').waitFor();
  assert.equal(await rescue.locator('#done-recovery').textContent(), '9 recovery codes left.');
  let requests = 0;
  rescue.on('request', (r) => { if (r.url().includes('/api/auth/login')) requests++; });
  await rescue.locator('#account-link').click();
  await rescue.locator('#account').waitFor();
  assert.equal(new URL(rescue.url()).pathname, '/account');
  assert.equal(requests, 0, 'the account page took the sign-in along');
  assert.equal(await rescue.locator('#recovery-count').textContent(), '9 recovery codes left.');
  assert.equal(await rescue.locator('h1').textContent(), 'Your sign-in methods for Web (MFA)');
  await rescue.locator('#renew-code').fill(app.code());
  await rescue.locator('#renew-form button[type=submit]').click();
  const renewed = await recoveryCodesShown(rescue);
  assert.equal(renewed.filter((c) => codes.includes(c)).length, 0, 'a new set');
  await rescue.locator('#status', { hasText: 'You have new recovery codes' }).waitFor();
  await rescue.locator('#codes-done').click();
  await rescue.locator('#account').waitFor();
  assert.equal(await rescue.locator('#recovery-count').textContent(), '10 recovery codes left.');

  await rescue.locator('#remove-code').fill(codes[1]); // of the old set: refused
  await rescue.locator('#remove-form button[type=submit]').click();
  await rescue.locator('#error', { hasText: 'That code is not right.' }).waitFor();
  assert.equal(await rescue.locator('#remove-code').getAttribute('aria-invalid'), 'true');
  await rescue.locator('#remove-code').fill(renewed[0]);
  await rescue.locator('#remove-form button[type=submit]').click();
  await rescue.locator('#status', { hasText: 'The authenticator app is removed.' }).waitFor();
  assert.ok(await rescue.locator('#enrol').isVisible());
  assert.deepEqual(await rescue.locator('#factors li').allTextContents(), ['codes by email: o***@example.com']);
  await rescue.close();
});

test('account: a sign-in too old for the change says to sign in again', async () => {
  const page = await newPage();
  // The gateway's answer to an enrolment with a token from more than 10 minutes ago.
  await page.route(`${BASE}/api/auth/mfa/authenticators`, (route) => (route.request().method() === 'POST'
    ? route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ code: 'reauthentication_required', message: 'This change needs a recent login; log in again and retry within 10 minutes.' }) })
    : route.continue()));
  await page.goto(`${BASE}/account?url=${PLAIN_URL}&lang=en`);
  await page.waitForFunction(() => document.title.includes('Web'));
  await submitSignIn(page, 'old@example.com');
  await page.locator('#account').waitFor();
  await page.locator('#enrol').click();
  await page.locator('#error', { hasText: 'For this change your sign-in must be less than 10 minutes old. Sign in again, then try again.' }).waitFor();
  const again = page.locator('#restart-link');
  assert.ok(await again.isVisible());
  assert.ok(await again.evaluate((el) => el === document.activeElement), 'focus is on the way on');
  assert.equal(new URL(await again.getAttribute('href'), BASE).pathname, '/account');
  await axe(page, 'account: sign in again');
  await again.click();
  await page.locator('#login-form').waitFor();
  await page.close();
});

test('account: in Dutch, and without an application', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/account?url=${MFA_URL}&lang=nl`);
  await page.waitForFunction(() => document.title.includes('Web (MFA)'));
  assert.equal(await page.locator('h1').textContent(), 'Uw inlogmethoden voor Web (MFA)');
  await axe(page, 'account in Dutch');
  await page.goto(`${BASE}/account`);
  await page.locator('#error', { hasText: 'This page does not say which application' }).waitFor();
  assert.ok(await page.locator('#login-form').isHidden());
  await page.close();
});

test('no request left the two origins, and no policy or script error happened', () => {
  assert.deepEqual(offOrigin, []);
  assert.deepEqual(policyErrors, []);
});
