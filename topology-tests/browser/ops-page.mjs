// Browser test of the ops page (monitoring/ops/, served by the runner's Prometheus at /user/).
//   node ops-page.mjs OPS_URL OUT_DIR     (through run.sh: run.sh ops-page.mjs OPS_URL OUT_DIR)
// Checks: the page loads without a JavaScript error, every chart of charts.json is drawn, the charts that a running
// topology with some traffic always has are not empty (their element's data-points, and coloured pixels of their
// lines on the canvas), the header names a leader. Prints each chart's state and points. Screenshot: OUT_DIR/ops.png.
// Exit 0 when every check passed, 1 when one failed, 2 on bad usage, 3 when the whole run took too long.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { CheckFailed, STEP_MS, check, limitRun, passed, reportFailure, screenshot, waitUntil } from './checks.mjs';

const RUN_MS = 45_000;    // the whole run

// what a topology with traffic in the last 15 minutes always shows (the errors, the instances' latency, HAProxy's new
// sessions and the alerts may be empty, honestly)
const MUST_HAVE_DATA = ['nginx-requests', 'instance-requests', 'haproxy-sessions', 'nginx-latency', 'roles',
  'replication-lag', 'replica-age', 'reads', 'connections', 'targets'];

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error('usage: node ops-page.mjs OPS_URL OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

limitRun(RUN_MS);

// each chart as the page describes it, and the pixels of its canvas in a colour (the series' strokes; the grid, the
// axes and the reference lines are grey)
const charts = page => page.$$eval('[data-chart]', els => els.map(el => {
  const canvas = el.querySelector('canvas');
  let coloured = 0;
  if (canvas && canvas.width && canvas.height) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
    }
  }
  return { id: el.dataset.chart, state: el.dataset.state, points: Number(el.dataset.points),
    series: Number(el.dataset.series), canvas: canvas ? `${canvas.width}x${canvas.height}` : null, coloured,
    note: el.querySelector('.overlay')?.hidden ? '' : el.querySelector('.overlay')?.textContent };
}));

const started = Date.now();
const pageErrors = [];
let browser, page;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: STEP_MS,
  });
  console.log(`Chromium ${browser.version()}`);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', e => pageErrors.push(e.message));
  page.on('console', m => { if (m.type() === 'error') console.log(`     [console] ${m.text()}`); });
  const response = await page.goto(url).catch(e => {
    throw new CheckFailed(`GET ${url} failed: ${e.message.split('\n')[0]}`);
  });
  check(response?.ok(), `GET ${url} answered ${response?.status()}`);
  await waitUntil(page, () => Number(document.body.dataset.refreshes) >= 1 || document.body.dataset.failed,
    null, 'the page refreshed its charts once');
  check(!(await page.evaluate(() => document.body.dataset.failed)), 'the page started (charts.json, settings.json read)');
  const ids = (await charts(page)).map(c => c.id);
  check(MUST_HAVE_DATA.every(id => ids.includes(id)), `the page has the charts ${MUST_HAVE_DATA.join(', ')} (of ${ids.length})`);
  // (the first refresh may come before a series has its first point in range: wait for the refreshes after it)
  await waitUntil(page, must => must.every(id => Number(document.querySelector(`[data-chart="${id}"]`)?.dataset.points) > 0),
    MUST_HAVE_DATA, 'every chart that must have data has some');

  const seen = await charts(page);
  for (const c of seen) {
    console.log(`     chart ${c.id}: ${c.state}, ${c.points} points in ${c.series} series, canvas ${c.canvas}, `
      + `${c.coloured} coloured pixels${c.note ? ` (${c.note})` : ''}`);
  }
  check(seen.every(c => c.state !== 'error'), `no chart's query failed${seen.filter(c => c.state === 'error')
    .map(c => `; ${c.id}: ${c.note}`).join('')}`);
  check(seen.every(c => c.canvas), 'every chart is drawn (a canvas)');
  for (const id of MUST_HAVE_DATA) {
    const c = seen.find(x => x.id === id);
    check(c.state === 'ok' && c.points > 0 && c.coloured > 5,
      `${id}: ${c.points} points, ${c.coloured} coloured pixels on its canvas`);
  }
  const leader = await page.textContent('#leader');
  check(/^service-db-[12]$/.test(leader), `the header names one leader: ${leader}`);
  console.log(`     targets answering: ${await page.textContent('#targets')}, alerts: ${await page.textContent('#alert-count')}`);
  check(pageErrors.length === 0, `no JavaScript errors${pageErrors.length ? ': ' + pageErrors.join('; ') : ''}`);
} catch (e) {
  failed = true;
  reportFailure(e);
  // what each chart had when it failed
  for (const c of page ? await charts(page).catch(() => []) : []) {
    console.error(`     chart ${c.id}: ${c.state}, ${c.points} points in ${c.series} series${c.note ? ` (${c.note})` : ''}`);
  }
} finally {
  await screenshot(page, outDir, 'ops.png', { fullPage: true });
  await browser?.close().catch(() => {});
}
console.log(`ops-page: ${passed()} passed, ${failed ? 1 : 0} failed, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
