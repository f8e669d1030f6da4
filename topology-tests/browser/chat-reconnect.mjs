// Browser test of the chat page losing its instance: alice's page through nginx, bob's page directly on another
// instance, one room. Whoever runs it kills alice's instance when asked:
//   node chat-reconnect.mjs NGINX_URL OUT_DIR BOB_BASE_URL
//   prints "KILL <instance>" once both pages talk; kill that instance, then write a line "killed" to its stdin
//   (ChatAcrossInstancesIT does both; by hand: ./balance kill <instance>, then type killed).
// Checks: alice's page shows "reconnecting" and nothing of what bob sends meanwhile; it reconnects by itself through
// nginx to the instance left, asking for after=<its last id>, and then shows every message exactly once, in id order,
// with no gap, those sent while it was away included; what alice typed while away is delivered once; both pages keep
// talking afterwards and show the same messages in the same order.
// Alice's reconnect timer is held (Playwright's clock, paused on her page only) from the kill until bob's messages
// are stored, so that they are certainly sent while she is away; her page reconnects by its own timer once the clock
// runs again. Nothing else is faked: the kill, nginx, both instances and the database are real.
// Screenshots: OUT_DIR/chat-reconnect-away.png (alice while away), chat-reconnect.png (alice), chat-reconnect-bob.png.
// Exit 0 when every check passed, 1 when one failed, 2 on bad usage, 3 when the whole run took too long.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CheckFailed, STEP_MS, check, limitRun, passed, reportFailure, screenshot, waitUntil as waitFor } from './checks.mjs';
import readline from 'node:readline';

const KILL_MS = 30_000;   // for the caller to kill alice's instance
const RUN_MS = 90_000;    // the whole run
const AWAY = 5;           // messages bob sends while alice is away

