/* SPDX-License-Identifier: Apache-2.0 */
/* The page's cost per update in headless Chromium, run by hand:
 *
 *   sh tests/browser/run.sh ../../bench/visualizer/page_bench.js
 *
 * 50 nodes and 500 tasks (10 a node, 12 services, all opted in to
 * traffic) from the mock server (tests/browser/mock_state_server.py);
 * once a second for 60 s a new model and a traffic document (new rates for
 * all 500 tasks). Two runs: 50 tasks (10 %) change state, message and
 * time each second, then all 500 do. Measured
 * with the browser's performance API: the page's own measures (viz-parse,
 * viz-render, viz-traffic: performance.measure in app.js) summed per
 * second, and Chromium's ScriptDuration, LayoutCount and
 * RecalcStyleCount (CDP Performance.getMetrics) per second. Layout
 * thrash would show as many layouts per update; one frame's worth is
 * what a page that only writes gets. Prints a Markdown table.
 *
 * PROFILE=1 also prints the page's functions by self time (CDP
 * Profiler, sampled every 100 us); ONLY=every runs the second run only;
 * VERBOSE=1 prints each second's measures; SCROLL=px reads the page
 * scrolled down that far (columns far off screen wait, app.js). */
'use strict';
const path = require('path');
const h = require(path.join(__dirname, '..', '..', 'tests', 'browser', 'harness'));

