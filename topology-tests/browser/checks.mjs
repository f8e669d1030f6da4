// What every browser test of this directory shares: its checks ("ok   ..." lines; the first that fails ends the run),
// bounded waits whose timeout reads as the check that failed, a bound on the whole run, and screenshots that are
// taken on failure too.
import path from 'node:path';

export const STEP_MS = 15_000;   // every single wait

export class CheckFailed extends Error {}

let passedChecks = 0;
export const passed = () => passedChecks;

export function check(cond, what) {
  if (!cond) throw new CheckFailed(what);
  passedChecks++;
  console.log(`ok   ${what}`);
}

// a bounded wait whose timeout reads as the check that failed, not as a playwright stack trace
export async function waitUntil(page, fn, arg, what, { timeout = STEP_MS, polling } = {}) {
  try {
    await page.waitForFunction(fn, arg, polling ? { timeout, polling } : { timeout });
  } catch (e) {
    if (e.name === 'TimeoutError') throw new CheckFailed(`${what} (not within ${timeout / 1000} s)`);
    throw e;
  }
  check(true, what);
}

// process.exit also ends the browser: playwright kills what it launched when the process exits
export function limitRun(ms) {
  setTimeout(() => {
    console.error(`FAIL: the run did not finish within ${ms / 1000} s`);
    process.exit(3);
  }, ms).unref();
}

export function reportFailure(e) {
  console.error(e instanceof CheckFailed ? `FAIL: ${e.message}` : `FAIL: ${e.stack || e}`);
}

// OUT_DIR/FILE of PAGE (absent: nothing), said on stdout; a page that cannot be shot any more says so on stderr
export async function screenshot(page, outDir, file, options = {}) {
  if (!page) return;
  try {
    await page.screenshot({ path: path.join(outDir, file), timeout: 5000, ...options });
    console.log(`     screenshot: ${path.join(outDir, file)}`);
  } catch (e) {
    console.error(`     no screenshot ${file}: ${e.message}`);
  }
}