const [base, outDir, bobBase] = process.argv.slice(2);
if (!base || !outDir || !bobBase) {
  console.error('usage: node chat-reconnect.mjs NGINX_URL OUT_DIR BOB_BASE_URL');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const started = Date.now();

limitRun(RUN_MS);

// every wait polls each 50 ms: the reconnect is timed from the moment the page shows it
const waitUntil = (page, fn, arg, what) => waitFor(page, fn, arg, what, { polling: 50 });

// for what Playwright reports about a page (its websockets' events), which may come a moment after the page saw it
async function eventually(cond, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
  check(cond(), what);
}

// the caller's answer on stdin ("killed"); its end without one is a failure, not a hang
const stdinLines = [];
let stdinWaiter = null, stdinClosed = false;
readline.createInterface({ input: process.stdin })
  .on('line', line => { stdinLines.push(line.trim()); stdinWaiter?.(); })
  .on('close', () => { stdinClosed = true; stdinWaiter?.(); });
async function awaitStdin(expected, ms) {
  const deadline = Date.now() + ms;
  while (!stdinLines.includes(expected)) {
    if (stdinClosed) throw new CheckFailed(`stdin ended without "${expected}"`);
    const left = deadline - Date.now();
    if (left <= 0) throw new CheckFailed(`no "${expected}" on stdin within ${ms / 1000} s`);
    await new Promise(resolve => {
      const timer = setTimeout(resolve, left);
      stdinWaiter = () => { clearTimeout(timer); resolve(); };
    });
    stdinWaiter = null;
  }
}

// what a page displays: the message elements (they alone carry an id), in display order
const shown = page => page.$$eval('#messages [data-type="message"]', els => els.map(e => ({
  id: Number(e.dataset.id),
  user: e.querySelector('.user')?.textContent,
  text: e.querySelector('.text')?.textContent ?? null,
})));
const showsTexts = texts => {
  const seen = [...document.querySelectorAll('#messages [data-type="message"] .text')].map(e => e.textContent);
  return texts.every(t => seen.includes(t));
};
const state = page => page.locator('#status').getAttribute('data-state');

const room = `reconnect-browser-${Date.now()}`;
const pages = {};
const sockets = {};
const pageErrors = [];
let browser;
let failed = false;

async function open(name, baseUrl, { heldClock = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  // installed before the page's scripts run; time flows as usual until pauseAt
  if (heldClock) await page.clock.install();
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

async function send(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: STEP_MS,
  });
  console.log(`room ${room}, Chromium ${browser.version()}`);

  await open('alice', base, { heldClock: true });
  await open('bob', bobBase);
  const doomed = await pages.alice.textContent('#instance');
  const survivor = await pages.bob.textContent('#instance');
  check(doomed && survivor && doomed !== '–' && doomed !== survivor,
    `alice on ${doomed} (through nginx), bob on ${survivor} (directly): two instances`);

  const before = ['alice before the kill', 'bob before the kill'];
  await send(pages.alice, before[0]);
  await waitUntil(pages.alice, showsTexts, [before[0]], 'alice: her message came back');
  await send(pages.bob, before[1]);
  await waitUntil(pages.alice, showsTexts, before, 'alice: shows both messages before the kill');
  const lastBefore = Math.max(...(await shown(pages.alice)).map(e => e.id));

  // from here alice's timers wait: her page notices the close at once, but reconnects only once the clock runs again
  await pages.alice.clock.pauseAt(await pages.alice.evaluate(() => Date.now()) + 1000);
  console.log(`KILL ${doomed}`);
  await awaitStdin('killed', KILL_MS);
  const killedAt = Date.now();
  await waitUntil(pages.alice, () => document.querySelector('#status')?.dataset.state === 'reconnecting', null,
    `alice: page shows reconnecting once ${doomed} was killed`);
  await eventually(() => sockets.alice.length === 1 && sockets.alice[0].isClosed(), 'alice: her socket is closed');

  // alice writes while away: kept as pending, to be sent once she is back
  const fromAway = 'alice wrote this while away';
  await send(pages.alice, fromAway);
  check(await pages.alice.locator('#pending > *').count() === 1, 'alice: her message waits as "sending"');

  const away = Array.from({ length: AWAY }, (_, i) => `bob while alice is away ${i + 1}`);
  for (const text of away) {
    await send(pages.bob, text);
    await waitUntil(pages.bob, showsTexts, [text], `bob: "${text}" stored (came back)`);
  }
  check(await state(pages.alice) === 'reconnecting', 'alice: still reconnecting while bob wrote');
  check(!(await shown(pages.alice)).some(e => away.includes(e.text)), 'alice: shows none of them yet');
  check(!(await shown(pages.bob)).some(e => e.text === fromAway), 'bob: does not have alice\'s message yet');
  await pages.alice.screenshot({ path: path.join(outDir, 'chat-reconnect-away.png'), timeout: 5000 });

  await pages.alice.clock.resume();
  const resumedAt = Date.now();
  await waitUntil(pages.alice, () => document.querySelector('#status')?.dataset.state === 'connected', null,
    'alice: page reconnected by itself');
  const reconnectMs = Date.now() - resumedAt;
  // nginx's WebSocket upstream hashes the address over every instance (the backup included): any but the killed one
  const now = await pages.alice.textContent('#instance');
  check(now && now !== '–' && now !== doomed, `alice: now on ${now}, not on ${doomed}`);
  const wsUrl = sockets.alice.length === 2 ? new URL(sockets.alice[1].url()) : null;
  check(wsUrl && wsUrl.host === new URL(base).host, `alice: her second socket went through nginx (${wsUrl})`);
  check(wsUrl.searchParams.get('after') === String(lastBefore), `alice: it asked for after=${lastBefore}, her last id`);

  await waitUntil(pages.alice, showsTexts, [...away, fromAway], 'alice: shows what bob sent while she was away, and her own');
  await waitUntil(pages.bob, showsTexts, [fromAway], 'bob: shows what alice wrote while away');
  check(await pages.alice.locator('#pending > *').count() === 0, 'alice: nothing left unacknowledged');

  // and they go on talking
  const after = ['bob after the reconnect', 'alice after the reconnect'];
  await send(pages.bob, after[0]);
  await waitUntil(pages.alice, showsTexts, [after[0]], 'alice: shows bob\'s next message');
  await send(pages.alice, after[1]);
  for (const name of ['alice', 'bob']) await waitUntil(pages[name], showsTexts, after, `${name}: shows both after the reconnect`);
  await pages.alice.waitForTimeout(1000);   // room for a late duplicate to show up

  const all = [...before, ...away, fromAway, ...after];
  const seen = {};
  for (const name of ['alice', 'bob']) {
    seen[name] = await shown(pages[name]);
    const ids = seen[name].map(e => e.id);
    check(ids.length === all.length && ids.every((id, i) => id === i + 1),
      `${name}: ids 1 to ${all.length}, each once, in order, no gap [${ids.join(', ')}]`);
    for (const text of all) {
      const n = seen[name].filter(e => e.text === text).length;
      check(n === 1, `${name}: "${text}" shown exactly once (${n})`);
    }
    check(await pages[name].locator('#pending > *').count() === 0, `${name}: nothing pending`);
  }
  const order = name => seen[name].map(e => `${e.id}:${e.user}:${e.text}`).join(' | ');
  check(order('alice') === order('bob'), 'the same messages in the same order on both pages');
  const idOf = text => seen.alice.find(e => e.text === text).id;
  check(away.every((t, i) => idOf(t) === lastBefore + 1 + i), 'bob\'s messages while away right after alice\'s last one');
  check(sockets.bob.length === 1 && !sockets.bob[0].isClosed(), 'bob: one websocket, open the whole time');
  check(sockets.alice.length === 2, `alice: exactly one reconnect (${sockets.alice.length} sockets)`);
  check(pageErrors.length === 0, `no JavaScript errors on either page${pageErrors.length ? ': ' + pageErrors.join('; ') : ''}`);
  console.log(`chat-reconnect: alice's page reconnected ${reconnectMs} ms after her timers ran again`
    + ` (${Math.round((resumedAt - killedAt) / 100) / 10} s after the kill, held while bob wrote ${AWAY} messages)`);
} catch (e) {
  failed = true;
  reportFailure(e);
} finally {
  await screenshot(pages.alice, outDir, 'chat-reconnect.png');
  await screenshot(pages.bob, outDir, 'chat-reconnect-bob.png');
  await browser?.close().catch(() => {});
}
console.log(`chat-reconnect: ${passed()} passed, ${failed ? 1 : 0} failed, ${Math.round((Date.now() - started) / 100) / 10} s`);
process.exit(failed ? 1 : 0);
