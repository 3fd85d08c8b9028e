// Drives headless Chromium (Debian's `chromium`, through puppeteer-core) for the console's browser
// tests. tests/e2e/test_console.py starts it and sends one JSON command per line on stdin; each
// gets one JSON line back on stdout: {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
// Commands name elements by their data-testid, so the tests read as what a person does.
//
//   node console_driver.mjs --url http://127.0.0.1:PORT/_mallard/console/ --screenshots DIR --downloads DIR
//        [--chromium /usr/bin/chromium]
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const baseUrl = option('--url');
const screenshotDir = option('--screenshots');
const downloadDir = option('--downloads');
const chromium = option('--chromium', '/usr/bin/chromium');
mkdirSync(screenshotDir, { recursive: true });
mkdirSync(downloadDir, { recursive: true });

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  // No sandbox: the tests may run as root in a container, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
});
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 1000 });
const cdp = await page.createCDPSession();
await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloadDir });

const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(String(error.message || error)));
page.on('console', (message) => {
  if (message.type() === 'error') pageErrors.push('console: ' + message.text());
});
let dialogs = [];
page.on('dialog', async (dialog) => {
  dialogs.push(dialog.message());
  await (dialog.type() === 'prompt' ? dialog.accept('') : dialog.accept());
});

const byTestId = (id) => `[data-testid="${id}"]`;
const selectorOf = (target) => (target.startsWith('css:') ? target.slice(4) : byTestId(target));
const DEFAULT_TIMEOUT = 15000;

async function waitFor(target, timeout = DEFAULT_TIMEOUT) {
  return page.waitForSelector(selectorOf(target), { visible: true, timeout });
}

const commands = {
  async goto({ hash }) {
    // A fresh load every time (a hash-only change would keep the previous test's page state).
    await page.goto('about:blank');
    await page.goto(baseUrl + (hash ? '#/' + hash : ''), { waitUntil: 'load' });
    await page.waitForSelector('main[data-page]', { timeout: DEFAULT_TIMEOUT });
    return page.url();
  },
  async click({ target, text, timeout }) {
    if (text !== undefined) {
      // The first element matching the selector whose text contains `text`.
      const selector = selectorOf(target);
      const handle = await page.waitForFunction((sel, want) => Array.from(document.querySelectorAll(sel))
        .find((el) => el.innerText.includes(want)), { timeout: timeout || DEFAULT_TIMEOUT }, selector, text);
      await handle.asElement().click();
      return true;
    }
    const element = await waitFor(target, timeout);
    await page.waitForFunction((el) => !el.disabled, { timeout: timeout || DEFAULT_TIMEOUT }, element);
    await element.click();
    return true;
  },
  async fill({ target, value }) {
    const element = await waitFor(target);
    await element.evaluate((el) => { el.focus(); el.select && el.select(); });
    await page.keyboard.press('Backspace');
    await element.evaluate((el, v) => {
      // Large values are set directly (typing 10 KB of JSON would take seconds) and announced.
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
      setter.call(el, v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);
    return true;
  },
  async select({ target, value }) {
    await waitFor(target);
    return page.select(selectorOf(target), value);
  },
  async waitText({ target, text, timeout }) {
    const selector = selectorOf(target);
    await page.waitForFunction((sel, want) => Array.from(document.querySelectorAll(sel)).some((el) => el.innerText.includes(want)),
      { timeout: timeout || DEFAULT_TIMEOUT, polling: 100 }, selector, text);
    return true;
  },
  async waitGone({ target, timeout }) {
    await page.waitForSelector(selectorOf(target), { hidden: true, timeout: timeout || DEFAULT_TIMEOUT });
    return true;
  },
  async text({ target }) {
    const element = await waitFor(target);
    return element.evaluate((el) => el.innerText);
  },
  async texts({ target }) {
    return page.$$eval(selectorOf(target), (els) => els.map((el) => el.innerText));
  },
  async upload({ target, file }) {
    const element = await page.waitForSelector(selectorOf(target), { timeout: DEFAULT_TIMEOUT });
    await element.uploadFile(file);
    return true;
  },
  async screenshot({ name }) {
    const file = path.join(screenshotDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  },
  async evaluate({ expression }) {
    return page.evaluate(expression);
  },
  async errors() {
    const found = pageErrors.slice();
    pageErrors.length = 0;
    return found;
  },
  async dialogs() {
    const seen = dialogs;
    dialogs = [];
    return seen;
  },
};

const input = createInterface({ input: process.stdin });
for await (const line of input) {
  if (!line.trim()) continue;
  let reply;
  let command;
  try {
    command = JSON.parse(line);
    if (command.command === 'quit') break;
    const handler = commands[command.command];
    if (!handler) throw new Error(`unknown command ${command.command}`);
    reply = { ok: true, result: await handler(command) };
  } catch (error) {
    let shot = null;
    try {
      shot = path.join(screenshotDir, `failure-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true });
    } catch {
      shot = null;
    }
    reply = { ok: false, error: String(error && error.stack || error), screenshot: shot, pageErrors: pageErrors.slice(),
      main: await page.$eval('main', (m) => m.innerText.slice(0, 3000)).catch(() => '') };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
await browser.close();
