// Browser end-to-end test: a citizen files a report through the web form in
// the system Chromium, writes down the tracking code and secret from the
// receipt, and looks the report up on the status page. The place field
// suggests communes as the person types (by keyboard and by touch), and
// stays plain text without JavaScript.
//
//   HOTLINE_BINARY=build/hotline node --test tests/browser/report_flow.test.mjs
//
// Environment:
//   HOTLINE_BINARY             the server (default: ../../build/hotline from this file)
//   HOTLINE_CHROMIUM           the browser (default: /usr/bin/chromium)
//   HOTLINE_BROWSER_ARTIFACTS  where screenshots go (default: the temporary directory)
//   HOTLINE_KEEP_TMP=1         keep the temporary directory (database, key, logs) after a pass
//
// The server runs on port 0 with its database, key and configuration in a
// fresh temporary directory; nothing is written in the repository. No sleeps:
// every wait is on an event with a bounded timeout, except polling for the
// port file (at most 10 s).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile, access } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const BINARY = path.resolve(process.env.HOTLINE_BINARY || path.join(here, '../../build/hotline'));
const CHROMIUM = process.env.HOTLINE_CHROMIUM || '/usr/bin/chromium';

const PORT_FILE_WAIT_MS = 10_000;
const SHUTDOWN_WAIT_MS = 15_000; // the server's own shutdown_timeout is 10 s
const ACTION_TIMEOUT_MS = 10_000;
const NAVIGATION_TIMEOUT_MS = 15_000;

// What a citizen types: Vietnamese with diacritics (NFC, as a keyboard gives it).
const REPORT_TEXT =
  'Cháu bé hàng xóm khoảng 7 tuổi bị bố đánh hằng ngày, hôm nay thấy vết bầm trên tay';
const LOCATION_TEXT = 'Thôn Đông, xã Tân Phú, huyện Đồng Phú cũ, tỉnh Bình Phước';

// Tracking codes use 23456789ABCDEFGHJKMNPQRSTUVWXYZ (no 0/O/1/I/L).
const TRACKING_CODE_RE = /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/;
const ACCESS_SECRET_RE = /^\d{4} \d{4}$/;

const BROWSER_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ------------------------------------------------------------------ server --

async function exists(file) {
  try {
    await access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

// Starts `hotline serve` on port 0 in `dir`; resolves once the port file is there.
async function startServer(dir) {
  const configFile = path.join(dir, 'hotline.toml');
  const portFile = path.join(dir, 'port');
  // JSON.stringify gives a valid TOML basic string for any path.
  await writeFile(configFile, `[storage]\nkey_file = ${JSON.stringify(path.join(dir, 'server.key'))}\n`);

  const child = spawn(
    BINARY,
    ['serve', '--listen', '127.0.0.1:0', '--db', path.join(dir, 'hotline.db'),
     '--port-file', portFile, '--config', configFile],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = {
    child,
    output: [],       // stderr (JSON log lines) and stdout, as received
    exit: null,       // { code, signal } once exited
    port: 0,
    url: '',
  };
  // 'error' instead of 'exit' when the binary cannot be started at all.
  server.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      server.exit = { code, signal };
      resolve(server.exit);
    });
    child.on('error', (error) => {
      server.exit = { error: error.message };
      resolve(server.exit);
    });
  });
  child.stdout.setEncoding('utf8').on('data', (s) => server.output.push(s));
  child.stderr.setEncoding('utf8').on('data', (s) => server.output.push(s));

  const started = Date.now();
  for (;;) {
    if (server.exit) {
      throw new Error(`hotline serve (${BINARY}) stopped during start-up: ${JSON.stringify(server.exit)}`);
    }
    if (await exists(portFile)) {
      const text = await readFile(portFile, 'utf8');
      if (/^\d+\n$/.test(text)) {
        server.port = Number(text.trim());
        break;
      }
    }
    if (Date.now() - started > PORT_FILE_WAIT_MS) {
      throw new Error(`no port file after ${PORT_FILE_WAIT_MS} ms`);
    }
    await delay(50);
  }
  assert.ok(server.port > 0 && server.port < 65536, `port file holds ${server.port}`);
  server.url = `http://127.0.0.1:${server.port}`;
  return server;
}

