/* SPDX-License-Identifier: Apache-2.0 */
/* What the page test and the screenshot script share: the server under
 * test (the mock, or the real visualizer binary, or any URL), a headless
 * Chromium driven by playwright-core (the system's /usr/bin/chromium: no
 * browser is ever downloaded), and pages that record CSP violations and
 * script errors. Every wait is bounded in time. */
'use strict';
const { spawn } = require('child_process');
const net = require('net');
const path = require('path');
const { chromium } = require('playwright-core');

const HERE = __dirname;
const SOURCE = path.resolve(HERE, '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROOT = '/viz/'; /* Served under a prefix, so relative URLs are exercised. */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/* Polls fn until it returns a truthy value, for at most ms. */
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error('timed out after ' + ms + ' ms waiting for ' + what + (last instanceof Error ? ': ' + last.message : ''));
}

/* Every server this process started is stopped when it ends, however it
 * ends (normal exit, an uncaught error, SIGINT or SIGTERM from a timeout). */
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/* Starts a child process; its output is kept (and shown with VERBOSE). */
function startProc(cmd, args, env, tag) {
  const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  p.on('exit', () => children.delete(p));
  p.lines = [];
  p.tag = tag;
  const take = (buf) => {
    for (const l of buf.toString().split('\n')) {
      if (!l) continue;
      p.lines.push(l);
      if (process.env.VERBOSE) console.log('    [' + tag + '] ' + l);
    }
  };
  p.stdout.on('data', take);
  p.stderr.on('data', take);
  p.exited = new Promise((r) => p.on('exit', (code, sig) => r({ code, sig })));
  return p;
}

/* What ASan, UBSan, LSan and valgrind print when they find something. */
const SANITIZER_SIGNS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
  'VALGRIND-ERROR-BEGIN', 'definitely lost: '];

/* Stops p with SIGTERM (SIGKILL after 5 s, or 40 s under a sanitizer,
 * or PART5_STOP_GRACE_MS).
 * Resolves to what went wrong with it, as strings: an exit status other
 * than 0 (a crash, an exit before it was asked to stop, a kill, which
 * also loses a sanitizer's leak report) and every sanitizer report in
 * its output. A browser test must fail on any of them. */
async function stopProc(p) {
  if (!p) return [];
  let killed = false;
  if (p.exitCode === null && p.signalCode === null) {
    p.stopping = true;
    p.kill('SIGTERM');
    const grace = Number(process.env.PART5_STOP_GRACE_MS) ||
      (process.env.ASAN_OPTIONS || process.env.TEST_PREFIX ? 40000 : 5000);
    const t = setTimeout(() => {
      killed = true;
      p.kill('SIGKILL');
    }, grace);
    await p.exited;
    clearTimeout(t);
  }
  const { code, sig } = await p.exited;
  const problems = [];
  if (killed) problems.push(p.tag + ': still running after SIGTERM, killed');
  else if (code !== 0) problems.push(p.tag + ': exited ' + (sig || code) + (p.stopping ? ' on SIGTERM' : ' before it was stopped'));
  for (const l of p.lines) {
    if (SANITIZER_SIGNS.some((s) => l.includes(s)) && !/definitely lost: 0 bytes/.test(l)) problems.push(p.tag + ': ' + l);
  }
  return problems;
}

/* The server under test, from the environment:
 *   VISUALIZER_URL=http://127.0.0.1:8080/   an already running server
 *   VISUALIZER_BIN=build/.../visualizer      started here (PORT, HOST,
 *                                            CTX_ROOT=/viz/), and stopped
 *                                            and restarted for the
 *                                            connection test
 *   neither                                  the mock server, with fixtures
 * Returns { base, kind, control, dropFor(ms), stop() }; stop() resolves to
 * what went wrong with the server process(es) (stopProc), [] if nothing. */
