/* SPDX-License-Identifier: Apache-2.0 */
/* The visualizer page in a real headless Chromium.
 *
 * Against the mock server (the default; tests/browser/mock_state_server.py
 * with the models of fixtures.py) every scenario runs: the tutorial's two
 * nodes, a drained/paused/down node with failed, rejected and unplaced
 * tasks, 50 nodes, 50 x 100 tasks, 200 x 25 tasks, an engine out of swarm
 * mode, hostile strings, the engine or the stream going away, the polling
 * fallback.
 *
 * Against the real server (VISUALIZER_BIN=path/to/visualizer, started here
 * under CTX_ROOT=/viz/, or VISUALIZER_URL=http://...) the scenarios that
 * need canned models are skipped, and the page is checked against whatever
 * the server's api/state says (every node and task drawn with the right
 * fields, with and without the toggle), the CSP header and page weight,
 * the connection indicator across a restart (VISUALIZER_BIN only), and the
 * polling fallback.
 *
 * Prints each step; ends with "browser: N passed, N failed". */
'use strict';
const h = require('./harness');

const XSS_IMG = '<img src=x onerror=window.__xss=1>';
const XSS_SCRIPT = '<script>window.__xss=1</script>';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let passed = 0, failed = 0, skipped = 0;
let target, browser;

function check(cond, msg, detail) {
  if (!cond) throw new Error(msg + (detail !== undefined ? ': ' + JSON.stringify(detail).slice(0, 1500) : ''));
  console.log('    ok: ' + msg);
}

async function scenario(name, needs, fn) {
  console.log('--- ' + name);
  if (needs === 'mock' && !target.control) {
    console.log('    skipped: needs the mock server\'s canned models');
    skipped++;
    return;
  }
  if (needs === 'engine' && target.kind !== 'binary') {
    console.log('    skipped: needs VISUALIZER_BIN (a real visualizer on the real engine)');
    skipped++;
    return;
  }
  if (needs === 'drop' && !target.dropFor) {
    console.log('    skipped: needs VISUALIZER_BIN (to stop the server) or the mock');
    skipped++;
    return;
  }
  const pages = [];
  const open = async (opts, query) => {
    const p = await h.newPage(browser, opts);
    pages.push(p);
    if (query !== null) await p.goto(target.base + (query ? '?' + query : ''));
    return p;
  };
  const t0 = Date.now();
  try {
    await fn(open);
    for (const p of pages) await clean(p);
    passed++;
    console.log('    (' + ((Date.now() - t0) / 1000).toFixed(1) + ' s)');
  } catch (e) {
    failed++;
    console.log('    FAIL: ' + (e && e.stack ? e.stack : e));
  } finally {
    for (const p of pages) await p.context().close().catch(() => {});
  }
}

/* What must hold on every page at the end of every scenario. */
async function clean(page) {
  if (page.isClosed()) return;
  const r = await page.evaluate(() => ({ csp: window.__csp || [], xss: typeof window.__xss }));
  check(r.csp.length === 0, 'no CSP violation on ' + page.url(), r.csp);
  check(page.problems.length === 0, 'no script error or console error', page.problems);
  check(r.xss === 'undefined', 'window.__xss stays undefined');
}

const fixture = (name) => h.mockPost(target.base, '/_mock/fixture', name);
const apiState = async () => (await fetch(target.base + 'api/state')).json();