const NODES = 50, PER = 10, SERVICES = 12, SECONDS = 60;
const T0 = Date.now();
const iso = (ago) => new Date(T0 - ago * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function model(tick, every) {
  const services = [];
  for (let s = 0; s < SERVICES; s++)
    services.push({ id: 'svc' + s, name: 'shop_service' + s, stack: 'shop', image: 'shop/s' + s + ':1.0', mode: 'replicated',
      replicas: 0, running: 0, update: null, constraints: [], max_per_node: null,
      limits: { cpus: null, memory_bytes: null }, reservations: { cpus: null, memory_bytes: null }, metrics: true });
  const nodes = [];
  let k = 0;
  for (let n = 0; n < NODES; n++) {
    const tasks = [];
    for (let i = 0; i < PER; i++, k++) {
      const s = k % SERVICES, changed = every || (k + tick) % 10 === 0;
      services[s].replicas++;
      services[s].running++;
      tasks.push({ id: 't' + String(k).padStart(24, '0'), service: services[s].name, service_id: 'svc' + s, stack: 'shop',
        image: services[s].image, slot: Math.floor(k / SERVICES) + 1, state: changed && tick % 2 ? 'starting' : 'running',
        desired_state: 'running', since: iso(changed ? -tick : 3600), message: changed ? 'tick ' + tick : 'started', error: null });
    }
    tasks.sort((a, b) => a.service.localeCompare(b.service) || a.slot - b.slot);
    nodes.push({ id: 'n' + n, hostname: 'node-' + String(n).padStart(2, '0'), role: n < 3 ? 'manager' : 'worker', leader: n === 0,
      status: 'ready', availability: 'active', engine_version: '20.10.24+dfsg1', cpus: 4, memory_bytes: 8 * 2 ** 30,
      addr: '10.2.0.' + (n + 10), labels: {}, tasks });
  }
  return { version: 1, generated_at: iso(0), engine: { connected: true, error: null, version: '20.10.24+dfsg1',
    api_version: '1.41', since: iso(600) }, swarm: true, swarm_note: null, nodes, unassigned: [], services, containers: [] };
}

function traffic(m, tick) {
  const tasks = {}, services = {};
  for (const n of m.nodes) {
    for (const t of n.tasks) {
      const r = ((t.slot * 7 + tick) % 13) / 2;
      tasks[t.id] = { rps: r, share: 0, new: Math.round(r) };
      const s = services[t.service_id] || (services[t.service_id] = { rps: 0, tasks: 0, reporting: 0 });
      s.rps += r;
      s.tasks++;
      s.reporting++;
    }
  }
  for (const n of m.nodes) for (const t of n.tasks) {
    const s = services[t.service_id];
    tasks[t.id].share = s.rps ? Math.round((tasks[t.id].rps / s.rps) * 1000) / 1000 : null;
  }
  return { version: 1, at: iso(0), window_s: 5, services, tasks };
}

const q = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function run(every) {
  const target = await h.startMock();
  const browser = await h.launch();
  const page = await h.newPage(browser, { viewport: { width: 1920, height: 1080 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
  let m = model(0, every);
  await h.mockPost(target.base, '/_mock/model', m);
  await h.mockPost(target.base, '/_mock/traffic', traffic(m, 0));
  await page.goto(target.base);
  await h.waitDrawn(page);
  if (process.env.SCROLL) await page.evaluate((y) => window.scrollTo(0, y), Number(process.env.SCROLL));
  await h.sleep(1500);
  const cards = await page.evaluate(() => document.querySelectorAll('li.task').length);
  const rows = [];
  let before = await metrics();
  await page.evaluate(() => performance.clearMeasures());
  if (process.env.PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
  }
  for (let tick = 1; tick <= SECONDS; tick++) {
    m = model(tick, every);
    await h.mockPost(target.base, '/_mock/model', m);
    await h.mockPost(target.base, '/_mock/traffic', traffic(m, tick));
    await h.sleep(1000);
    const parts = await page.evaluate(() => {
      const e = performance.getEntriesByType('measure').filter((x) => x.name.startsWith('viz-'));
      performance.clearMeasures();
      const by = {};
      for (const x of e) by[x.name] = (by[x.name] || 0) + x.duration;
      return by;
    });
    const own = Object.values(parts).reduce((a, x) => a + x, 0);
    if (process.env.VERBOSE) console.log(JSON.stringify(parts));
    const after = await metrics();
    rows.push({ own, script: (after.ScriptDuration - before.ScriptDuration) * 1000,
      layouts: after.LayoutCount - before.LayoutCount, styles: after.RecalcStyleCount - before.RecalcStyleCount });
    before = after;
  }
  if (process.env.PROFILE) printProfile((await cdp.send('Profiler.stop')).profile);
  const col = (k) => rows.map((r) => r[k]);
  console.log('Chromium ' + browser.version() + '; ' + NODES + ' nodes, ' + cards + ' task cards, one model (' +
    (every ? 'every task' : '10 % of the tasks') + ' changed) and one traffic document a second for ' + SECONDS + ' s (' +
    new Date().toISOString().slice(0, 10) + ')\n');
  console.log('| per update (1 s) | median | p95 | max |');
  console.log('|---|---|---|---|');
  for (const [k, label, unit] of [['own', 'page script (viz-parse + viz-render + viz-traffic measures)', ' ms'],
    ['script', 'all script (CDP ScriptDuration)', ' ms'], ['layouts', 'layouts (CDP LayoutCount)', ''],
    ['styles', 'style recalculations (CDP RecalcStyleCount)', '']])
    console.log('| ' + label + ' | ' + [0.5, 0.95, 1].map((p) => q(col(k), p).toFixed(unit ? 1 : 0) + unit).join(' | ') + ' |');
  if (page.problems.length) console.log('\nproblems: ' + page.problems.join('; '));
  await browser.close();
  await target.stop();
  console.log();
}

/* Self time per function (name:line), the 20 largest, in ms. */
function printProfile(p) {
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) || 0) + (p.timeDeltas[i] || 0));
  const self = new Map();
  for (const n of p.nodes) {
    const f = n.callFrame, k = (f.functionName || '(anonymous)') + ':' + (f.lineNumber + 1) + ' ' + path.basename(f.url || '');
    self.set(k, (self.get(k) || 0) + (dt.get(n.id) || 0) / 1000);
  }
  const top = [...self].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.log('| function | self ms |\n|---|---|');
  for (const [k, ms] of top) console.log('| ' + k + ' | ' + ms.toFixed(1) + ' |');
}

async function main() {
  if (process.env.ONLY !== 'every') await run(false);
  await run(true);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