// SIGTERM, then the exit status; SIGKILL if it does not stop in time.
async function stopServer(server) {
  if (server.exit) return server.exit;
  server.child.kill('SIGTERM');
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), SHUTDOWN_WAIT_MS);
  });
  const result = await Promise.race([server.exited, timedOut]);
  clearTimeout(timer);
  if (result) return result;
  server.child.kill('SIGKILL');
  await server.exited;
  throw new Error(`hotline serve did not stop within ${SHUTDOWN_WAIT_MS} ms of SIGTERM; killed`);
}

function serverLog(server) {
  return server ? server.output.join('') : '(server not started)';
}

// ----------------------------------------------------------------- helpers --

async function newPage(browser, { locale = 'vi-VN', width = 360, height = 740, javaScript = true, touch = false } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    locale,
    javaScriptEnabled: javaScript,
    hasTouch: touch,
    isMobile: touch,
    serviceWorkers: 'block',
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  const page = await context.newPage();
  // Console errors include CSP violations: the pages must not cause any.
  // "Failed to load resource" is left out: the status of each page is checked
  // where it is loaded, the favicon is allowed to be missing, and failed
  // sub-resources are caught below.
  page.consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  page.on('response', (r) => {
    const { pathname } = new URL(r.url());
    if (r.request().resourceType() !== 'document' && pathname !== '/favicon.ico' && r.status() >= 400)
      page.consoleErrors.push(`${r.status()} for ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (new URL(r.url()).pathname !== '/favicon.ico')
      page.consoleErrors.push(`request failed: ${r.url()}: ${r.failure() && r.failure().errorText}`);
  });
  return { context, page };
}

async function goto(page, url, expectedStatus = 200) {
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.ok(response, `no response for ${url}`);
  assert.equal(response.status(), expectedStatus, `GET ${url}`);
  return response;
}

// Clicks the submit button of `formSelector` and returns the response to the POST.
async function submit(page, formSelector, action) {
  const responsePromise = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action,
    { timeout: NAVIGATION_TIMEOUT_MS },
  );
  await page.locator(`${formSelector} button[type="submit"]`).click();
  const response = await responsePromise;
  await page.waitForLoadState('load');
  return response;
}

async function visible(locator, what) {
  await locator.waitFor({ state: 'visible', timeout: ACTION_TIMEOUT_MS }).catch((e) => {
    throw new Error(`${what} is not visible: ${e.message}`);
  });
}

// Opens the folded <details> group of the report form that holds the control `name`.
async function openGroupOf(page, name) {
  const control = `[name="${name}"]`;
  const group = page.locator('form.report-form details.group', { has: page.locator(control) });
  if ((await group.getAttribute('open')) === null) await group.locator('summary').click();
  await visible(page.locator(`form.report-form ${control}`), `the ${name} field`);
}

async function checkQuickExitAndEmergency(page, quickExitText) {
  // The first link in the body leaves the site (not followed: no internet here).
  const first = await page.evaluate(() => {
    const a = document.body.querySelector('a');
    return a && { href: a.getAttribute('href'), cls: a.className, text: a.textContent.trim() };
  });
  assert.ok(first, 'the page has links');
  assert.equal(first.href, 'https://www.google.com.vn/');
  assert.equal(first.cls, 'quick-exit');
  assert.equal(first.text, quickExitText);

  const quickExit = page.locator('a.quick-exit');
  await visible(quickExit, 'the quick exit link');
  const box = await quickExit.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width &&
            box.y + box.height <= viewport.height,
            `the quick exit link is on screen without scrolling: ${JSON.stringify(box)}`);

  // The first Tab from a fresh page reaches it.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.className);
  assert.equal(focused, 'quick-exit', 'the first Tab focuses the quick exit link');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());

  for (const number of ['111', '113', '115']) {
    const link = page.locator(`.emergency a[href="tel:${number}"]`);
    await visible(link, `emergency number ${number}`);
    assert.equal((await link.textContent()).trim(), number);
  }
}

// --------------------------------------------------------------- the tests --

test('report form in a real browser', { timeout: 150_000 }, async (t) => {
  const { chromium } = await import('playwright-core').catch((e) => {
    throw new Error(`playwright-core is not installed (cd ${here} && npm ci): ${e.message}`);
  });
  assert.ok(await exists(BINARY), `server binary ${BINARY} not found (build it, or set HOTLINE_BINARY)`);
  assert.ok(await exists(CHROMIUM), `${CHROMIUM} not found (apt-get install chromium, or set HOTLINE_CHROMIUM)`);

  const dir = await mkdtemp(path.join(tmpdir(), 'hotline-browser-'));
  const artifacts = process.env.HOTLINE_BROWSER_ARTIFACTS || dir;
  await mkdir(artifacts, { recursive: true });
  // Screenshots of an earlier run must not be mistaken for this one's.
  for (const name of await readdir(artifacts)) {
    if (/^(form|receipt|failure)-.*\.png$/.test(name)) await rm(path.join(artifacts, name), { force: true });
  }
  const shot = (page, name) => page.screenshot({ path: path.join(artifacts, name), fullPage: true, timeout: ACTION_TIMEOUT_MS });

  let server = null;
  let browser = null;
  let failed = false;
  const onExit = () => server && !server.exit && server.child.kill('SIGKILL');
  process.on('exit', onExit);
  try {
    server = await startServer(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS, timeout: 30_000 });
    const base = server.url;

    // Runs one subtest with its own browser context; failures are recorded
    // so the server log gets printed.
    const scenario = (name, fn) =>
      t.test(name, async () => {
        const { context, page } = await newPage(browser, fn.options);
        try {
          await fn(page);
        } catch (e) {
          failed = true;
          await shot(page, `failure-${name.replace(/\W+/g, '-')}.png`).catch(() => {});
          throw e;
        } finally {
          await context.close();
        }
      });

    await scenario('Vietnamese report, receipt, status look-up', async (page) => {
      await goto(page, `${base}/`);
      assert.equal(await page.getAttribute('html', 'lang'), 'vi');
      await checkQuickExitAndEmergency(page, 'Thoát nhanh');
      await shot(page, 'form-360x740.png');

      const form = 'form.report-form';
      assert.equal(await page.getAttribute(`${form}`, 'action'), '/report');
      assert.equal(await page.locator(`${form} input[name="csrf"]`).count(), 1);
      assert.equal(await page.locator(`${form} input[name="lang"]`).inputValue(), 'vi');

      await page.locator(`${form} textarea[name="text"]`).fill(REPORT_TEXT);
      await page.locator(`${form} input[name="location_text"]`).fill(LOCATION_TEXT);
      await openGroupOf(page, 'child_age');
      await page.locator(`${form} input[name="child_age"]`).fill('7');
      await page.locator(`${form} input[name="child_age_estimated"]`).check();
      await page.locator(`${form} select[name="child_sex"]`).selectOption('unknown');
      await page.locator(`${form} input[name="perpetrator_relation"]`).fill('bố đẻ');

      const response = await submit(page, form, '/report');
      assert.equal(response.status(), 200, 'POST /report');
      assert.equal(await page.getAttribute('html', 'lang'), 'vi');

      const code = (await page.locator('#tracking-code').textContent()).trim();
      const secret = (await page.locator('#access-secret').textContent()).trim();
      assert.match(code, TRACKING_CODE_RE, 'tracking code as shown on the receipt');
      assert.match(secret, ACCESS_SECRET_RE, 'access secret as shown on the receipt');
      await visible(page.locator('#tracking-code'), 'the tracking code');
      await visible(page.locator('#access-secret'), 'the access secret');
      await shot(page, 'receipt-360x740.png');

      // The secret must not be in the address bar or anywhere it could leak.
      assert.ok(!page.url().includes(secret.replace(' ', '')), 'secret not in the URL');

      const statusLink = page.locator('main a[href^="/status"]').first();
      await visible(statusLink, 'the link to the status page');
      await Promise.all([page.waitForURL((u) => u.pathname === '/status'), statusLink.click()]);
      const statusForm = 'form.status-form';
      await visible(page.locator(statusForm), 'the status form');

      // Typed as a person might: lower case, no dash; the secret without its space.
      await page.locator(`${statusForm} input[name="tracking_code"]`).fill(code.replace('-', '').toLowerCase());
      await page.locator(`${statusForm} input[name="access_secret"]`).fill(secret.replace(/\s/g, ''));
      const statusResponse = await submit(page, statusForm, '/status');
      assert.equal(statusResponse.status(), 200, 'POST /status');

      const state = page.locator('#report-state');
      await visible(state, 'the report state');
      // No directory in this test: the report waits in the hotline queue.
      assert.equal(await state.getAttribute('data-state'), 'unrouted');
      assert.equal((await page.locator('.status-code .code').textContent()).trim(), code,
                   'the status page shows the code in its canonical form');
      assert.ok(!(await page.content()).includes(secret.replace(' ', '')), 'the status page does not echo the secret');
      assert.deepEqual(page.consoleErrors, [], 'no console errors (CSP violations included)');
    });

    await scenario('whitespace-only text: 422, the form again with the input kept', async (page) => {
      await goto(page, `${base}/`);
      const form = 'form.report-form';
      const text = page.locator(`${form} textarea[name="text"]`);

      // An empty text is stopped by the browser (`required`), nothing is sent.
      assert.equal(await text.evaluate((el) => el.validity.valueMissing), true);

      await text.fill('   ');
      await page.locator(`${form} input[name="location_text"]`).fill(LOCATION_TEXT);
      await openGroupOf(page, 'child_age');
      await page.locator(`${form} input[name="child_age"]`).fill('9');
      await page.locator(`${form} select[name="child_sex"]`).selectOption('female');
      await openGroupOf(page, 'reporter_phone');
      await page.locator(`${form} input[name="reporter_phone"]`).fill('0912 345 678');
      await page.locator(`${form} input[name="contact_ok"]`).check();

      const response = await submit(page, form, '/report');
      assert.equal(response.status(), 422, 'POST /report with a blank text');

      // The message sits next to the text field and the field points to it.
      const fieldError = page.locator('#err-text');
      await visible(fieldError, 'the error next to the text field');
      assert.match(await fieldError.textContent(), /Hãy kể chuyện gì đã xảy ra/);
      const field = page.locator('.field.has-error', { has: page.locator('#f-text') });
      assert.equal(await field.count(), 1, 'the text field is marked as having an error');
      assert.equal(await field.locator('#err-text').count(), 1, 'the error is inside the text field block');
      assert.equal(await text.getAttribute('aria-invalid'), 'true');
      assert.match(await text.getAttribute('aria-describedby'), /\berr-text\b/);
      await visible(page.locator('#form-errors a[href="#f-text"]'), 'the link to the text field in the summary');

      // Everything typed is still there.
      assert.equal(await text.inputValue(), '   ');
      assert.equal(await page.locator(`${form} input[name="location_text"]`).inputValue(), LOCATION_TEXT);
      await visible(page.locator(`${form} input[name="child_age"]`), 'the child age (group kept open)');
      assert.equal(await page.locator(`${form} input[name="child_age"]`).inputValue(), '9');
      assert.equal(await page.locator(`${form} select[name="child_sex"]`).inputValue(), 'female');
      assert.equal(await page.locator(`${form} input[name="reporter_phone"]`).inputValue(), '0912 345 678');
      assert.equal(await page.locator(`${form} input[name="contact_ok"]`).isChecked(), true);
      await shot(page, 'form-error-360x740.png');

      // Corrected, the same page sends (with its fresh form token).
      await text.fill(REPORT_TEXT);
      const again = await submit(page, form, '/report');
      assert.equal(again.status(), 200, 'POST /report after the correction');
      assert.match((await page.locator('#tracking-code').textContent()).trim(), TRACKING_CODE_RE);
      assert.deepEqual(page.consoleErrors, [], 'no console errors (CSP violations included)');
    });

    // What the database holds for a report (the sqlite3 shell reads the WAL
    // database while the server runs; NULL comes out as an empty string).
    const stored = (trackingCode, column) =>
      execFileSync('sqlite3', [path.join(dir, 'hotline.db'),
                               `SELECT ${column} FROM reports WHERE tracking_code = '${trackingCode.replace('-', '')}'`],
                   { encoding: 'utf8' }).trim();
    const unitsAnswer = (page, q) =>
      page.waitForResponse((r) => {
        const u = new URL(r.url());
        return u.pathname === '/api/v1/units' && u.searchParams.get('q') === q;
      }, { timeout: ACTION_TIMEOUT_MS });

    await scenario('place field: typed without diacritics, picked with the keyboard, sent with its code', async (page) => {
      await goto(page, `${base}/`);
      const form = 'form.report-form';
      const place = page.locator(`${form} input[name="location_text"]`);
      const code = page.locator(`${form} input[name="location_code"]`);
      assert.equal(await code.getAttribute('type'), 'hidden');
      // the script made the field a combobox
      assert.equal(await place.getAttribute('role'), 'combobox');
      assert.equal(await place.getAttribute('aria-autocomplete'), 'list');
      assert.equal(await place.getAttribute('aria-expanded'), 'false');
      assert.equal(await place.getAttribute('aria-controls'), 'place-options');

      await page.locator(`${form} textarea[name="text"]`).fill(REPORT_TEXT);
      await place.click();
      const answered = unitsAnswer(page, 'luong van tri');
      await place.pressSequentially('thôn Nà Pàn, luong van tri', { delay: 15 });
      assert.equal((await answered).status(), 200);
      const listbox = page.locator('#place-options');
      const option = listbox.locator('[role="option"]', { hasText: 'Lương Văn Tri' }).first();
      await visible(option, 'the suggestion Lương Văn Tri');
      assert.equal(await listbox.getAttribute('role'), 'listbox');
      assert.equal(await place.getAttribute('aria-expanded'), 'true');
      const first = listbox.locator('[role="option"]').first();
      assert.equal((await first.textContent()).trim(), 'Phường Lương Văn Tri, Lạng Sơn');
      assert.match(await page.locator('.place-field [role="status"]').textContent(), /gợi ý/);
      await shot(page, 'form-place-suggestions-360x740.png');

      await page.keyboard.press('ArrowDown');
      assert.equal(await place.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
      assert.equal(await first.getAttribute('aria-selected'), 'true');
      await page.keyboard.press('Enter'); // picks the suggestion; does not send the form
      assert.equal(await place.inputValue(), 'thôn Nà Pàn, Phường Lương Văn Tri, Lạng Sơn');
      assert.equal(await code.inputValue(), '05983');
      assert.equal(await listbox.isHidden(), true);
      assert.equal(await place.getAttribute('aria-expanded'), 'false');
      assert.equal(new URL(page.url()).pathname, '/', 'Enter on a suggestion did not send the form');

      const response = await submit(page, form, '/report');
      assert.equal(response.status(), 200, 'POST /report');
      assert.match(response.request().postData(), /(^|&)location_code=05983(&|$)/);
      const tracking = (await page.locator('#tracking-code').textContent()).trim();
      assert.match(tracking, TRACKING_CODE_RE);
      assert.equal(stored(tracking, 'location_code'), '05983');
      assert.equal(stored(tracking, 'location_text'), 'thôn Nà Pàn, Phường Lương Văn Tri, Lạng Sơn');
      assert.deepEqual(page.consoleErrors, [], 'no console errors (CSP violations included)');
    });

    const touch = async (page) => {
      await goto(page, `${base}/?lang=en`);
      const form = 'form.report-form';
      const place = page.locator(`${form} input[name="location_text"]`);
      const code = page.locator(`${form} input[name="location_code"]`);
      await page.locator(`${form} textarea[name="text"]`).fill(REPORT_TEXT);
      await place.tap();
      const answered = unitsAnswer(page, 'luong van');
      await place.pressSequentially('luong van', { delay: 15 });
      await answered;
      const option = page.locator('#place-options [role="option"]', { hasText: 'Lương Văn Tri' }).first();
      await visible(option, 'the suggestion Lương Văn Tri');
      assert.match(await page.locator('.place-field [role="status"]').textContent(), /suggestions/);
      await option.tap();
      assert.equal(await place.inputValue(), 'Phường Lương Văn Tri, Lạng Sơn');
      assert.equal(await code.inputValue(), '05983');
      assert.equal(await page.locator('#place-options').isHidden(), true);

      // Editing the text after the pick drops the code: the words are sent alone.
      await place.press('End');
      await place.pressSequentially(' city');
      assert.equal(await code.inputValue(), '');
      const response = await submit(page, form, '/report');
      assert.equal(response.status(), 200, 'POST /report');
      assert.match(response.request().postData(), /(^|&)location_code=(&|$)/);
      const tracking = (await page.locator('#tracking-code').textContent()).trim();
      assert.equal(stored(tracking, 'location_code'), '');
      assert.equal(stored(tracking, 'location_text'), 'Phường Lương Văn Tri, Lạng Sơn city');
      assert.deepEqual(page.consoleErrors, [], 'no console errors (CSP violations included)');
    };
    touch.options = { touch: true };
    await scenario('place field: a suggestion tapped on a phone, then edited', touch);

    const noScript = async (page) => {
      await goto(page, `${base}/`);
      const form = 'form.report-form';
      const place = page.locator(`${form} input[name="location_text"]`);
      assert.equal(await place.getAttribute('role'), null, 'no combobox without the script');
      assert.equal(await page.locator('#place-options').count(), 0);
      await page.locator(`${form} textarea[name="text"]`).fill(REPORT_TEXT);
      await place.fill(LOCATION_TEXT);
      const response = await submit(page, form, '/report');
      assert.equal(response.status(), 200, 'POST /report');
      const tracking = (await page.locator('#tracking-code').textContent()).trim();
      assert.match(tracking, TRACKING_CODE_RE);
      assert.equal(stored(tracking, 'location_text'), LOCATION_TEXT);
      assert.equal(stored(tracking, 'location_code'), '');
    };
    noScript.options = { javaScript: false };
    await scenario('without JavaScript the place is plain text', noScript);

    const english = async (page) => {
      await goto(page, `${base}/?lang=en`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await checkQuickExitAndEmergency(page, 'Quick exit');
      assert.equal((await page.locator('h1').textContent()).trim(), 'Tell us about a child who is being harmed');
      assert.equal((await page.locator('form.report-form button[type="submit"]').textContent()).trim(), 'Send report');
      assert.equal(await page.locator('form.report-form input[name="lang"]').inputValue(), 'en');
      assert.match(await page.locator('label[for="f-text"]').textContent(), /What happened\?/);
      assert.match(await page.title(), /Report a child at risk/);
      const switchLink = page.locator('.lang-switch a');
      assert.equal((await switchLink.textContent()).trim(), 'Tiếng Việt');
      assert.equal(await switchLink.getAttribute('hreflang'), 'vi');
      assert.deepEqual(page.consoleErrors, [], 'no console errors (CSP violations included)');
    };
    english.options = { locale: 'vi-VN' }; // ?lang=en wins over the browser's language
    await scenario('English with ?lang=en', english);

    const fallback = async (page) => {
      await goto(page, `${base}/`);
      assert.equal(await page.getAttribute('html', 'lang'), 'vi');
      assert.equal((await page.locator('h1').textContent()).trim(), 'Báo tin về trẻ em bị xâm hại');
    };
    fallback.options = { locale: 'fr-FR' };
    await scenario('Vietnamese when the browser asks for neither language', fallback);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // Close the browser first so no keep-alive connection holds up the shutdown.
    if (browser) await browser.close().catch((e) => console.error(`closing the browser: ${e.message}`));
    let stopError = null;
    let exit = null;
    if (server) {
      try {
        exit = await stopServer(server);
      } catch (e) {
        stopError = e;
      }
    }
    process.off('exit', onExit);
    const badExit = server && (stopError || !exit || exit.code !== 0);
    if (failed || badExit) {
      console.error(`--- hotline serve output (temporary directory ${dir}) ---\n${serverLog(server)}` +
                    `--- end of server output; exit ${JSON.stringify(exit)} ---`);
    }
    if (!failed && !badExit && process.env.HOTLINE_KEEP_TMP !== '1') {
      await rm(dir, { recursive: true, force: true });
    } else {
      console.error(`kept ${dir}`);
    }
    if (artifacts !== dir) console.log(`screenshots in ${artifacts}`);
    if (stopError) throw stopError;
    if (server) assert.deepEqual(exit, { code: 0, signal: null }, 'hotline serve exits with 0 on SIGTERM');
  }
});