async function startTarget() {
  if (process.env.VISUALIZER_URL) {
    const base = new URL(process.env.VISUALIZER_URL).href.replace(/\/?$/, '/');
    const t = { base, kind: 'url', stop: async () => [] };
    t.control = await probeMock(base);
    if (t.control) t.dropFor = (ms) => mockPost(base, '/_mock/drop', { seconds: ms / 1000 });
    return t;
  }
  if (process.env.VISUALIZER_BIN) return startBinary(path.resolve(process.env.VISUALIZER_BIN));
  return startMock();
}

async function startMock(fixture) {
  const py = process.env.PYTHON || 'python3';
  const p = startProc(py, [path.join(HERE, 'mock_state_server.py'), '--port', '0', '--root', ROOT,
    '--fixture', fixture || 'two-nodes'], {}, 'mock');
  const line = await until(() => p.lines.find((l) => l.startsWith('listening on ')) ||
    (p.exitCode !== null && Promise.reject(new Error('mock exited: ' + p.lines.join(' | ')))), 10000, 'the mock server')
    .catch(async (e) => {
      await stopProc(p);
      throw e;
    });
  const base = line.slice('listening on '.length).trim();
  return {
    base, kind: 'mock', control: true,
    dropFor: (ms) => mockPost(base, '/_mock/drop', { seconds: ms / 1000 }),
    stop: () => stopProc(p),
  };
}

/* The real visualizer. Every run of it (it is restarted by dropFor) must
 * exit 0 when stopped, with no sanitizer report: stop() resolves to the
 * problems of all of them (stopProc). */
async function startBinary(bin) {
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', CTX_ROOT: ROOT };
  const base = 'http://127.0.0.1:' + port + ROOT;
  const problems = [];
  let p;
  const up = async () => {
    p = startProc(bin, [], env, 'visualizer');
    try {
      await until(async () => {
        if (p.exitCode !== null) throw new Error('visualizer exited: ' + p.lines.slice(-5).join(' | '));
        const r = await fetch(base + 'healthz').catch(() => null);
        return r && r.ok;
      }, 15000, 'the visualizer to answer ' + ROOT + 'healthz');
    } catch (e) {
      problems.push(...await stopProc(p));
      throw e;
    }
  };
  await up();
  return {
    base, kind: 'binary', control: false,
    /* Stops the server for ms, then starts it again on the same port. */
    dropFor: async (ms) => {
      problems.push(...await stopProc(p));
      setTimeout(() => up().catch((e) => problems.push('restart failed: ' + e.message)), ms);
    },
    stop: async () => [...problems, ...await stopProc(p)],
  };
}

async function mockPost(base, route, body) {
  const r = await fetch(new URL(route, base), {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (!r.ok) throw new Error('mock ' + route + ': HTTP ' + r.status + ' ' + (await r.text()));
}

async function probeMock(base) {
  const r = await fetch(new URL('/_mock/fixture', base), { method: 'POST', body: '' }).catch(() => null);
  return !!r && r.status === 400 && /unknown fixture/.test(await r.text());
}

function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/* A page that records what must never happen: CSP violations (the DOM
 * event and the console message), uncaught errors, console errors. */
async function newPage(browser, opts) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...(opts || {}) });
  const page = await ctx.newPage();
  page.problems = [];
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
    });
  });
  page.on('console', (m) => {
    /* Chromium drops its connections when the host's interfaces change
     * (containers starting on a shared Docker engine do that); the page
     * reconnects, and that is not a fault of the page. */
    if (/net::ERR_NETWORK_CHANGED/.test(m.text())) return;
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) page.problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => page.problems.push('pageerror: ' + e.message));
  return page;
}

/* Waits until the page drew a model (and the connection says so). */
async function waitDrawn(page, states) {
  const want = states || ['ok'];
  await page.waitForFunction((w) => {
    const c = document.getElementById('conn');
    return c && w.includes(c.dataset.conn) && document.getElementById('app').getAttribute('aria-busy') === 'false';
  }, want, { timeout: 10000 });
}

module.exports = { SOURCE, ROOT, sleep, until, startTarget, startMock, startBinary, mockPost, launch, newPage, waitDrawn };