/* Reads what the page shows, from the DOM, as plain data. */
function readPage() {
  const text = (e, sel) => {
    const x = sel ? e.querySelector(sel) : e;
    return x ? x.textContent : null;
  };
  const shown = (e) => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const task = (li) => {
    const t = li.querySelector('time');
    return {
      service: text(li, '.svc'), pre: text(li, '.pre'), slot: text(li, '.slot'), stack: text(li, '.stack'),
      image: text(li, '.image'), state: li.dataset.state, desired: li.dataset.desired,
      stateText: text(li, '.state'), stateTitle: li.querySelector('.state') && li.querySelector('.state').title,
      desiredText: text(li, '.desired'), since: t ? t.dateTime : null, sinceText: t ? t.textContent : null,
      sinceTitle: t ? t.title : null, error: text(li, '.err'), errorShown: shown(li.querySelector('.err')),
      status: text(li, '.status'),
    };
  };
  const col = (sec) => ({
    host: text(sec, '.host'), role: sec.dataset.role, status: sec.dataset.status,
    availability: sec.dataset.availability, badges: [...sec.querySelectorAll('.badge')].map((b) => b.textContent),
    meta: text(sec, '.meta'), why: [...sec.querySelectorAll('.why')].map((w) => w.textContent),
    labels: [...sec.querySelectorAll('.labels li')].map((l) => l.textContent),
    tasks: [...sec.querySelectorAll('li.task')].map(task), shown: shown(sec),
  });
  return {
    conn: document.getElementById('conn').dataset.conn,
    connText: document.getElementById('conn-text').textContent,
    notes: [...document.querySelectorAll('#notes .note')].map((n) => n.textContent),
    summary: text(document, '.summary'),
    unassigned: [...document.querySelectorAll('#app > section.unassigned')].map(col),
    cols: [...document.querySelectorAll('#app .grid > section')].map(col),
    chips: [...document.querySelectorAll('.services .chip')].map((c) => c.textContent),
    filter: document.getElementById('filter').value,
    showAll: document.getElementById('show-all').checked,
    search: location.search,
    hscroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}

/* Compares what the page shows with a model; returns the differences. */
function diff(model, dom, all) {
  const out = [];
  const eq = (a, b, what) => {
    if (a !== b) out.push(what + ': page shows ' + JSON.stringify(a) + ', model says ' + JSON.stringify(b));
  };
  const s = (v) => (v === null || v === undefined ? '' : String(v));
  const taskDiff = (t, d, where) => {
    eq(d.service, s(t.service), where + ' service');
    eq(d.slot, t.slot === null || t.slot === undefined ? null : '.' + t.slot, where + ' slot');
    if (t.stack) {
      if (!(d.pre === t.stack + '_' || d.pre === t.stack + '-' || d.stack === 'stack ' + t.stack))
        out.push(where + ' stack ' + JSON.stringify(t.stack) + ' not shown');
    }
    eq(d.image, t.image ? s(t.image) : null, where + ' image');
    eq(d.state, s(t.state), where + ' state');
    eq(d.stateText, s(t.state) || 'unknown', where + ' state text');
    eq(d.desired, s(t.desired_state), where + ' desired state');
    if (!d.stateTitle || !d.stateTitle.includes('desired state: ' + s(t.desired_state)))
      out.push(where + ' desired state not in the state\'s title');
    if (s(t.desired_state) !== s(t.state)) eq(d.desiredText, '→ ' + s(t.desired_state), where + ' desired text');
    if (Number.isFinite(Date.parse(s(t.since)))) {
      eq(d.since, s(t.since), where + ' since');
      if (!/^(just now|\d+ (s|min|h|days) ago)$/.test(d.sinceText || '')) out.push(where + ' since text ' + d.sinceText);
      if (!d.sinceTitle || d.sinceTitle.length < 10) out.push(where + ' since has no absolute time in its title');
    }
    eq(d.error, t.error ? s(t.error) : null, where + ' error');
    if (t.error && !d.errorShown) out.push(where + ' error not visible');
  };
  /* Shown: tasks meant to run, and those told to stop that still run. */
  const pick = (ts) => (Array.isArray(ts) ? ts : []).filter((t) => all || t.desired_state === 'running' ||
    ['running', 'starting'].includes(t.state));
  if (model.swarm === false) {
    const live = (c) => ['running', 'restarting', 'paused'].includes(c.state);
    const groups = new Map();
    for (const c of model.containers || []) {
      if (!all && !live(c)) continue;
      const p = s(c.project);
      if (!groups.has(p)) groups.set(p, []);
      groups.get(p).push(c);
    }
    eq(dom.cols.length, groups.size, 'number of project columns');
    for (const d of dom.cols) {
      const p = d.host === 'Not in a compose project' ? '' : d.host;
      const cs = groups.get(p);
      if (!cs) {
        out.push('unexpected project column ' + d.host);
        continue;
      }
      eq(d.tasks.length, cs.length, 'containers in ' + d.host);
      const byName = new Map(cs.map((c) => [s(c.name).replace(/^\//, ''), c]));
      for (const dt of d.tasks) {
        const c = byName.get(dt.service);
        if (!c) {
          out.push('unexpected container ' + dt.service + ' in ' + d.host);
          continue;
        }
        eq(dt.image, c.image ? s(c.image) : null, dt.service + ' image');
        eq(dt.state, s(c.state), dt.service + ' state');
        eq(dt.status, c.status ? s(c.status) : null, dt.service + ' status');
      }
    }
    if (!dom.notes.some((n) => n === s(model.swarm_note) || (!model.swarm_note && /not part of a swarm/.test(n))))
      out.push('swarm_note not shown: ' + JSON.stringify(dom.notes));
    return out;
  }
  const nodes = model.nodes || [];
  eq(dom.cols.length, nodes.length, 'number of node columns');
  nodes.forEach((n, i) => {
    const d = dom.cols[i];
    if (!d) return;
    const w = 'node ' + s(n.hostname);
    eq(d.host, s(n.hostname), w + ' hostname');
    eq(d.role, s(n.role), w + ' role');
    if (!d.badges.includes(s(n.role))) out.push(w + ' role badge missing');
    if (!!n.leader !== d.badges.includes('★ leader')) out.push(w + ' leader badge ' + !!n.leader);
    if (!d.badges.includes(s(n.status))) out.push(w + ' status badge missing');
    const av = { drain: 'drained', pause: 'paused' }[n.availability] || s(n.availability);
    if (!d.badges.includes(av)) out.push(w + ' availability badge ' + av + ' missing');
    if (n.engine_version && !(d.meta || '').includes('Engine ' + n.engine_version)) out.push(w + ' engine version');
    if (n.cpus > 0 && !/\bCPUs?\b/.test(d.meta || '')) out.push(w + ' CPUs');
    if (n.memory_bytes > 0 && !/\d( [KMGTP]iB| B)\b/.test(d.meta || '')) out.push(w + ' memory');
    const labels = Object.keys(n.labels || {}).sort().map((k) => (n.labels[k] ? k + '=' + n.labels[k] : k));
    eq(JSON.stringify(d.labels), JSON.stringify(labels), w + ' labels');
    const ts = pick(n.tasks);
    eq(d.tasks.length, ts.length, w + ' task count');
    ts.forEach((t, j) => d.tasks[j] && taskDiff(t, d.tasks[j], w + ' task ' + j));
  });
  const un = pick(model.unassigned);
  eq(dom.unassigned.length ? dom.unassigned[0].tasks.length : 0, un.length, 'unassigned tasks');
  un.forEach((t, j) => dom.unassigned[0] && dom.unassigned[0].tasks[j] && taskDiff(t, dom.unassigned[0].tasks[j], 'unassigned ' + j));
  return out;
}

/* Checks the page against api/state; retried for 8 s, since a live
 * server's model may change between the two reads, and a page that polls
 * (every 5 s, without EventSource) shows a change only at its next poll. */
async function matchesModel(page, all) {
  let last;
  for (let i = 0; i < 10; i++) {
    const model = await apiState();
    await h.sleep(300);
    const d = diff(model, await page.evaluate(readPage), all);
    if (!d.length) return model;
    last = d;
    await h.sleep(500);
  }
  throw new Error('the page does not show the model: ' + last.slice(0, 15).join('; '));
}

/* The real server's scenarios read a swarm: the engine of the suite is
 * made a single-node swarm manager here, as the integration tests do
 * (part5test.ensure_swarm), so this test passes on its own too. */
function ensureSwarm() {
  const { execFileSync } = require('child_process');
  const opts = { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] };
  if (execFileSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], opts).trim() === 'active') return;
  execFileSync('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1'], opts);
  console.log('engine: made a single-node swarm (docker swarm init)');
}

async function main() {
  if (process.env.VISUALIZER_BIN) ensureSwarm();
  target = await h.startTarget();
  console.log('target: ' + target.kind + ' at ' + target.base);
  browser = await h.launch();
  console.log('browser: ' + browser.version());

  await scenario('the CSP listener sees a violation (so "no violation" means something)', null, async (open) => {
    const page = await open({}, '');
    await h.waitDrawn(page, ['ok', 'engine']);
    await page.evaluate(() => document.body.setAttribute('style', 'color: red'));
    await h.until(() => page.evaluate(() => window.__csp.length > 0), 3000, 'a securitypolicyviolation event');
    check(true, 'an inline style attribute is reported as a violation');
    await page.evaluate(() => {
      window.__csp.length = 0;
      document.body.removeAttribute('style');
    });
    page.problems = page.problems.filter((p) => !/Content.Security.Policy/i.test(p));
  });

  await scenario('headers and page weight', null, async () => {
    const r = await fetch(target.base);
    check(r.ok, 'the page answers 200');
    check(r.headers.get('content-security-policy') === CSP, 'the page carries the contract\'s CSP', r.headers.get('content-security-policy'));
    let total = 0;
    const sizes = {};
    for (const f of ['', 'app.js', 'style.css', 'favicon.svg']) {
      const b = await (await fetch(target.base + f)).arrayBuffer();
      sizes[f || 'index.html'] = b.byteLength;
      total += b.byteLength;
    }
    console.log('    page weight: ' + JSON.stringify(sizes) + ' total ' + total + ' bytes');
    check(total < 40 * 1024, 'page weight under 40 KB (' + total + ' bytes)');
  });

  await scenario('the page draws every node and task of api/state, with the right fields', null, async (open) => {
    if (target.control) await fixture('two-nodes');
    const page = await open({}, '');
    await h.waitDrawn(page, ['ok', 'engine']);
    await matchesModel(page, false);
    check(true, 'default view: the tasks meant to run, field by field');
    await page.check('#show-all');
    await matchesModel(page, true);
    check(true, 'with the toggle: every task, with its error');
  });

  await scenario('two nodes: the tutorial swarm reads right', 'mock', async (open) => {
    await fixture('two-nodes');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const d = await page.evaluate(readPage);
    check(d.connText === 'Connected', 'the indicator says Connected');
    check(d.cols.map((c) => c.host).join() === 'myvm1,myvm2', 'both nodes, manager first', d.cols.map((c) => c.host));
    const m1 = d.cols[0];
    check(m1.badges.includes('manager') && m1.badges.includes('★ leader'), 'myvm1 is marked manager and leader', m1.badges);
    check(m1.meta === 'Engine 20.10.24+dfsg1 · 2 CPUs · 1.9 GiB · 192.168.99.100', 'engine, CPUs and memory in human units', m1.meta);
    check(d.cols[1].meta.includes('1 CPU · 973 MiB'), 'one CPU and MiB on myvm2', d.cols[1].meta);
    const web = m1.tasks.find((t) => t.slot === '.1' && /web$/.test(t.service));
    check(web && web.service === 'getstartedlab_web' && web.pre === 'getstartedlab_', 'a task shows its service, with its stack', web);
    check(web.image === 'part5/hello:1.0.0' && web.state === 'running', 'image and state', web);
    check(/^[12] min ago$/.test(web.sinceText) && /\d/.test(web.sinceTitle), '"since" is relative, the absolute time in its title', [web.sinceText, web.sinceTitle]);
    check(d.cols[1].tasks.length === 2 && /2 stopped or failed tasks hidden/.test(d.summary), 'stopped and failed tasks hidden by default, and said so', d.summary);
    const colours = await page.evaluate(() => [...document.querySelectorAll('li.task')].map((li) =>
      li.querySelector('.svc').textContent + '=' + li.style.getPropertyValue('--h')));
    const byService = {};
    for (const c of colours) {
      const [s, hue] = c.split('=');
      (byService[s] = byService[s] || new Set()).add(hue);
    }
    check(Object.values(byService).every((v) => v.size === 1), 'one colour per service', colours);
    check(new Set(Object.values(byService).map((v) => [...v][0])).size === 3, 'three services, three colours', colours);
    const page2 = await open({}, '');
    await h.waitDrawn(page2);
    const colours2 = await page2.evaluate(() => [...document.querySelectorAll('li.task')].map((li) =>
      li.querySelector('.svc').textContent + '=' + li.style.getPropertyValue('--h')));
    check(JSON.stringify(colours) === JSON.stringify(colours2), 'the same colours after a reload');
    const contrast = await page.evaluate(() => {
      /* WCAG contrast of the service name on its card. */
      const lum = (c) => {
        const v = c.match(/[\d.]+/g).slice(0, 3).map((x) => {
          x /= 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
      };
      return [...document.querySelectorAll('li.task')].map((li) => {
        const a = lum(getComputedStyle(li.querySelector('.svc')).color), b = lum(getComputedStyle(li).backgroundColor);
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
    });
    check(Math.min(...contrast) >= 7, 'service names on their colour have contrast >= 7:1 (min ' + Math.min(...contrast).toFixed(1) + ')');
  });

  await scenario('light and dark: text stays readable on every service colour', 'mock', async (open) => {
    await fixture('fifty');
    for (const scheme of ['light', 'dark']) {
      const page = await open({ colorScheme: scheme }, 'all=1');
      await h.waitDrawn(page);
      const worst = await page.evaluate(() => {
        const lum = (c) => {
          const v = c.match(/[\d.]+/g).slice(0, 3).map((x) => {
            x /= 255;
            return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
        };
        let min = 99;
        for (const li of document.querySelectorAll('li.task')) {
          for (const sel of ['.svc', '.image', '.ago']) {
            const e = li.querySelector(sel);
            if (!e) continue;
            const a = lum(getComputedStyle(e).color), b = lum(getComputedStyle(li).backgroundColor);
            min = Math.min(min, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
          }
        }
        return min;
      });
      check(worst >= 4.5, scheme + ': every name, image and time on a card has contrast >= 4.5:1 (min ' + worst.toFixed(1) + ')');
    }
  });

  await scenario('drained, paused and down nodes are marked; failed tasks show their error after the toggle', 'mock', async (open) => {
    await fixture('mixed');
    const page = await open({}, '');
    await h.waitDrawn(page);
    let d = await page.evaluate(readPage);
    const drained = d.cols.find((c) => c.host === 'mgr-2');
    check(drained && drained.shown && drained.availability === 'drain', 'the drained node is drawn, not hidden', drained);
    check(drained.badges.includes('drained') && drained.why.some((w) => /^Drained/.test(w)), 'it says it is drained, and what that means', drained);
    const badge = await page.$('section.node[data-availability=drain] .avail');
    const look = await badge.evaluate((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).textTransform]);
    check(look[0] !== 'rgba(0, 0, 0, 0)' && look[1] === 'uppercase', 'the drained badge is filled and in capitals', look);
    const down = d.cols.find((c) => c.host === 'worker-2');
    check(down.badges.includes('down') && down.why.includes('This node is down.'), 'a down node is marked down', down);
    const paused = d.cols.find((c) => c.host === 'worker-3');
    check(paused.badges.includes('paused') && paused.why.some((w) => /^Paused/.test(w)), 'a paused node is marked paused', paused);
    const w1 = d.cols.find((c) => c.host === 'worker-1');
    check(!w1.tasks.some((t) => t.error), 'failed and rejected tasks hidden by default');
    check(d.unassigned.length === 1 && d.unassigned[0].tasks[0].errorShown &&
      /no suitable node/.test(d.unassigned[0].tasks[0].error), 'a task no node can take is shown with its reason', d.unassigned);
    const global = w1.tasks.find((t) => t.service === 'node-exporter');
    check(global && global.slot === null, 'a global task has no slot', global);
    await page.click('#show-all');
    await page.waitForFunction(() => document.querySelectorAll('.err').length >= 3);
    d = await page.evaluate(readPage);
    const failed = d.cols.find((c) => c.host === 'worker-1').tasks.find((t) => t.state === 'failed');
    check(failed && failed.errorShown && failed.error === 'task: non-zero exit (137): dockerexec: unhealthy container',
      'the failed task\'s error is visible after the toggle', failed);
    check(failed.desiredText === '→ shutdown', 'with its desired state', failed);
    const rejected = d.cols.find((c) => c.host === 'worker-1').tasks.find((t) => t.state === 'rejected');
    check(rejected && rejected.errorShown && rejected.error === 'No such image: shop/api:1.5-rc1', 'so is the rejected one\'s', rejected);
    check(d.search === '?all=1', 'the toggle is in the URL', d.search);
    await page.reload();
    await h.waitDrawn(page);
    d = await page.evaluate(readPage);
    check(d.showAll && d.cols.some((c) => c.tasks.some((t) => t.state === 'failed')), 'and survives a reload');
  });

  await scenario('the filter narrows, lives in the URL, survives reload, and works with back/forward', 'mock', async (open) => {
    await fixture('two-nodes');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const services = async () => (await page.evaluate(readPage)).cols.flatMap((c) => c.tasks.map((t) => t.service));
    check((await services()).length === 7, 'seven tasks before filtering');
    await page.click('#filter');
    await page.keyboard.type('redis');
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 1);
    check((await services()).join() === 'getstartedlab_redis', 'typing "redis" leaves the redis task');
    let d = await page.evaluate(readPage);
    check(d.search === '?q=redis', 'the filter is in the URL', d.search);
    check(/1 of 7 tasks match “redis”/.test(d.summary), 'the summary says what matches', d.summary);
    check(d.cols[1].tasks.length === 0, 'nodes stay, saying they have no match');
    await fixture('two-nodes'); /* A live update while typing... */
    await h.sleep(500);
    check(await page.evaluate(() => document.activeElement.id === 'filter' && document.activeElement.value === 'redis'),
      '...keeps the filter box focused and its text');
    await page.reload();
    await h.waitDrawn(page);
    d = await page.evaluate(readPage);
    check(d.filter === 'redis' && (await services()).join() === 'getstartedlab_redis', 'the filter survives a reload');
    await page.fill('#filter', 'getstartedlab_web, visualizer');
    await h.sleep(1200); /* ends the typing burst: the next change is a new history entry */
    check((await services()).length === 6, 'several words match any of them (5 web + 1 visualizer)');
    await page.click('#filter', { clickCount: 3 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 7);
    check((await page.evaluate(readPage)).search === '', 'Escape clears it, and the URL');
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 6);
    check((await page.evaluate(readPage)).filter === 'getstartedlab_web, visualizer', 'Back brings the previous filter');
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 1);
    check((await page.evaluate(readPage)).filter === 'redis', 'Back again, the one before');
    await page.goForward();
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 6);
    check(true, 'Forward works too');
    await page.click('.services .chip >> nth=0');
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 1);
    d = await page.evaluate(readPage);
    check(d.filter === 'getstartedlab_redis' && d.search === '?q=getstartedlab_redis', 'a service chip filters to that service', d);
    await page.keyboard.press('Escape'); /* focus is on the chip: nothing happens */
    await page.keyboard.press('/');
    check(await page.evaluate(() => document.activeElement.id === 'filter'), '"/" focuses the filter box');
    const stack = await open({}, 'q=GETSTARTEDLAB');
    await h.waitDrawn(stack);
    check((await stack.evaluate(readPage)).cols.flatMap((c) => c.tasks).length === 7, 'a stack name matches its services, case-insensitively');
  });

  await scenario('the connection indicator follows the stream and the engine', 'drop', async (open) => {
    if (target.control) await fixture('two-nodes');
    const page = await open({}, '');
    await h.waitDrawn(page, ['ok', 'engine']);
    const live = (await page.evaluate(readPage)).conn;
    check(await page.$eval('#conn', (c) => c.getAttribute('aria-live') === 'polite' && c.getAttribute('role') === 'status'),
      'the indicator is a polite live region');
    await target.dropFor(4000);
    await page.waitForFunction(() => document.getElementById('conn').dataset.conn === 'closed', null, { timeout: 5000 });
    let d = await page.evaluate(readPage);
    check(d.connText === 'Disconnected, retrying…', 'the stream dropped: "Disconnected, retrying…"', d.connText);
    check(d.notes.some((n) => /^Lost the connection/.test(n)) && d.cols.length > 0, 'with a note, and the last picture kept', d.notes);
    await page.waitForFunction((l) => document.getElementById('conn').dataset.conn === l, live, { timeout: 20000 });
    d = await page.evaluate(readPage);
    check(!d.notes.some((n) => /^Lost/.test(n)), 'back by itself once the server answers again (' + d.connText + ')');
    /* The browser logs the refused reconnections; they are the point here. */
    page.problems = page.problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(p));
    if (!target.control) return;
    const why = 'cannot reach the Docker engine at unix:///var/run/docker.sock: connection refused';
    await h.mockPost(target.base, '/_mock/engine', { connected: false, error: why });
    await page.waitForFunction(() => document.getElementById('conn').dataset.conn === 'engine', null, { timeout: 3000 });
    d = await page.evaluate(readPage);
    check(d.connText === 'Engine unreachable' && d.notes.some((n) => n.includes(why)), 'the engine went away: "Engine unreachable", with the reason', d.notes);
    check(d.cols.length === 2, 'and the last known picture stays');
    await h.mockPost(target.base, '/_mock/engine', { connected: true });
    await page.waitForFunction(() => document.getElementById('conn').dataset.conn === 'ok', null, { timeout: 3000 });
    check(true, 'and Connected again when it is back');
  });

  await scenario('an engine never reached: says so, and nothing misleading', 'mock', async (open) => {
    await fixture('engine-never');
    const page = await open({}, '');
    await h.waitDrawn(page, ['engine']);
    const d = await page.evaluate(readPage);
    check(d.connText === 'Engine unreachable', 'the indicator says Engine unreachable');
    check(d.notes.length === 1 && /No such file or directory.*as soon as it answers\.$/.test(d.notes[0]),
      'one note: the reason, and that the page will update', d.notes);
    check(await page.$eval('#app', (a) => a.textContent.trim()) === 'Waiting for the Docker engine…',
      'no "not a swarm", no "no container": it waits for the engine');
    await fixture('two-nodes');
    await page.waitForFunction(() => document.getElementById('conn').dataset.conn === 'ok');
    check((await page.evaluate(readPage)).cols.length === 2, 'and draws the swarm once the engine answers');
  });

  await scenario('hostile strings are shown as text and run nothing', 'mock', async (open) => {
    await fixture('hostile');
    const page = await open({}, 'all=1');
    await h.waitDrawn(page);
    await h.sleep(500);
    const d = await page.evaluate(readPage);
    const n1 = d.cols[0];
    check(n1.host === XSS_IMG, 'a hostname is shown literally', n1.host);
    check(n1.labels.includes(XSS_SCRIPT + '=' + XSS_IMG) && n1.labels.includes('zone=' + XSS_SCRIPT), 'labels, keys and values', n1.labels);
    check(n1.meta.includes('Engine ' + XSS_SCRIPT) && n1.meta.includes(XSS_IMG), 'engine version and address', n1.meta);
    const t1 = n1.tasks.find((t) => t.service === XSS_IMG);
    check(t1 && t1.image === 'evil/' + XSS_IMG + ':1' && t1.stack === 'stack ' + XSS_SCRIPT, 'a service name, its stack and image', t1);
    const t2 = n1.tasks.find((t) => t.service === XSS_SCRIPT);
    check(t2 && t2.error === XSS_SCRIPT + ' ' + XSS_IMG && t2.errorShown, 'an error message', t2);
    check(d.cols[1].badges.includes(XSS_IMG) && d.cols[1].why.includes('This node is ' + XSS_SCRIPT + '.'), 'a role, an availability, a status', d.cols[1]);
    check(d.chips.some((c) => c.startsWith(XSS_IMG)) && d.chips.some((c) => c.startsWith(XSS_SCRIPT)), 'service chips', d.chips);
    check(d.unassigned[0].tasks[0].error === XSS_IMG, 'an unplaced task\'s error', d.unassigned);
    const dom = await page.evaluate(() => ({
      imgs: [...document.querySelectorAll('img')].map((i) => i.getAttribute('src')),
      scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
    }));
    check(dom.imgs.join() === 'favicon.svg' && dom.scripts.join() === 'app.js', 'no element made from the strings', dom);
    check(dom.handlers === 0, 'no event handler attribute anywhere');
    await page.hover('li.task >> nth=2');
    await h.mockPost(target.base, '/_mock/engine', { connected: false, error: XSS_SCRIPT + XSS_IMG });
    await page.waitForFunction(() => document.getElementById('conn').dataset.conn === 'engine');
    check((await page.evaluate(readPage)).notes.some((n) => n.includes(XSS_SCRIPT + XSS_IMG)), 'an engine error, literally');
    await fixture('hostile-containers');
    await page.waitForFunction(() => document.querySelector('#app .grid > section.project'));
    const c = await page.evaluate(readPage);
    check(c.cols[0].host === XSS_SCRIPT && c.cols[0].tasks[0].service === XSS_IMG &&
      c.cols[0].tasks[0].image === XSS_SCRIPT && c.notes.includes('Not a swarm ' + XSS_SCRIPT),
      'out of swarm mode: project, container name, image, swarm_note', c);
    await h.sleep(500);
  });

  await scenario('real engine: hostile labels, node labels and task errors are text and run nothing', 'engine', async (open) => {
    /* Through the real engine and the real server: Docker refuses markup
     * in service names, but takes it in labels (the stack namespace is
     * shown), node labels and, through a failing command, nowhere else. */
    const { execFileSync } = require('child_process');
    const docker = (...args) => execFileSync('docker', args,
      { encoding: 'utf8', timeout: 120000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    execFileSync('sh', [require('path').join(h.SOURCE, 'tests/lib/base-image.sh')], { stdio: 'ignore', timeout: 600000 });
    const name = 'vpt' + process.pid;
    const node = docker('info', '--format', '{{.Swarm.NodeID}}');
    check(node !== '', 'the engine is a swarm manager');
    try {
      docker('node', 'update', '--label-add', name + '=' + XSS_IMG, node);
      docker('service', 'create', '--detach', '--name', name,
        '--label', 'com.docker.stack.namespace=' + XSS_SCRIPT,
        '--container-label', 'x=' + XSS_IMG,
        '--restart-condition', 'none',
        'debian:bookworm-slim', 'sh', '-c', 'echo "' + XSS_IMG + '"; exit 3');
      const page = await open({}, 'all=1&q=' + name);
      await h.waitDrawn(page);
      await page.waitForFunction((n) => [...document.querySelectorAll('li.task')].some((t) =>
        t.textContent.includes(n) && /failed|exit/i.test(t.textContent)), name, { timeout: 30000 });
      await h.sleep(500);
      const d = await page.evaluate(readPage);
      const mine = d.cols.flatMap((c) => c.tasks).filter((t) => t.service === name);
      check(mine.length > 0 && mine.every((t) => t.stack === 'stack ' + XSS_SCRIPT), 'the stack label is shown literally', mine);
      check(mine.some((t) => t.error && t.errorShown), 'the failed task shows its error', mine);
      check(d.cols.some((c) => c.labels.includes(name + '=' + XSS_IMG)), 'the node label is shown literally');
      const dom = await page.evaluate(() => ({
        imgs: [...document.querySelectorAll('img')].map((i) => i.getAttribute('src')),
        scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
        xss: window.__xss,
      }));
      check(dom.imgs.join() === 'favicon.svg' && dom.scripts.join() === 'app.js', 'no element made from the strings', dom);
      check(dom.handlers === 0 && dom.xss === undefined, 'no handler attribute, nothing ran');
    } finally {
      try { docker('service', 'rm', name); } catch (e) { /* not created */ }
      try { docker('node', 'update', '--label-rm', name, node); } catch (e) { /* not added */ }
    }
  });

  await scenario('50 nodes: a compact grid, no horizontal scroll, drained node still there', 'mock', async (open) => {
    await fixture('fifty');
    for (const [w, ht, q] of [[1280, 800, ''], [1920, 1080, ''], [1280, 800, 'projector=1'], [800, 900, ''], [390, 844, '']]) {
      const page = await open({ viewport: { width: w, height: ht } }, q);
      await h.waitDrawn(page);
      const d = await page.evaluate(readPage);
      check(d.cols.length === 50 && d.hscroll <= 0, w + 'x' + ht + (q ? ' ' + q : '') + ': 50 nodes, no horizontal scroll', d.hscroll);
      const perRow = await page.evaluate(() => new Set([...document.querySelectorAll('.grid > section')].map((s) => s.offsetLeft)).size);
      if (w >= 1280 && !q) check(perRow >= 5, 'at least 5 node columns a row (' + perRow + ')');
      if (w === 1280 && !q) {
        check(await page.evaluate(() => document.getElementById('app').classList.contains('dense')), 'compact cards');
        const drained = d.cols.find((c) => c.availability === 'drain');
        check(drained && drained.host === 'node-18' && drained.badges.includes('drained'), 'the drained node is in its place', drained);
        await page.locator('section[data-availability=drain]').scrollIntoViewIfNeeded();
        check(await page.locator('section[data-availability=drain] .avail').isVisible(), 'and visible when scrolled to');
        const down = d.cols.find((c) => c.status === 'down');
        check(down && down.badges.includes('down'), 'the down node is marked', down);
      }
    }
  });

  await scenario('50 x 100 tasks: keyed updates keep elements, scroll position and focus', 'mock', async (open) => {
    await fixture('huge');
    const page = await open({}, 'compact=0');
    await h.waitDrawn(page);
    check(await page.evaluate(() => document.querySelectorAll('li.task').length) === 5000, '5000 task cards');
    await page.evaluate(() => {
      window.scrollTo(0, 3000);
      /* A card in view: it must not move on the screen. */
      window.__seen = [...document.querySelectorAll('li.task')].find((li) => li.getBoundingClientRect().top > 100);
      window.__seenTop = window.__seen.getBoundingClientRect().top;
      window.__first = document.querySelector('li.task');
      window.__nodes = [...document.querySelectorAll('.grid > section')];
      window.__long = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long = Math.max(window.__long, e.duration);
      }).observe({ entryTypes: ['longtask'] });
    });
    await page.focus('#filter');
    const m = await apiState();
    m.nodes[0].tasks[0].state = 'failed';
    m.nodes[0].tasks[0].error = 'changed by the test';
    await h.mockPost(target.base, '/_mock/model', m);
    await page.waitForFunction(() => document.querySelector('li.task .err'));
    const r = await page.evaluate(() => ({
      y: window.scrollY, moved: window.__seen.getBoundingClientRect().top - window.__seenTop, focus: document.activeElement.id, sameNodes: window.__nodes.every((n, i) => n === document.querySelectorAll('.grid > section')[i]),
      firstInPlace: window.__first === document.querySelector('li.task') && !!window.__first.querySelector('.err'),
      secondKept: document.querySelectorAll('li.task')[1].isConnected, long: window.__long,
    }));
    check(r.firstInPlace && r.sameNodes, 'the changed card is refilled in place (same element, now with its error), the 50 node columns are the same elements');
    check(Math.abs(r.moved) < 1 && r.y >= 3000 && r.focus === 'filter',
      'what is in view stays in place (the browser keeps it anchored as the card above grows), and the filter keeps its focus', r);
    console.log('    info: longest main-thread task over 50 ms during that update: ' +
      (r.long ? Math.round(r.long) + ' ms' : 'none') + ' (measured, not asserted)');
    await page.fill('#filter', 'shop_web');
    await page.waitForFunction(() => document.querySelectorAll('li.task').length < 5000 &&
      document.getElementById('app').getAttribute('aria-busy') === 'false');
    const n = await page.evaluate(() => [...document.querySelectorAll('li.task .svc')].every((s) => s.textContent.includes('shop_web')));
    check(n, 'the filter works at this size');
  });

  await scenario('a column far off screen: its cards\' state and rates are written when it comes near the screen', 'mock', async (open) => {
    await fixture('fifty');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const m = await apiState();
    for (const sv of m.services) sv.metrics = true;
    const running = (n) => n.tasks.find((t) => t.desired_state === 'running' && t.state === 'running');
    const last = m.nodes.length - 1, top = running(m.nodes[0]), far = running(m.nodes[last]);
    /* Drawn whole: a render cut by the page's time budget (a slow or
     * busy machine) leaves the last columns as they were for a few frames. */
    const drawn = () => page.waitForFunction(() => document.getElementById('app').getAttribute('aria-busy') === 'false' &&
      [...document.querySelectorAll('li.task[data-desired=running]')].every((li) => li.querySelector('.tr')), null, { timeout: 10000 });
    await h.mockPost(target.base, '/_mock/model', m);
    await drawn();
    /* What the page shows of a task: its state and its rate line. */
    const card = (node, t) => page.evaluate(([i, svc, slot]) => {
      const text = (x, sel) => (x.querySelector(sel) || {}).textContent;
      const li = [...document.querySelectorAll('.grid > section')[i].querySelectorAll('li.task')]
        .find((x) => text(x, '.svc') === svc && text(x, '.slot') === slot);
      const r = li.closest('section').getBoundingClientRect();
      return { state: li.querySelector('.state').textContent, rate: li.querySelector('.tr').textContent,
        below: r.top - innerHeight, count: li.closest('section').querySelector('.count').textContent };
    }, [node, t.service, '.' + t.slot]);
    const before = await card(last, far);
    check(before.below > 300 && before.state === 'running', 'the last node\'s column starts more than 300 px below the screen', before);
    /* One update: both tasks start again (state only), both get requests,
     * and the far node gets a new task. */
    for (const t of [top, far]) Object.assign(t, { state: 'starting', message: 'changed by the test' });
    const added = { ...far, id: 'added-by-the-test', slot: 99, state: 'running' };
    m.nodes[last].tasks.push(added);
    await h.mockPost(target.base, '/_mock/model', m);
    await h.mockPost(target.base, '/_mock/traffic', { version: 1, at: new Date().toISOString(), window_s: 5, services: {},
      tasks: { [top.id]: { rps: 7, share: 1, new: 7 }, [far.id]: { rps: 9, share: 1, new: 9 } } });
    let near = null;
    await h.until(async () => {
      near = await card(0, top);
      return near.state === 'starting' && /^7 req\/s/.test(near.rate);
    }, 3000, 'the top card to show its update').catch(() => {});
    await drawn();
    const off = await card(last, far);
    check(near.state === 'starting' && /^7 req\/s/.test(near.rate), 'a card on screen shows the update at once', near);
    check(off.state === 'running' && !/^9 req\/s/.test(off.rate),
      'a card of a column far off screen is not written (its state line and rate keep what they showed)', off);
    check(off.count === parseInt(before.count, 10) + 1 + ' tasks' && await card(last, added).then(() => true, () => false),
      'its column\'s count and its new card are there at once', [before.count, off.count]);
    await page.evaluate((i) => document.querySelectorAll('.grid > section')[i].scrollIntoView(), last);
    const t0 = Date.now();
    let shown = null;
    await h.until(async () => {
      shown = await card(last, far);
      return shown.state === 'starting' && /^9 req\/s/.test(shown.rate);
    }, 3000, 'the far card to show its update').catch(() => {});
    check(shown.state === 'starting' && /^9 req\/s/.test(shown.rate), 'scrolled to, it shows the update (' + (Date.now() - t0) + ' ms)', shown);
    await matchesModel(page, false);
    check(true, 'then the whole page matches api/state');
  });

  await scenario('traffic: each replica\'s rate and share, the service\'s total, "no traffic data", in place', 'mock', async (open) => {
    await fixture('two-nodes');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const rates = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('li.task')]
      .filter((li) => li.querySelector('.tr')).map((li) => [li.querySelector('.svc').textContent + li.querySelector('.slot').textContent,
        [li.querySelector('.tr').textContent, li.classList.contains('busy')]])));
    await page.waitForFunction(() => /12 req\/s/.test(document.body.textContent));
    let r = await rates();
    check(Object.keys(r).length === 5 && Object.keys(r).every((k) => /web\.\d$/.test(k)),
      'the five web tasks (the service that opts in) have a rate line; redis and the visualizer none', r);
    check(r['getstartedlab_web.3'][0] === '12 req/s · 100 %' && r['getstartedlab_web.3'][1], 'the replica that gets the requests: its rate and share, lit up', r);
    check(r['getstartedlab_web.4'][0] === 'no traffic data' && !r['getstartedlab_web.4'][1], 'a replica it cannot reach: "no traffic data", not zero', r);
    check(r['getstartedlab_web.1'][0] === '0 req/s · 0 %' && !r['getstartedlab_web.1'][1], 'the others: zero', r);
    const chip = await page.$eval('.chip[data-name=getstartedlab_web]', (b) => b.textContent);
    check(/12 req\/s$/.test(chip), 'the service\'s chip shows the total', chip);
    check(await page.$eval('.chip[data-name=getstartedlab_redis]', (b) => !b.querySelector('.rps')), 'a service without metrics shows no rate');
    /* The next second: the load moves to .1. Only the rate lines change. */
    await h.sleep(1000); /* the first flash (of .3) is over */
    await page.evaluate(() => {
      window.__cards = [...document.querySelectorAll('li.task')];
      window.__muts = [];
      new MutationObserver((ms) => {
        for (const m of ms) {
          const t = m.target.nodeType === 1 ? m.target : m.target.parentElement;
          window.__muts.push(t.closest('.tr, .rps') ? 'rate' : m.type === 'attributes' && t.matches('li.task') ? 'card ' + m.attributeName : 'other ' + t.outerHTML.slice(0, 80));
        }
      }).observe(document.getElementById('app'), { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const m = await apiState();
    const web = m.nodes.flatMap((n) => n.tasks).filter((t) => t.service === 'getstartedlab_web' && t.desired_state === 'running')
      .sort((a, b) => a.slot - b.slot);
    const t0 = Date.now();
    await h.mockPost(target.base, '/_mock/traffic', {
      version: 1, at: new Date().toISOString(), window_s: 5, services: { 'svc-getstartedlab_web': { rps: 3.5, tasks: 5, reporting: 4 } },
      tasks: Object.fromEntries(web.map((t, i) => [t.id, i === 3 ? null : { rps: i === 0 ? 3.5 : 0, share: i === 0 ? 1 : 0, new: i === 0 ? 4 : 0 }])),
    });
    await page.waitForFunction(() => /3\.5 req\/s/.test(document.body.textContent), null, { timeout: 2000 });
    console.log('    info: a traffic event is on the page ' + (Date.now() - t0) + ' ms after it was sent (measured, not asserted)');
    r = await rates();
    check(r['getstartedlab_web.1'][0] === '3.5 req/s · 100 %' && r['getstartedlab_web.1'][1] && r['getstartedlab_web.3'][0] === '0 req/s · 0 %' &&
      !r['getstartedlab_web.3'][1], 'the light moves to the replica that gets the requests now', r);
    const after = await page.evaluate(() => ({ same: window.__cards.every((c, i) => c === document.querySelectorAll('li.task')[i]),
      muts: [...new Set(window.__muts)], anim: [...document.querySelectorAll('li.task')].filter((li) => li.getAnimations().length).length }));
    check(after.same, 'every card is the same element as before');
    check(after.muts.every((x) => x === 'rate' || x === 'card class' || x === 'card style'), 'only rate lines and the lit cards\' class and share changed', after.muts);
    check(after.anim === 1, 'the card that got new requests flashes (one animation)', after);
  });

  await scenario('traffic and cards stay consistent through a random sequence of models and traffic', 'mock', async (open) => {
    await fixture('two-nodes');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const m = await apiState();
    let seed = 7, gen = 0, bad = [];
    const rnd = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let step = 0; step < 40; step++) {
      const web = m.nodes.flatMap((n) => n.tasks).filter((t) => t.service === 'getstartedlab_web');
      const t = web[rnd(web.length)], r = rnd(5);
      if (r === 0) t.state = ['running', 'starting', 'shutdown'][rnd(3)];
      else if (r === 1) t.desired_state = ['running', 'shutdown'][rnd(2)];
      else if (r === 2) m.nodes[rnd(2)].tasks.push({ ...t, id: 'new-' + gen++, state: 'starting', desired_state: 'running' });
      else if (r === 3) t.image = 'part5/hello:1.0.' + rnd(3);
      if (rnd(2)) await h.mockPost(target.base, '/_mock/model', m);
      const run = m.nodes.flatMap((n) => n.tasks).filter((x) => x.service === 'getstartedlab_web' && x.state === 'running' &&
        x.desired_state === 'running');
      /* Some tasks missing, some null, documents sharing their "at". */
      await h.mockPost(target.base, '/_mock/traffic', { version: 1, at: 'T' + Math.floor(step / 3), window_s: 5, services: {},
        tasks: Object.fromEntries(run.filter(() => rnd(4)).map((x) => [x.id, rnd(3) ? { rps: rnd(3), share: 0.5, new: rnd(2) } : null])) });
      await h.sleep(60 + rnd(100));
      bad = bad.concat(await page.evaluate(() => [...document.querySelectorAll('li.task')].filter((li) => {
        const tr = li.querySelectorAll('.tr'), text = tr.length ? tr[0].textContent : '';
        return tr.length > 1 || li.classList.contains('busy') !== (/req\/s/.test(text) && parseFloat(text) > 0);
      }).map((li) => li.className + ': ' + li.textContent)));
    }
    check(!bad.length, 'after every step, a card is lit exactly when its rate is above zero, with one rate line', bad.slice(0, 5));
  });

  await scenario('a rolling update: state and progress, the tag of each task, the old task fading out', 'mock', async (open) => {
    await fixture('rolling');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const web = () => page.evaluate(() => [...document.querySelectorAll('li.task')].filter((li) => /web$/.test(li.querySelector('.svc').textContent))
      .map((li) => ({ slot: li.querySelector('.slot').textContent, tag: li.querySelector('.tag').textContent, cls: li.className,
        desired: (li.querySelector('.desired') || {}).textContent })).sort((a, b) => a.slot.localeCompare(b.slot)));
    const chip = () => page.$eval('.chip[data-name=getstartedlab_web]', (b) => [b.querySelector('.up') ? b.querySelector('.up').textContent : '', b.dataset.update || '']);
    check((await chip()).join() === 'updating 2/5,updating', 'the chip says updating, 2 of 5 tasks updated', await chip());
    let w = await web();
    check(w.filter((t) => t.tag === ':1.0.1').map((t) => t.slot).join() === '.1,.2', 'slots 1 and 2 show the new tag', w);
    check(w.filter((t) => t.tag === ':1.0.0' && / old/.test(t.cls)).map((t) => t.slot).join() === '.3,.4,.5', 'slots 3 to 5 the old one, marked old', w);
    const leaving = w.filter((t) => / leaving/.test(t.cls));
    check(leaving.length === 1 && leaving[0].slot === '.1' && leaving[0].desired === '→ shutdown' && leaving[0].tag === ':1.0.0',
      'slot 1\'s old task is still shown while it shuts down, fading, without the toggle', w);
    await fixture('paused');
    await page.waitForFunction(() => /update paused/.test(document.getElementById('notes').textContent));
    let d = await page.evaluate(readPage);
    check(d.notes.some((n) => n.startsWith('getstartedlab_web: update paused 2/5: update paused due to failure')), 'a paused update says so, with the engine\'s reason', d.notes);
    check((await chip())[0] === 'update paused 2/5', 'and on the chip', await chip());
    await fixture('rollback');
    await page.waitForFunction(() => /rolling back/.test(document.getElementById('notes').textContent));
    d = await page.evaluate(readPage);
    check(d.notes.some((n) => /^getstartedlab_web: rolling back 1\/5: update rolled back due to failure/.test(n)), 'a rollback says so, with its reason', d.notes);
    await fixture('completed');
    await page.waitForFunction(() => /update completed/.test(document.querySelector('.chip[data-name=getstartedlab_web]').textContent));
    w = await web();
    check(w.length === 5 && w.every((t) => t.tag === ':1.0.1' && !/ old| leaving/.test(t.cls)), 'completed: every task on the new tag, nothing old or leaving', w);
    check(!(await page.evaluate(readPage)).notes.length, 'and no note');
  });

  await scenario('scheduling: the unassigned lane with the reason; constraints and limits on hover and on tap', 'mock', async (open) => {
    await fixture('unassigned');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const d = await page.evaluate(readPage);
    const un = d.unassigned[0];
    check(un && un.host === 'Unassigned' && un.tasks.length === 2 && un.tasks.every((t) => t.errorShown &&
      t.error === 'no suitable node (max replicas per node limit exceed)'), 'two web tasks wait in the Unassigned lane, each with the scheduler\'s reason', un);
    const title = await page.$eval('.chip[data-name=getstartedlab_web]', (b) => b.title);
    check(/placement: node\.labels\.zone != cold · at most 3 per node/.test(title) && /limits: 0\.1 CPUs · 50 MiB/.test(title),
      'hovering the chip: placement constraints and limits', title);
    await page.click('.chip[data-name=getstartedlab_web]');
    await page.waitForSelector('dl.info');
    const info = await page.$eval('dl.info', (dl) => [...dl.querySelectorAll('dt')].map((t) => t.textContent + '=' + t.nextElementSibling.textContent));
    check(info.includes('placement=node.labels.zone != cold · at most 3 per node') && info.includes('limits=0.1 CPUs · 50 MiB') &&
      info.includes('tasks=replicated, 6 of 8 running'), 'tapping it: the same, under the chips', info);
    check(await page.isVisible('dl.info'), 'and it is visible');
  });

  await scenario('a drained node: its tasks are seen leaving, their replacements starting elsewhere', 'mock', async (open) => {
    await fixture('drained');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const d = await page.evaluate(readPage);
    const vm2 = d.cols.find((c) => c.host === 'myvm2'), vm1 = d.cols.find((c) => c.host === 'myvm1');
    check(vm2.availability === 'drain' && vm2.tasks.length === 2 && vm2.tasks.every((t) => t.desired === 'shutdown' && t.state === 'running'),
      'myvm2 is drained; its two web tasks still show, told to shut down', vm2);
    check(await page.$$eval('section[data-availability=drain] li.task', (l) => l.every((li) => li.classList.contains('leaving'))), 'fading');
    check(vm1.tasks.filter((t) => t.state === 'starting').length === 2, 'two replacements start on myvm1', vm1.tasks);
  });

  await scenario('a large swarm stays readable: compact view per node, grouped by stack, stable order', 'mock', async (open) => {
    await fixture('huge');
    const page = await open({}, '');
    await h.waitDrawn(page);
    const look = () => page.evaluate(() => ({
      pressed: document.getElementById('compact').getAttribute('aria-pressed'),
      rows: [...document.querySelectorAll('.grid > section')].map((s) => [...s.querySelectorAll('li.row')].map((li) => li.textContent).join('|')),
      cards: document.querySelectorAll('li.task:not(.row)').length,
      stacks: [...document.querySelectorAll('.services .stk')].map((e) => e.textContent),
    }));
    let a = await look();
    check(a.pressed === 'true' && a.cards === 0 && a.rows.length === 50, '5000 tasks: compact by itself, no card, 50 node columns', a.pressed);
    check(a.rows[0].split('|').every((r) => /×\d+\d+ running$/.test(r)), 'each node: a row per service with its count and states', a.rows[0]);
    check(a.stacks.join() === 'stack blog,stack ci,stack shop', 'the chips are grouped by stack', a.stacks);
    const m = await apiState();
    m.nodes[3].tasks[0].state = 'failed';
    await h.mockPost(target.base, '/_mock/model', m);
    await page.waitForFunction(() => /failed/.test(document.querySelectorAll('.grid > section')[3].textContent));
    const b = await look();
    check(b.rows.every((r, i) => i === 3 || r === a.rows[i]), 'an update changes only the node it touches; order and rows stay');
    await page.click('.grid > section:first-child .more');
    await page.waitForFunction(() => document.querySelectorAll('li.task:not(.row)').length === 100);
    check(true, 'a click on a node shows its 100 cards');
    await page.click('#compact');
    await page.waitForFunction(() => document.querySelectorAll('li.task:not(.row)').length === 5000, null, { timeout: 20000 });
    check((await page.evaluate(readPage)).search === '?compact=0', 'the Compact button turns it off, in the URL');
  });

  await scenario('200 nodes, 5000 tasks: compact, calm, and an update touches only its node', 'mock', async (open) => {
    await fixture('two-hundred');
    const page = await open({ viewport: { width: 1280, height: 800 } }, '');
    await h.waitDrawn(page);
    await page.waitForFunction(() => document.getElementById('app').getAttribute('aria-busy') === 'false', null, { timeout: 20000 });
    const look = () => page.evaluate(() => ({
      pressed: document.getElementById('compact').getAttribute('aria-pressed'),
      hosts: [...document.querySelectorAll('.grid > section .host')].map((e) => e.textContent),
      rows: [...document.querySelectorAll('.grid > section')].map((s) => [...s.querySelectorAll('li.row')].map((li) => li.textContent).join('|')),
      cards: document.querySelectorAll('li.task:not(.row)').length,
      stacks: [...document.querySelectorAll('.services .stk')].map((e) => e.textContent),
      hscroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      overflow: [...document.querySelectorAll('.grid > section')].filter((s) => s.scrollWidth > s.clientWidth + 1).length,
    }));
    const a = await look();
    const model = await apiState();
    check(a.hosts.length === 200 && a.hosts.join() === model.nodes.map((n) => n.hostname).join(),
      '200 node columns, in the order the server gives');
    check(a.pressed === 'true' && a.cards === 0, 'compact by itself: counts per service and state, no card', a.pressed);
    check(a.stacks.join() === 'stack blog,stack ci,stack shop', 'the chips are grouped by stack', a.stacks);
    check(a.hscroll <= 0 && a.overflow === 0, 'no horizontal scroll, no node box overflowing', a);
    /* Record every change to the page while one task on node 121 fails. */
    await page.evaluate(() => {
      window.__muts = [];
      window.__obs = new MutationObserver((l) => window.__muts.push(...l));
      window.__obs.observe(document.getElementById('app'), { subtree: true, childList: true, characterData: true, attributes: true });
      window.__cols = [...document.querySelectorAll('.grid > section')];
    });
    model.nodes[120].tasks[0].state = 'failed';
    model.nodes[120].tasks[0].error = 'changed by the test';
    /* A slow machine (a Pi, a busy CI): the render runs past its 30 ms
     * budget and finishes in later frames (aria-busy meanwhile). The
     * columns it had no time for must keep their cards and rows, or the
     * next frame builds them all again. The CPU is slowed down 10x, and,
     * since an update that touches one node can still fit in 30 ms on a
     * fast machine (CI saw it: no cut, the check failed), the page's clock
     * also runs 1 ms ahead at each reading (one a node), so the cut happens
     * on every machine. It also makes walking the columns already done
     * cost 30 ms: the render must still get further every frame (it once
     * started each frame's budget at node 1 and never reached node 121). */
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 10 });
    await page.evaluate(() => {
      const real = performance.now.bind(performance);
      let ahead = 0;
      performance.now = () => real() + ++ahead;
    });
    await h.mockPost(target.base, '/_mock/model', model);
    await page.waitForFunction(() => /failed/.test(document.querySelectorAll('.grid > section')[120].textContent), null, { timeout: 20000 });
    await page.waitForFunction(() => document.getElementById('app').getAttribute('aria-busy') === 'false', null, { timeout: 20000 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await page.evaluate(() => delete performance.now);
    await h.sleep(300);
    const m = await page.evaluate(() => {
      window.__obs.disconnect();
      const cols = [...document.querySelectorAll('.grid > section')];
      const where = new Set(), outside = [];
      let busy = 0;
      for (const r of window.__muts) {
        const t = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (t.id === 'app' && r.attributeName === 'aria-busy') {
          busy++;
          continue;
        }
        const sec = t.closest('.grid > section');
        if (sec) where.add(cols.indexOf(sec));
        else if (!t.closest('.services, .summary, #notes, .grid')) outside.push([t.id || t.className, r.type, r.attributeName, [...r.addedNodes].map((x) => x.className), [...r.removedNodes].map((x) => x.className)]);
        else if (t.classList.contains('grid')) outside.push('grid');
      }
      return { records: window.__muts.length, busy, where: [...where], outside, same: cols.every((c, i) => c === window.__cols[i]) };
    });
    console.log('    info: ' + m.records + ' DOM mutation records for that update (measured)');
    check(m.busy >= 2, 'the render of that update was cut by its time budget and finished later (aria-busy true, then false)', m.busy);
    check(m.same && m.where.join() === '120' && m.outside.length === 0,
      'only node 121\'s column changed (plus chips and counts); the 200 columns are the same elements, in place', m);
    const b = await look();
    check(b.hosts.join() === a.hosts.join() && b.rows.every((r, i) => i === 120 || r === a.rows[i]) && b.rows[120] !== a.rows[120],
      'order and every other node\'s rows stay as they were');
    await page.click('.grid > section:nth-child(121) .more');
    await page.waitForFunction(() => document.querySelectorAll('li.task:not(.row)').length === 25);
    check(true, 'a click on that node shows its 25 cards, the rest stay compact');
  });

  await scenario('not a swarm: the note, and containers by compose project', 'mock', async (open) => {
    await fixture('containers');
    const page = await open({}, '');
    await h.waitDrawn(page);
    let d = await page.evaluate(readPage);
    check(d.notes.includes('This engine is not part of a swarm (run docker swarm init)'), 'swarm_note is shown', d.notes);
    check(d.cols.map((c) => c.host).join() === 'getstartedlab,monitoring,Not in a compose project', 'one column per project, loose containers last', d.cols.map((c) => c.host));
    check(d.cols[0].tasks.map((t) => t.service).join() === 'getstartedlab-redis-1,getstartedlab-visualizer-1,getstartedlab-web-1,getstartedlab-web-2',
      'running containers of a project, by name', d.cols[0].tasks.map((t) => t.service));
    check(d.cols[0].tasks[0].stack === 'service redis' && d.cols[0].tasks[0].status === 'Up 3 minutes (healthy)', 'compose service and status', d.cols[0].tasks[0]);
    check(await page.$eval('#show-all-text', (e) => e.textContent) === 'Show stopped containers', 'the toggle speaks of containers');
    await matchesModel(page, false);
    await page.check('#show-all');
    await matchesModel(page, true);
    d = await page.evaluate(readPage);
    check(d.cols[0].tasks.some((t) => t.state === 'exited'), 'stopped containers after the toggle');
    await page.fill('#filter', 'monitoring');
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 2);
    check(true, 'the filter matches a project');
  });

  await scenario('without EventSource the page polls api/state', null, async (open) => {
    if (target.control) await fixture('two-nodes');
    const page = await open({}, null);
    await page.addInitScript(() => {
      delete window.EventSource;
      window.__fetches = 0;
      const f = window.fetch;
      window.fetch = (...a) => {
        window.__fetches++;
        return f(...a);
      };
    });
    const urls = [];
    page.on('request', (r) => urls.push(new URL(r.url()).pathname));
    await page.goto(target.base);
    await h.waitDrawn(page, ['ok', 'engine']);
    await matchesModel(page, false);
    check(!urls.some((u) => u.endsWith('/api/events')) && urls.some((u) => u.endsWith('/api/state')), 'drawn from api/state, no event stream');
    if (target.control) {
      await fixture('mixed');
      await page.waitForFunction(() => document.querySelectorAll('.grid > section').length === 5, null, { timeout: 8000 });
      check(true, 'a change shows within the 5 s poll');
    }
  });

  await scenario('accessible markup: landmarks, labels, headings', null, async (open) => {
    const page = await open({}, '');
    await h.waitDrawn(page, ['ok', 'engine']);
    const a = await page.evaluate(() => ({
      lang: document.documentElement.lang, main: !!document.querySelector('main'), h1: document.querySelectorAll('h1').length,
      filterLabel: document.querySelector('label[for=filter]').textContent,
      unlabelled: [...document.querySelectorAll('input, button')].filter((e) => !(e.labels && e.labels.length) && !e.textContent.trim() && !e.getAttribute('aria-label')).length,
      h2: [...document.querySelectorAll('section.node')].every((s) => s.querySelector('h2')),
      pressed: document.getElementById('projector').getAttribute('aria-pressed'),
    }));
    check(a.lang === 'en' && a.main && a.h1 === 1 && a.h2, 'lang, main, one h1, an h2 per column', a);
    check(a.filterLabel && a.unlabelled === 0, 'every control has a label', a);
    await page.click('#projector');
    check(await page.evaluate(() => document.documentElement.classList.contains('projector') &&
      document.getElementById('projector').getAttribute('aria-pressed') === 'true' && location.search === '?projector=1'),
      'the projector toggle is a pressed button, kept in the URL');
    const big = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
    check(big >= 20, 'and makes the type larger (' + big + 'px)');
  });

  await browser.close();
  /* The server under test must have exited 0 each time, with no sanitizer
   * report (the ASan build of CI runs this test too). */
  const problems = await target.stop();
  console.log('--- the server under test: ' + target.kind);
  for (const p of problems) console.log('    FAIL: ' + p);
  if (problems.length) failed++;
  else console.log('    ok: every run of it exited 0, no sanitizer report');
  console.log('browser: ' + passed + ' passed, ' + failed + ' failed' + (skipped ? ', ' + skipped + ' skipped' : ''));
  process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
  console.error(e);
  if (browser) await browser.close().catch(() => {});
  if (target) await target.stop().catch(() => {});
  process.exit(2);
});
