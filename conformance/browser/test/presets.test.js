// A real browser (Chromium, driven by puppeteer-core) logs in through `fauxauth up --preset NAME`
// for every preset: the reference client's home page, its "Log in" button, the provider's login
// page (the first listed user), its consent page when it shows one, and back to the client, which
// must say who is logged in. Everything a person's browser does is done by the browser: the
// redirects, the cookies (SameSite=Lax included) and, for Apple and form_post, the page that
// posts the answer back by its script. Only 127.0.0.1 is reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import puppeteer from 'puppeteer-core';

const FAUXAUTH = process.env.FAUXAUTH_BIN;
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const PRESETS = (process.env.PRESETS ?? '').split(',').filter(Boolean);
if (PRESETS.length === 0) PRESETS.push(
  'generic', 'google', 'github', 'microsoft', 'keycloak', 'gitlab', 'auth0', 'okta', 'discord',
  'slack', 'apple',
);

/** Starts `fauxauth up --preset NAME` on free ports; resolves with its page URL and the process. */
async function up(preset) {
  const args = ['up', '--preset', preset, '--host', '127.0.0.1',
    '--provider-port', '0', '--resource-port', '0', '--client-port', '0'];
  const child = spawn(FAUXAUTH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  for (let i = 0; i < 300; i += 1) {
    const match = output.match(/^open: (http:\/\/127\.0\.0\.1:\d+\/)$/m);
    if (match) return { url: match[1], child, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`fauxauth up --preset ${preset} did not start:\n${output}`);
}

/** Clicks what matches `selector` and waits for the navigation it starts to settle. */
async function clickAndWait(page, selector) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'networkidle0', timeout: 15000 }),
    page.click(selector),
  ]);
}

test('a real browser logs in through every preset', { timeout: 600000 }, async (t) => {
  assert.ok(FAUXAUTH, 'FAUXAUTH_BIN names the fauxauth binary');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Nothing leaves 127.0.0.1: every other name resolves to nothing.
    // No sandbox: CI runs as root in a container, whose /dev/shm is small.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  try {
    for (const preset of PRESETS) {
      await t.test(preset, async () => {
        const { url, child, output } = await up(preset);
        const context = await browser.createBrowserContext();
        try {
          const page = await context.newPage();
          await page.goto(url, { waitUntil: 'networkidle0' });
          assert.equal(await page.$eval('main', (m) => m.dataset.state), 'logged-out');
          await clickAndWait(page, 'form[action="/login"] button');
          // The provider's login page (the first listed user), unless it logs in by itself (the
          // generic demo), and its consent page when it shows one.
          if ((await page.title()).startsWith('Sign in')) {
            await clickAndWait(page, 'ul.users button[name="username"]:not([disabled])');
          }
          if ((await page.title()).startsWith('Allow access')) {
            await clickAndWait(page, 'button[name="decision"][value="allow"]');
          }
          // Back at the client (for Apple and form_post, through the page that posts).
          try {
            await page.waitForSelector('main[data-state]', { timeout: 15000 });
          } catch (e) {
            const text = await page.evaluate(() => document.body?.innerText ?? '');
            throw new Error(`${preset}: stopped at ${page.url()} (${await page.title()}): ${text}\n${output()}`);
          }
          const state = await page.$eval('main', (m) => m.dataset.state);
          const shown = await page.$eval('main', (m) => m.innerText);
          assert.equal(state, 'logged-in', `${preset}: ${shown}\n${output()}`);
          const name = await page.$eval('[data-name]', (n) => n.textContent.trim());
          assert.ok(name.length > 0, `${preset}: no name shown`);
          assert.ok(new URL(page.url()).origin === new URL(url).origin, page.url());
          if (preset === 'apple') {
            // The name came once, in the `user` field Apple's page posted; not the address.
            assert.ok(!name.includes('@'), `apple: greeted by ${name}`);
          }
          // Logging out is a form post to the client, from its own page.
          await clickAndWait(page, 'form[action="/logout"] button');
          await page.goto(url, { waitUntil: 'networkidle0' });
          assert.equal(await page.$eval('main', (m) => m.dataset.state), 'logged-out', preset);
        } finally {
          await context.close();
          child.kill('SIGTERM');
          await once(child, 'exit');
        }
      });
    }
  } finally {
    await browser.close();
  }
});
