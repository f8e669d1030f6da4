// Browser test of the chat page: two real browsers (two contexts) in one room, through the given base URL.
//   node chat-browser.mjs BASE_URL OUT_DIR [BOB_BASE_URL]
// Checks: both pages connect, each shows every message once, in the same gapless id order, a too long frame
// gets an error on the sender's page while its socket stays open. Screenshots: OUT_DIR/chat.png, chat-bob.png.
// Exit 0 when every check passed, 1 when one failed, 2 on bad usage, 3 when the whole run took too long.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { CheckFailed, STEP_MS, check, limitRun, passed, reportFailure, screenshot, waitUntil } from './checks.mjs';

const RUN_MS = 60_000;    // the whole run

const [base, outDir, bobBase = base] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node chat-browser.mjs BASE_URL OUT_DIR [BOB_BASE_URL]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

limitRun(RUN_MS);

// what a page displays: message, join and leave elements in display order
const shown = page => page.$$eval('#messages [data-id]', els => els.map(e => ({
  id: Number(e.dataset.id),
  type: e.dataset.type,
  user: e.querySelector('.user')?.textContent,
  text: e.querySelector('.text')?.textContent ?? null,
})));

const showsTexts = texts => {
  const seen = [...document.querySelectorAll('#messages [data-type="message"] .text')].map(e => e.textContent);
  return texts.every(t => seen.includes(t));
};

const room = `browser-${Date.now()}`;
const users = ['alice', 'bob'];
const pages = {};
const sockets = {};      // websockets each page opened: a reconnect would show up as a second one
const pageErrors = [];
let browser;
let failed = false;

async function open(name, baseUrl) {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', e => pageErrors.push(`${name}: ${e.message}`));
  page.on('console', m => { if (m.type() === 'error') console.log(`     [${name} console] ${m.text()}`); });
  sockets[name] = [];
  page.on('websocket', ws => sockets[name].push(ws));
  pages[name] = page;
  const url = `${baseUrl.replace(/\/$/, '')}/chat.html?room=${room}&user=${name}`;
  const response = await page.goto(url).catch(e => {
    throw new CheckFailed(`${name}: GET ${url} failed: ${e.message.split('\n')[0]}`);
  });
  check(response?.ok(), `${name}: GET ${url} answered ${response?.status()}`);
  await waitUntil(page, () => document.querySelector('#status')?.dataset.state === 'connected', null,
    `${name}: page shows connected`);
}

async function send(page, text, how) {
  await page.fill('#text', text);
  if (how === 'enter') await page.press('#text', 'Enter');
  else await page.click('#send');
}

try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // root in CI: Chromium's sandbox refuses to start as root; a small /dev/shm in containers crashes tabs
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: STEP_MS,
  });
  console.log(`room ${room}, Chromium ${browser.version()}`);

  await open('alice', base);
  await open('bob', bobBase);
  const instances = {};
  for (const name of users) instances[name] = await pages[name].textContent('#instance');
  check(instances.alice && instances.bob && instances.alice !== '–', `instances shown: alice on ${instances.alice}, bob on ${instances.bob}`);
  if (instances.alice === instances.bob) {
    console.log('     note: both on one instance, so fan-out across instances is not exercised here'
      + ' (nginx pins a client address to one instance); give BOB_BASE_URL of another instance for that');
  }
  await waitUntil(pages.alice,
    () => [...document.querySelectorAll('#messages [data-type="join"] .user')].some(e => e.textContent === 'bob'),
    null, 'alice: shows bob joining');

  const fromAlice = 'hello from alice', fromBob = 'hello from bob';
  await send(pages.alice, fromAlice, 'enter');
  // alice's own message coming back is her acknowledgement: only then bob writes, so the order is known
  await waitUntil(pages.alice, showsTexts, [fromAlice], 'alice: her message came back (Enter sends)');
  await send(pages.bob, fromBob, 'click');
  for (const name of users) {
    await waitUntil(pages[name], showsTexts, [fromAlice, fromBob], `${name}: shows both messages`);
  }
  await pages.alice.waitForTimeout(1000);   // room for a late duplicate to show up

  const seen = {};
  for (const name of users) {
    seen[name] = await shown(pages[name]);
    const ids = seen[name].map(e => e.id);
    check(ids.every((id, i) => i === 0 || id === ids[i - 1] + 1),
      `${name}: ids increase without gaps or repeats [${ids.join(', ')}]`);
    for (const text of [fromAlice, fromBob]) {
      const n = seen[name].filter(e => e.type === 'message' && e.text === text).length;
      check(n === 1, `${name}: "${text}" shown exactly once (${n})`);
    }
  }
  const messages = name => seen[name].filter(e => e.type === 'message');
  const order = name => messages(name).map(e => `${e.id}:${e.user}:${e.text}`).join(' | ');
  check(order('alice') === order('bob'), `same messages in the same order on both pages: ${order('alice')} / ${order('bob')}`);
  check(messages('alice').map(e => e.text).join() === [fromAlice, fromBob].join(), 'alice\'s message before bob\'s');
  const byId = new Map(seen.alice.map(e => [e.id, JSON.stringify(e)]));
  check(seen.bob.every(e => !byId.has(e.id) || byId.get(e.id) === JSON.stringify(e)),
    'an id means the same event on both pages');

  // a frame the server must refuse: 1001 characters
  const errorsBefore = await pages.alice.locator('#errors .error').count();
  const tooLong = 'x'.repeat(1001);
  await send(pages.alice, tooLong, 'enter');
  await waitUntil(pages.alice, n => document.querySelectorAll('#errors .error').length > n, errorsBefore,
    'alice: an error is shown for a 1001 character message');
  const error = await pages.alice.locator('#errors .error').last().textContent();
  check(error.startsWith('413'), `alice: the error is a 413 (too long): "${error}"`);
  await pages.alice.waitForTimeout(500);
  check(await pages.alice.locator('#status').getAttribute('data-state') === 'connected', 'alice: still connected after the error');
  const afterError = 'still here after the error';
  await send(pages.alice, afterError, 'click');
  for (const name of users) {
    await waitUntil(pages[name], showsTexts, [afterError], `${name}: shows alice's message sent after the error`);
  }
  for (const name of users) {
    const texts = (await shown(pages[name])).map(e => e.text);
    check(!texts.includes(tooLong), `${name}: the 1001 character message is not shown`);
    check(await pages[name].locator('#pending > *').count() === 0, `${name}: nothing left unacknowledged`);
    check(sockets[name].length === 1 && !sockets[name][0].isClosed(), `${name}: one websocket, open the whole time`);
  }
  check(pageErrors.length === 0, `no JavaScript errors on either page${pageErrors.length ? ': ' + pageErrors.join('; ') : ''}`);
} catch (e) {
  failed = true;
  reportFailure(e);
} finally {
  // screenshots on failure too: they show what the page had at that point
  await screenshot(pages.alice, outDir, 'chat.png');
  await screenshot(pages.bob, outDir, 'chat-bob.png');
  await browser?.close().catch(() => {});
}
console.log(`chat-browser: ${passed()} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
