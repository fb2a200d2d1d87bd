/* SPDX-License-Identifier: Apache-2.0 */
/* The visualizer page (docs/visualizer-api.md): draws the model, kept live
 * by Server-Sent Events (api/events: "state" and "traffic") or, without
 * EventSource, by polling api/state and api/traffic. Engine strings are
 * hostile: they reach the DOM only as textContent, title, dataset or
 * dateTime; colours go through the CSSOM, which the CSP allows. Rendering
 * is keyed: only cards whose data changed are rebuilt and containers are
 * reconciled in place, so updates are cheap and the scroll position and
 * focus survive them. Traffic (once a second) only rewrites the rate line
 * of the cards whose numbers changed. A column far off screen waits (see
 * seen). Each update is timed with the performance API (measures
 * viz-parse, viz-render, viz-traffic). Comments stand on their own lines:
 * the embedded page drops those (cmake/embed.cmake), not trailing ones. */
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const app = $('app'), notes = $('notes'), foot = $('foot'), conn = $('conn'), connText = $('conn-text');
  const filterBox = $('filter'), showAll = $('show-all'), bigBtn = $('projector'), compactBtn = $('compact');

  /* What the user asked for; in the URL. compact: null is automatic. */
  const view = { q: '', all: false, big: false, compact: null };
  /* The last model received. */
  let model = null;
  /* The last traffic document received. */
  let traffic = null;
  /* The model's services, by ID. */
  let svcById = new Map();
  /* Service ID -> the rate on its chip. */
  const chipRps = new Map();
  /* Nodes opened in the compact view. */
  const expanded = new Set();
  /* The stream to our server: connecting, open or closed. */
  let link = 'connecting';
  /* Browser clock minus server clock (ms). */
  let skew = 0;
  let lastUpdate = 0;
  let cache = { tasks: new Map(), nodes: new Map(), blocks: new Map() };
  /* The columns near the screen. The state lines and rates of the cards
   * in the others are not written (most of an update's cost in a big
   * swarm): such a column is marked _stale, and drawn again when it comes
   * within 300 px of the screen. Its cards' services, images and errors
   * are always current, as are its counts. */
  const seen = window.IntersectionObserver && new IntersectionObserver((es) => {
    for (const e of es) {
      const s = e.target;
      s._off = !e.isIntersecting;
      if (!s._off && s._stale) schedule();
    }
  }, { rootMargin: '300px 0px' });

  /* Any model value as text ('' for null or missing). */
  const str = (v) => (v === null || v === undefined ? '' : String(v));
  const arr = (v) => (Array.isArray(v) ? v : []);
  const obj = (v) => !!v && typeof v === 'object';
  const plural = (n, one) => n + ' ' + one + (n === 1 ? '' : 's');
  /* Container states meant to run. */
  const LIVE = ['running', 'restarting', 'paused'];
  /* A task told to stop that still runs. */
  const LEAVING = ['running', 'starting'];
  const UP = { updating: 'updating', paused: 'update paused', completed: 'update completed',
    rollback_started: 'rolling back', rollback_paused: 'rollback paused', rollback_completed: 'rolled back' };
  /* A card's pulse when it gets requests after a quiet second: a
   * transform, which the compositor animates without repainting. */
  const HIT = [{ transform: 'scale(1.06)' }, { transform: 'none' }];

  /* A performance measure from t0 to now; the buffer is kept short. */
  let measures = 0;
  function measure(name, t0) {
    performance.measure(name, { start: t0 });
    if (++measures > 600) {
      performance.clearMeasures();
      measures = 0;
    }
  }

  /* A new element with a class and text (never parsed as HTML). */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = String(text);
    return e;
  }

  /* Makes parent's children exactly kids, moving only what is out of
   * place: a child that goes is removed before it can push the ones after
   * it around (a rebuilt card costs two DOM operations, not a move of
   * every card after it). */
  function reconcile(parent, kids) {
    const keep = new Set(kids);
    let cur = parent.firstChild;
    for (const k of kids) {
      while (cur && !keep.has(cur)) {
        const next = cur.nextSibling;
        cur.remove();
        cur = next;
      }
      if (k === cur) cur = cur.nextSibling;
      else parent.insertBefore(k, cur);
    }
    while (cur) {
      const next = cur.nextSibling;
      cur.remove();
      cur = next;
    }
  }

  /* A stable hue for a service name (FNV-1a, then mixed; the constant sets
   * the tutorial's web, visualizer and redis far apart). Reds are left to
   * errors: hues run from 20 to 340 degrees. */
  function paint(e, name) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x297a2d39);
    h ^= h >>> 12;
    e.style.setProperty('--h', String(20 + ((h >>> 0) % 33) * 10));
  }

  /* "2 min ago", against the server's clock. */
  function ago(ms) {
    const s = Math.round((Date.now() - skew - ms) / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
    if (s < 10) return 'just now';
    if (s < 60) return s + ' s ago';
    if (m < 60) return m + ' min ago';
    return h < 48 ? h + ' h ago' : Math.floor(h / 24) + ' days ago';
  }
  const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

  /* Every 15 s: relative times move on, in place. */
  function tick() {
    for (const t of document.querySelectorAll('time.ago')) {
      if (!t.dateTime) continue;
      const s = ago(Date.parse(t.dateTime));
      if (t.textContent !== s) t.textContent = s;
    }
  }

  function bytes(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    if (!(n > 0)) return '';
    for (; n >= 1024 && i < 5; i++) n /= 1024;
    return (n < 100 && i ? +n.toFixed(1) : Math.round(n)) + ' ' + u[i];
  }
  const cpus = (n) => (n > 0 ? +Number(n).toFixed(2) + (n == 1 ? ' CPU' : ' CPUs') : '');
  const rate = (x) => (x >= 10 ? Math.round(x) : +x.toFixed(1)) + ' req/s';
  const res = (r) => (obj(r) ? [cpus(r.cpus), bytes(r.memory_bytes)].filter(Boolean).join(' · ') : '');

  function readUrl() {
    const p = new URLSearchParams(location.search);
    view.q = p.get('q') || '';
    view.all = p.get('all') === '1';
    view.big = p.get('projector') === '1';
    view.compact = { 1: true, 0: false }[p.get('compact')];
    if (view.compact === undefined) view.compact = null;
    if (filterBox.value !== view.q) filterBox.value = view.q;
    showAll.checked = view.all;
    bigBtn.setAttribute('aria-pressed', String(view.big));
    document.documentElement.classList.toggle('projector', view.big);
  }

  /* Writes the view to the URL: push makes a history entry, else replace. */
  function saveUrl(push) {
    const p = new URLSearchParams();
    if (view.q) p.set('q', view.q);
    if (view.all) p.set('all', '1');
    if (view.big) p.set('projector', '1');
    if (view.compact !== null) p.set('compact', view.compact ? '1' : '0');
    const s = p.toString() ? '?' + p : '';
    if (s !== location.search) history[push ? 'pushState' : 'replaceState'](null, '', s || location.pathname);
  }

  /* The filter: words split on spaces or commas; a task matches when any
   * word is part of any of the given names (case-insensitive). */
  function matcher() {
    const words = view.q.toLowerCase().split(/[\s,]+/).filter(Boolean);
    if (!words.length) return null;
    return (...names) => names.some((x) => words.some((w) => str(x).toLowerCase().includes(w)));
  }

  /* Takes a model (JSON text) from the stream or from api/state. */
  function accept(text) {
    const t0 = performance.now(), m = parse(text);
    measure('viz-parse', t0);
    if (!m) return;
    model = m;
    link = 'open';
    retry = 0;
    lastUpdate = Date.now();
    const gen = Date.parse(str(m.generated_at));
    skew = Number.isFinite(gen) ? Date.now() - gen : 0;
    schedule();
  }

  function parse(text) {
    try {
      const m = JSON.parse(text);
      return obj(m) ? m : null;
    } catch (e) {
      console.warn('visualizer: ignored an update that is not JSON', e);
      return null;
    }
  }

  /* Takes a traffic document; applied at the next frame. */
  let tpending = false;
  function acceptTraffic(text) {
    const t0 = performance.now(), m = parse(text);
    measure('viz-parse', t0);
    if (!m) return;
    traffic = m;
    if (tpending) return;
    tpending = true;
    requestAnimationFrame(() => {
      tpending = false;
      applyTraffic();
    });
  }

  let retry = 0;
  function connect() {
    if (typeof EventSource !== 'function') return poll();
    const es = new EventSource('api/events');
    es.addEventListener('state', (ev) => accept(ev.data));
    es.addEventListener('traffic', (ev) => acceptTraffic(ev.data));
    es.onopen = () => {
      link = 'open';
      schedule();
    };
    es.onerror = () => {
      link = 'closed';
      schedule();
      /* The browser reconnects by itself, except after an error status:
       * then we do, waiting longer each time (1 s to 30 s). */
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        retry = Math.min(retry * 2 || 1000, 30000);
        setTimeout(connect, retry + Math.random() * 500);
      }
    };
  }

  const get = (url) => fetch(url, { cache: 'no-store' })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status))));
  function poll() {
    get('api/state').then(accept, () => {
      link = 'closed';
      schedule();
    })
      .then(() => get('api/traffic').then(acceptTraffic, () => {}))
      .finally(() => setTimeout(poll, 5000));
  }

  function showConn() {
    const [state, text] = link === 'closed' ? ['closed', 'Disconnected, retrying…']
      : !model ? ['connecting', 'Connecting…']
      : obj(model.engine) && model.engine.connected === false ? ['engine', 'Engine unreachable']
      : ['ok', 'Connected'];
    if (conn.dataset.conn !== state) conn.dataset.conn = state;
    if (connText.textContent !== text) connText.textContent = text;
    app.classList.toggle('stale', state === 'closed' || state === 'engine');
  }

  /* Draws at the next frame; several updates in one frame draw once. */
  let pending = false;
  /* Where the last render ran out of time (renderSwarm). */
  let resumeAt = 0;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      try {
        render();
      } catch (e) {
        /* The last picture stays. */
        console.error('visualizer: cannot draw this model', e);
      }
    });
  }

  /* The engine is unreachable and was never seen: nothing to draw. */
  const blind = () => obj(model.engine) && model.engine.connected === false &&
    !arr(model.nodes).length && !arr(model.containers).length;

  /* The notes under the bar, rebuilt only when they change (aria-live). */
  let notesSig = '';
  function renderNotes() {
    const list = [];
    const eng = model && obj(model.engine) ? model.engine : {};
    if (link === 'closed')
      list.push(['bad', 'Lost the connection to the visualizer server; retrying.' +
        (lastUpdate ? ' The picture below is from ' + new Date(lastUpdate).toLocaleTimeString() + '.' : '')]);
    if (eng.connected === false)
      list.push(['warn', 'The Docker engine is unreachable: ' + (str(eng.error) || 'no reason given') +
        (blind() ? '. The page updates as soon as it answers.' : '. The picture below is the last one known.')]);
    if (model && model.swarm === false && !blind())
      list.push(['info', str(model.swarm_note) || 'This engine is not part of a swarm: showing its containers.']);
    /* An update that stopped or turned back says why, above everything. */
    for (const sv of svcById.values()) {
      const u = sv.update, st = obj(u) ? str(u.state) : '';
      if ((st === 'paused' || st.startsWith('rollback')) && upText(sv))
        list.push([st === 'rollback_completed' ? 'info' : 'warn', str(sv.name) + ': ' + upText(sv) +
          (u.message ? ': ' + u.message : '')]);
    }
    if (model && model.version !== undefined && model.version !== 1)
      list.push(['warn', 'This page knows model version 1; the server sent version ' + str(model.version) + '.']);
    const sig = JSON.stringify(list);
    if (sig === notesSig) return;
    notesSig = sig;
    reconcile(notes, list.map(([kind, text]) => el('p', 'note ' + kind, text)));
  }

  function render() {
    const t0 = performance.now();
    svcById = new Map(model && model.swarm !== false ? arr(model.services).filter(obj).map((x) => [str(x.id), x]) : []);
    showConn();
    renderNotes();
    if (!model) return;
    const next = { tasks: new Map(), nodes: new Map(), blocks: new Map() };
    const swarm = !blind() && model.swarm !== false;
    /* The swarm's columns may take several frames (renderSwarm says). */
    if (!swarm) setAttr(app, 'aria-busy', 'false');
    const blocks = !swarm ? (blind() ? [setText(block(next, 'wait', 'p', 'empty'), 'Waiting for the Docker engine…')] : renderContainers(next))
      : renderSwarm(next);
    if (seen) for (const [k, c] of cache.nodes) if (!next.nodes.has(k)) seen.unobserve(c.sec);
    cache = next;
    reconcile(app, blocks);
    renderFoot();
    measure('viz-render', t0);
    applyTraffic();
  }

  /* The rate line of every card, and each chip's total, from the last
   * traffic document; a card that gets requests after a document without
   * any pulses once (a reload lights one card; steady load does not keep
   * every card moving). Only what differs is written. */
  function applyTraffic() {
    const t0 = performance.now(), tt = traffic && obj(traffic.tasks) ? traffic.tasks : {};
    const ts = traffic && obj(traffic.services) ? traffic.services : {};
    for (const [id, c] of cache.tasks) {
      const li = c.el, tr = li._tr, sec = li.parentNode && li.parentNode.parentNode;
      /* After a render, only new cards need the current numbers. */
      if (!tr || (traffic && li._at === traffic.at && tr._doc === traffic)) continue;
      if (sec && sec._off) {
        sec._stale = true;
        continue;
      }
      tr._doc = traffic;
      const d = tt[id], ok = obj(d) && Number.isFinite(d.rps);
      const share = ok && d.share > 0 ? Math.round(d.share * 100) : 0;
      setText(tr, ok ? rate(d.rps) + (d.share === null || d.share === undefined ? '' : ' · ' + share + ' %')
        : 'no traffic data');
      /* ok is a boolean: toggle(x, undefined) flips */
      const busy = ok && d.rps > 0;
      li.classList.toggle('busy', busy);
      tr.classList.toggle('none', !ok);
      if (li._share !== share) li.style.setProperty('--share', String((li._share = share) / 100));
      if (traffic && li._at !== traffic.at) {
        const quiet = !(ok && d.new > 0);
        if (!quiet && li._quiet && li.animate) li.animate(HIT, 600);
        li._quiet = quiet;
        li._at = traffic.at;
      }
    }
    for (const [id, span] of chipRps) {
      const d = ts[id];
      setText(span, obj(d) && Number.isFinite(d.rps) ? rate(d.rps) : 'no traffic data');
    }
    measure('viz-traffic', t0);
  }

  /* A keyed piece of DOM: build() runs only when sig changed since the
   * last render; next collects what this render used. */
  function keyed(map, next, key, sig, build) {
    /* The same id twice in a model. */
    if (next.has(key)) return build();
    let c = map.get(key);
    /* build(old) may refill the old element in place (task cards do). */
    if (!c || c.sig !== sig) c = { sig, el: build(c && c.el) };
    next.set(key, c);
    return c.el;
  }
  const block = (next, key, tag, cls) => keyed(cache.blocks, next.blocks, key, '', () => el(tag, cls));
  /* Writes text only when it changed (remembered on the element: reading
   * textContent back costs more than the comparison). An element that
   * holds one text node gets that node's data changed: replacing the node
   * (textContent =) costs a node and a childList change per write, and
   * the rate lines of 500 cards change every second. */
  const setText = (e, text) => {
    if (e._text === text) return e;
    const f = e.firstChild;
    if (f && f.nodeType === 3 && !f.nextSibling) {
      if (f.data !== text) f.data = text;
    } else if (e.textContent !== text) {
      e.textContent = text;
    }
    e._text = text;
    return e;
  };
  /* Sets an attribute only when it changed: an unchanged write still
   * counts as a change for the page's observers and assistive tools. */
  const setAttr = (e, name, value) => {
    if (e.getAttribute(name) !== value) e.setAttribute(name, value);
  };

  /* Appends span.svc with a service name. A stack's services are named
   * stack_service (compose: project-service): the stack part is drawn
   * lighter and may wrap. Returns whether the stack was shown that way. */
  function svcName(parent, name, stack) {
    const s = el('span', 'svc');
    const sep = name.charAt(stack.length);
    const inStack = !!stack && name.startsWith(stack) && (sep === '_' || sep === '-') && name.length > stack.length + 1;
    if (inStack) s.append(el('span', 'pre', stack + sep), el('wbr'), name.slice(stack.length + 1));
    else s.textContent = name;
    parent.append(s);
    return inStack;
  }

  /* A card: li.task > div.name, div.image, div.st, p.err. An old li is
   * emptied and refilled: it keeps its place in its list (moving a grid
   * item costs far more than refilling it). */
  function card(colour, state, name, stack, image, old) {
    const li = old || el('li', 'task'), top = el('div', 'name');
    if (old) {
      li.replaceChildren();
      li.className = 'task';
      li.removeAttribute('title');
      delete li.dataset.desired;
      li._tr = li._st = null;
    }
    paint(li, colour);
    li.dataset.state = state;
    const stacked = svcName(top, name, stack);
    li.append(top);
    if (image) li.append(imageEl(image));
    return [li, top, stacked];
  }

  /* An image with its tag in bold: old and new tasks of an update differ
   * there. */
  function imageEl(image) {
    const d = el('div', 'image'), s = str(image), i = s.lastIndexOf(':');
    if (i > s.lastIndexOf('/')) d.append(s.slice(0, i), el('b', 'tag', s.slice(i)));
    else d.textContent = s;
    return d;
  }

  function taskCard(t, old) {
    const desired = str(t.desired_state), sv = svcById.get(str(t.service_id));
    const [li, top, stacked] = card(str(t.service), str(t.state), str(t.service), str(t.stack), t.image, old);
    li.dataset.desired = desired;
    if (desired === 'running' && sv && sv.image && t.image && sv.image !== t.image) {
      li.classList.add('old');
      li.title = 'an older image: the service now runs ' + str(sv.image);
    }
    if (t.slot !== null && t.slot !== undefined) top.append(el('span', 'slot', '.' + t.slot));
    if (t.stack && !stacked) top.append(el('span', 'stack', 'stack ' + t.stack));
    if (sv && sv.metrics === true && desired === 'running') li._tr = el('div', 'tr none', 'no traffic data');
    li.append(taskState(li, t));
    if (t.error) li.append(el('p', 'err', t.error));
    if (li._tr) li.append(li._tr);
    return li;
  }

  /* A card's state line (state, desired state, since when) and what the
   * state changes on the card itself. Made once per card, then written in
   * place when only they change (most updates): no element is created or
   * removed, so an update of many tasks stays cheap. */
  function taskState(li, t) {
    const desired = str(t.desired_state), state = str(t.state), ms = Date.parse(str(t.since));
    let st = li._st;
    if (!st) {
      st = li._st = el('div', 'st');
      st.append(li._state = el('span', 'state'), li._desired = el('span', 'desired'), ' ', li._time = el('time', 'ago'));
    }
    /* Each write only when its value changed: an attribute set to the
     * same value still makes the browser recheck the styles. */
    if (li.dataset.state !== state) li.dataset.state = state;
    const cls = desired === 'running' ? '' : LEAVING.includes(state) ? 'leaving' : 'stopped';
    li.classList.toggle('leaving', cls === 'leaving');
    li.classList.toggle('stopped', cls === 'stopped');
    setText(li._state, state || 'unknown');
    prop(li._state, 'title', 'current state: ' + state + '; desired state: ' + desired + (t.message ? '; ' + t.message : ''));
    prop(li._desired, 'hidden', desired === state);
    setText(li._desired, '→ ' + desired);
    prop(li._time, 'hidden', !Number.isFinite(ms));
    /* Only a running task has traffic to show. */
    if (li._tr) prop(li._tr, 'hidden', state !== 'running');
    if (Number.isFinite(ms) && prop(li._time, 'dateTime', str(t.since))) {
      setText(li._time, ago(ms));
      li._time.title = 'since ' + dateFmt.format(ms);
    }
    return st;
  }

  /* Sets e[name] = v unless it already is; returns whether it wrote. */
  function prop(e, name, v) {
    if (e[name] === v) return false;
    e[name] = v;
    return true;
  }

  const taskKey = (t, where) => str(t.id) || where + '/' + str(t.service) + '/' + str(t.slot);
  /* A task's card: rebuilt (in place) when what it shows changes; when
   * only its state, time or message do, only its state line is, and not
   * while its column is off screen (off: renderSwarm says). */
  const taskEl = (next, t, where, off) => {
    const key = taskKey(t, where), sv = svcById.get(str(t.service_id)) || {};
    /* The same id twice in a model. */
    if (next.tasks.has(key)) return taskCard(t);
    const sig = JSON.stringify([t.service, t.stack, t.image, t.slot, t.desired_state, t.error, sv.image, sv.metrics]);
    const live = JSON.stringify([t.state, t.since, t.message]);
    let c = cache.tasks.get(key);
    if (!c || c.sig !== sig) {
      c = { sig, live, el: taskCard(t, c && c.el) };
    } else if (c.live !== live) {
      if (off) off._stale = true;
      else {
        taskState(c.el, t);
        c.live = live;
      }
    }
    next.tasks.set(key, c);
    return c.el;
  };

  function badge(cls, text, title) {
    const b = el('span', 'badge ' + cls, text);
    if (title) b.title = title;
    return b;
  }

  /* The head of a node's column: everything but its tasks. */
  function nodeHead(n) {
    const h = el('header', 'nh'), b = el('div', 'badges');
    const status = str(n.status), av = str(n.availability);
    h.append(el('h2', 'host', str(n.hostname) || str(n.id) || 'unnamed node'), b);
    b.append(badge('role', str(n.role) || 'unknown role'));
    if (n.leader) b.append(badge('leader', '★ leader', 'the manager that leads the swarm (Raft leader)'));
    b.append(badge('status', status || 'unknown status'),
      badge('avail', { drain: 'drained', pause: 'paused' }[av] || av || 'unknown', 'availability: ' + av));
    const meta = [n.engine_version && 'Engine ' + n.engine_version, cpus(n.cpus), bytes(n.memory_bytes), str(n.addr)];
    if (meta.some(Boolean)) h.append(el('p', 'meta', meta.filter(Boolean).join(' · ')));
    const labels = obj(n.labels) ? Object.keys(n.labels).sort() : [];
    if (labels.length) {
      const ul = el('ul', 'labels');
      ul.setAttribute('aria-label', 'labels');
      for (const k of labels) ul.append(el('li', null, str(n.labels[k]) ? k + '=' + n.labels[k] : k));
      h.append(ul);
    }
    if (av === 'drain') h.append(el('p', 'why', 'Drained: no tasks run here; the swarm moved them to other nodes.'));
    if (av === 'pause') h.append(el('p', 'why', 'Paused: no new tasks are placed here; running ones stay.'));
    if (status && status !== 'ready') h.append(el('p', 'why', 'This node is ' + status + '.'));
    return h;
  }

  /* The tasks to show; counts in stats what is meant to run, shown, and
   * hidden by the toggle. */
  function pick(tasks, match, stats) {
    return arr(tasks).filter((t) => {
      if (!obj(t)) return false;
      const running = str(t.desired_state) === 'running';
      stats.total += running;
      if (match && !match(t.service, t.stack)) return false;
      if (!running && !view.all && !LEAVING.includes(t.state)) {
        stats.hidden++;
        return false;
      }
      stats.shown += running;
      return true;
    });
  }

  /* A column (a node, the unplaced tasks, a compose project): a cached
   * section whose head is rebuilt when headSig changes and whose list is
   * reconciled with items. */
  function column(next, key, cls, headSig, buildHead, items, countText, emptyText, moreText) {
    let c = cache.nodes.get(key);
    if (!c) {
      c = { sec: el('section', cls), list: el('ul', 'tasks'), count: el('p', 'count') };
      if (seen) seen.observe(c.sec);
    }
    if (c.headSig !== headSig) {
      c.head = buildHead(c.sec);
      c.headSig = headSig;
    }
    next.nodes.set(key, c);
    setText(c.count, countText);
    reconcile(c.list, items);
    const kids = [c.head];
    if (items.length) kids.push(c.count, c.list);
    else if (emptyText) kids.push(setText(c.empty || (c.empty = el('p', 'none')), emptyText));
    if (moreText) {
      if (!c.more) {
        c.more = el('button', 'more');
        c.more.type = 'button';
        c.more.dataset.key = key;
      }
      kids.push(setText(c.more, moreText));
    }
    reconcile(c.sec, kids);
    return c.sec;
  }

  /* The compact view of a node's tasks: a row per service, with how many
   * tasks it has there and in which states. */
  function rows(next, key, tasks) {
    const groups = new Map();
    for (const t of tasks) {
      const name = str(t.service), g = groups.get(name) || { t, n: 0, st: {} };
      groups.set(name, g);
      g.n++;
      g.st[str(t.state)] = (g.st[str(t.state)] || 0) + 1;
    }
    return [...groups].map(([name, g]) => {
      const counts = Object.keys(g.st).sort().map((k) => g.st[k] + ' ' + (k || 'unknown')).join(' · ');
      return keyed(cache.tasks, next.tasks, key + '|' + name, name + counts, () => {
        const [li, top] = card(name, g.st.running === g.n ? 'running' : 'mixed', name, str(g.t.stack));
        li.classList.add('row');
        top.append(el('span', 'slot', ' ×' + g.n));
        li.append(el('div', 'st', counts));
        return li;
      });
    });
  }

  function renderSwarm(next) {
    const match = matcher(), stats = { total: 0, shown: 0, hidden: 0 };
    const nodes = arr(model.nodes).filter(obj), cols = [];
    const picked = nodes.map((n) => ['n:' + (str(n.id) || str(n.hostname)), n, pick(n.tasks, match, stats)]);
    const un = pick(model.unassigned, match, stats);
    /* Hundreds of tasks: a node shows counts per service, and its cards
     * when opened. */
    const compact = view.compact !== null ? view.compact : stats.shown > 600;
    setAttr(compactBtn, 'aria-pressed', String(compact));
    app.classList.toggle('compact', compact);
    /* Thousands of new cards at once would freeze the page: past a time
     * budget the remaining nodes keep their previous column (or wait),
     * the next frame goes on, and aria-busy stays true until done. The
     * next frame walks the nodes done before (cheap: their columns are
     * cached) and its budget starts where the cut was, so every frame
     * gets further even where that walk alone would take 30 ms. */
    let deadline = performance.now() + 30, incomplete = false, i = -1;
    for (const [key, n, tasks] of picked) {
      if (++i === resumeAt && i) deadline = performance.now() + 30;
      if (i > resumeAt && performance.now() > deadline) {
        if (!incomplete) resumeAt = i;
        incomplete = true;
        const old = cache.nodes.get(key);
        if (old) {
          next.nodes.set(key, old);
          cols.push(old.sec);
          /* Its cards, and its compact rows (keyed node|service), stay
           * cached, or the next render would build them all again. */
          for (const t of tasks) {
            for (const k of [taskKey(t, key), key + '|' + str(t.service)])
              if (cache.tasks.has(k) && !next.tasks.has(k)) next.tasks.set(k, cache.tasks.get(k));
          }
        }
        continue;
      }
      const sig = JSON.stringify([n.hostname, n.role, n.leader, n.status, n.availability, n.engine_version,
        n.cpus, n.memory_bytes, n.addr, n.labels]);
      const open = !compact || expanded.has(key), sec = (cache.nodes.get(key) || {}).sec;
      const off = sec && sec._off ? sec : null;
      if (sec && !off) sec._stale = false;
      cols.push(column(next, key, 'node', sig, (sec) => {
        sec.dataset.role = str(n.role);
        sec.dataset.status = str(n.status);
        sec.dataset.availability = str(n.availability);
        return nodeHead(n);
      }, open ? tasks.map((t) => taskEl(next, t, key, off)) : rows(next, key, tasks), plural(tasks.length, 'task'),
      match ? 'No matching task here.' : 'No task here.',
      compact && tasks.length ? (open ? 'Show counts' : 'Show the ' + plural(tasks.length, 'task')) : ''));
    }
    /* Compact cards for many nodes or tasks: 50 nodes in a few screens. */
    app.classList.toggle('dense', nodes.length > 8 || stats.shown > 80);
    const blocks = [servicesBar(next), svcInfo(next), summary(next, plural(nodes.length, 'node'), stats, 'task', 'stopped or failed task',
      arr(model.services).length || stats.total ? '' : 'no service yet: try docker stack deploy or docker service create')];
    if (un.length)
      blocks.push(column(next, 'unassigned', 'node unassigned', 'u', () => {
        const h = el('header', 'nh');
        h.append(el('h2', 'host', 'Unassigned'), el('p', 'why', 'No node can take these tasks yet; the ' +
          'scheduler\'s reason is on each card (placement constraints, resources, tasks per node).'));
        return h;
      }, un.map((t) => taskEl(next, t, 'u')), plural(un.length, 'task')));
    const grid = block(next, 'grid', 'div', 'grid');
    reconcile(grid, cols);
    blocks.push(nodes.length ? grid : setText(block(next, 'none', 'p', 'empty'), 'The swarm reports no node.'));
    words('Show stopped and failed tasks', 'Filter service or stack  ( / )');
    if (incomplete) schedule();
    else resumeAt = 0;
    setAttr(app, 'aria-busy', String(incomplete));
    return blocks.filter(Boolean);
  }

  /* The controls' words, which differ between swarm and containers. */
  function words(toggle, hint) {
    setText($('show-all-text'), toggle);
    if (filterBox.placeholder !== hint) filterBox.placeholder = hint;
  }

  /* The line that says what is shown: counts, the filter, hidden tasks. */
  function summary(next, first, stats, what, hiddenWhat, hint) {
    const parts = [first, view.q ? stats.shown + ' of ' + plural(stats.total, what) + ' match “' + view.q + '”'
      : plural(stats.total, what) + ' meant to run'];
    if (stats.hidden) parts.push(plural(stats.hidden, hiddenWhat) + ' hidden');
    if (hint) parts.push(hint);
    return setText(block(next, 'summary', 'p', 'summary'), parts.join(' · '));
  }

  /* A service's update in a few words ("updating 2/5"); a finished one
   * is told for 10 minutes. */
  function upText(sv) {
    const u = sv.update, st = obj(u) ? str(u.state) : '', w = UP[st] || st;
    if (!st) return '';
    if (st.endsWith('completed')) {
      const end = Date.parse(str(u.completed_at));
      return Number.isFinite(end) && Date.now() - skew - end > 600000 ? '' : w;
    }
    return w + (Number.isFinite(u.updated) && Number.isFinite(u.total) ? ' ' + u.updated + '/' + u.total : '');
  }

  /* What a service is and where it may run: its chip's title, and the
   * panel under the chips while it is the filter. */
  function svcLines(sv) {
    const want = sv.mode === 'global' ? null : sv.replicas, c = arr(sv.constraints).map(str), u = sv.update;
    if (sv.max_per_node > 0) c.push('at most ' + sv.max_per_node + ' per node');
    return [['image', str(sv.image)],
      ['tasks', str(sv.mode) + ', ' + (Number(sv.running) || 0) + (want === null || want === undefined ? '' : ' of ' + want) + ' running'],
      ['update', obj(u) && (UP[u.state] || str(u.state)) + (Number.isFinite(u.updated) ? ', ' + u.updated + ' of ' + u.total +
        ' tasks updated' : '') + (u.message ? ' (' + u.message + ')' : '')],
      ['placement', c.join(' · ') || 'any node'],
      ['limits', res(sv.limits) || 'none'], ['reservations', res(sv.reservations) || 'none']].filter((x) => x[1]);
  }

  /* The services as coloured chips, by stack: a legend, each one's state,
   * update and traffic, and a one-click filter. */
  function servicesBar(next) {
    const services = [...svcById.values()].sort((a, b) => (str(a.stack) || '\uffff').localeCompare(str(b.stack) || '\uffff') ||
      str(a.name).localeCompare(str(b.name)));
    const sig = JSON.stringify([Math.floor(Date.now() / 60000), services.map((s) => [s.id, s.name, s.stack, s.mode,
      s.replicas, s.running, s.image, s.update, s.constraints, s.max_per_node, s.limits, s.reservations, s.metrics])]);
    const nav = keyed(cache.blocks, next.blocks, 'services', sig, () => {
      const n = el('nav', 'services'), ul = el('ul');
      let stack = null;
      n.setAttribute('aria-label', 'Services');
      chipRps.clear();
      for (const s of services) {
        const b = el('button', 'chip'), name = str(s.name), up = upText(s);
        const running = Number(s.running) || 0, want = s.mode === 'global' ? null : Number(s.replicas);
        if (s.stack && s.stack !== stack) ul.append(el('li', 'stk', 'stack ' + s.stack));
        stack = s.stack;
        b.type = 'button';
        b.dataset.name = name;
        paint(b, name);
        svcName(b, name, str(s.stack));
        b.append(el('span', 'n', want === null ? running + ' global' : running + '/' + want));
        if (want !== null && running < want) b.classList.add('short');
        if (up) b.append(el('span', 'up', up));
        if (up) b.dataset.update = str(s.update.state);
        if (s.metrics === true) {
          chipRps.set(str(s.id), el('span', 'rps'));
          b.append(chipRps.get(str(s.id)));
        }
        b.title = svcLines(s).map((x) => x[0] + ': ' + x[1]).join('\n') + '\nClick to filter by it and see this.';
        const li = el('li');
        li.append(b);
        ul.append(li);
      }
      n.append(ul);
      return n;
    });
    for (const b of nav.querySelectorAll('.chip')) setAttr(b, 'aria-pressed', String(view.q === b.dataset.name));
    return nav;
  }

  /* While one service is the filter: its details (the tap of a chip). */
  function svcInfo(next) {
    const sv = [...svcById.values()].find((x) => str(x.name) === view.q);
    if (!sv) return null;
    const lines = svcLines(sv);
    return keyed(cache.blocks, next.blocks, 'info', JSON.stringify(lines), () => {
      const d = el('dl', 'info');
      d.setAttribute('aria-label', 'about ' + str(sv.name));
      for (const [k, v] of lines) d.append(el('dt', null, k), el('dd', null, v));
      return d;
    });
  }

  /* Not a swarm: the engine's containers, a column per compose project. */
  function renderContainers(next) {
    const match = matcher(), stats = { total: 0, shown: 0, hidden: 0 }, groups = new Map();
    for (const c of arr(model.containers).filter(obj)) {
      const live = LIVE.includes(c.state);
      stats.total += live;
      if (match && !match(c.project, c.service, c.name)) continue;
      if (!live && !view.all) {
        stats.hidden++;
        continue;
      }
      stats.shown += live;
      const p = str(c.project);
      groups.set(p, (groups.get(p) || []).concat([c]));
    }
    const names = [...groups.keys()].sort((a, b) => (a === '') - (b === '') || a.localeCompare(b));
    const cols = names.map((p) => {
      const items = groups.get(p).sort((a, b) => str(a.name).localeCompare(str(b.name))).map((c) =>
        keyed(cache.tasks, next.tasks, 'c:' + str(c.id) + str(c.name),
          JSON.stringify([c.name, c.image, c.state, c.status, c.service, c.created, p]), () => containerCard(c)));
      return column(next, 'p:' + p, 'node project', p, () => {
        const h = el('header', 'nh');
        h.append(el('h2', 'host', p || 'Not in a compose project'));
        if (p) h.append(badge('role', 'compose project'));
        return h;
      }, items, plural(items.length, 'container'));
    });
    app.classList.toggle('dense', arr(model.containers).length > 40);
    const grid = block(next, 'grid', 'div', 'grid');
    reconcile(grid, cols);
    words('Show stopped containers', 'Filter project, service, name  ( / )');
    return [summary(next, plural(names.length, 'project'), stats, 'container', 'stopped container'),
      cols.length ? grid : setText(block(next, 'none', 'p', 'empty'), match || stats.hidden
        ? 'No container to show with this filter and toggle.' : 'This engine runs no container.')];
  }

  function containerCard(c) {
    const name = str(c.name).replace(/^\//, '') || str(c.id), project = str(c.project);
    /* Coloured like the same service deployed as a stack: project_service. */
    const [li, top] = card(c.service ? (project && project + '_') + c.service : name, str(c.state), name, project, c.image);
    if (!LIVE.includes(c.state)) li.classList.add('stopped');
    if (c.service) top.append(el('span', 'stack', 'service ' + c.service));
    const st = el('div', 'st'), created = Date.parse(str(c.created));
    st.append(el('span', 'state', c.state || 'unknown'));
    if (c.status) st.append(' ', el('span', 'status', c.status));
    if (Number.isFinite(created)) st.title = 'created ' + dateFmt.format(created);
    li.append(st);
    return li;
  }

  function renderFoot() {
    const eng = obj(model.engine) ? model.engine : {}, gen = Date.parse(str(model.generated_at)), parts = [];
    if (eng.version) parts.push('Docker engine ' + eng.version + (eng.api_version ? ' (API ' + eng.api_version + ')' : ''));
    if (Number.isFinite(gen)) parts.push('model of ' + new Date(gen).toLocaleTimeString());
    parts.push('the same as JSON: ');
    const text = parts.join(' · ');
    if (foot.firstChild && foot.firstChild.textContent === text) return;
    const a = el('a', null, 'api/state');
    a.href = 'api/state';
    reconcile(foot, [el('span', null, text), a]);
  }

  /* The first key of a burst of typing makes a history entry and the next
   * ones update it, so Back returns to the filter before the burst. The
   * page is drawn when typing pauses: keys never wait for a redraw. */
  let typing = null, redraw = null;
  filterBox.addEventListener('input', () => {
    view.q = filterBox.value;
    saveUrl(!typing);
    clearTimeout(typing);
    typing = setTimeout(() => (typing = null), 1000);
    clearTimeout(redraw);
    redraw = setTimeout(schedule, 100);
  });
  filterBox.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !filterBox.value) return;
    filterBox.value = '';
    filterBox.dispatchEvent(new Event('input'));
  });
  showAll.addEventListener('change', () => {
    view.all = showAll.checked;
    saveUrl(true);
    schedule();
  });
  bigBtn.addEventListener('click', () => {
    view.big = !view.big;
    saveUrl(true);
    readUrl();
  });
  compactBtn.addEventListener('click', () => {
    view.compact = compactBtn.getAttribute('aria-pressed') !== 'true';
    saveUrl(true);
    schedule();
  });
  app.addEventListener('click', (e) => {
    const more = e.target.closest('.more');
    if (more) {
      const k = more.dataset.key;
      if (!expanded.delete(k)) expanded.add(k);
      return schedule();
    }
    const chip = e.target.closest('.chip');
    if (!chip) return;
    filterBox.value = view.q = view.q === chip.dataset.name ? '' : chip.dataset.name;
    saveUrl(true);
    schedule();
  });
  /* "/" anywhere but in a text field goes to the filter box. */
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    e.preventDefault();
    filterBox.focus();
    filterBox.select();
  });
  window.addEventListener('popstate', () => {
    typing = null;
    readUrl();
    schedule();
  });

  readUrl();
  connect();
  setInterval(tick, 15000);
})();
