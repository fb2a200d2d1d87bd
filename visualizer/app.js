/* The visualizer page: draws the model of docs/visualizer-api.md and keeps
 * it live through Server-Sent Events (api/events), or by polling api/state
 * where EventSource does not exist.
 *
 * Every string in the model comes from the Docker engine and is hostile: it
 * reaches the DOM only through textContent, title, dataset or dateTime,
 * never as markup. Colours go through the CSSOM (style.setProperty), which
 * the Content-Security-Policy allows; there is no inline style or script.
 *
 * Rendering is keyed: a task card, a node header or a project column is
 * rebuilt only when what it shows changed, and the containers are then
 * reconciled in place, so an update of 50 nodes x 100 tasks touches only
 * what moved, and the scroll position and the filter box focus survive. */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const app = $('app'), notes = $('notes'), foot = $('foot');
  const filterBox = $('filter'), showAll = $('show-all'), bigBtn = $('projector');
  const connBox = $('conn'), connText = $('conn-text');

  /* What the user asked to see; mirrored in the query string. */
  const view = { q: '', all: false, big: false };
  let model = null; /* The last model received. */
  let link = 'connecting'; /* connecting | open | closed: the stream to our server. */
  let skew = 0; /* Browser clock minus server clock, in ms. */
  let lastUpdate = 0; /* Browser time of the last model received. */
  let cache = { tasks: new Map(), nodes: new Map(), blocks: new Map() };

  /* --- small helpers ---------------------------------------------------- */

  /* Any model value as display text ('' for null or missing). */
  const str = (v) => (v === null || v === undefined ? '' : String(v));
  const arr = (v) => (Array.isArray(v) ? v : []);

  /* A new element with a class and text (text is never parsed as HTML). */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null && text !== '') e.textContent = String(text);
    return e;
  }

  /* Makes parent's children exactly kids, moving only what is out of place. */
  function reconcile(parent, kids) {
    let cur = parent.firstChild;
    for (const k of kids) {
      if (k === cur) cur = cur.nextSibling;
      else parent.insertBefore(k, cur);
    }
    while (cur) {
      const next = cur.nextSibling;
      parent.removeChild(cur);
      cur = next;
    }
  }

  /* A stable hue for a service name (FNV-1a, then mixed), so a service
   * has the same colour on every reload and in every browser. Reds (under
   * 20 and over 340 degrees) are left to errors. */
  function hue(name) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 15;
    h = Math.imul(h, 0x297a2d39); /* Sets the tutorial's web, visualizer, redis far apart. */
    h ^= h >>> 12;
    return 20 + ((h >>> 0) % 33) * 10;
  }
  function paint(e, name) {
    e.style.setProperty('--h', String(hue(name)));
  }

  const serverNow = () => Date.now() - skew;

  /* "2 min ago" for a time in ms since the epoch. */
  function ago(ms) {
    const s = Math.round((serverNow() - ms) / 1000);
    if (s < 10) return 'just now';
    if (s < 60) return s + ' s ago';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ago';
    const h = Math.floor(m / 60);
    if (h < 48) return h + ' h ago';
    return Math.floor(h / 24) + ' days ago';
  }

  /* A <time> showing a relative time, the absolute one in its title; null
   * when the value is not a date. */
  function timeEl(iso, prefix) {
    const ms = Date.parse(str(iso));
    if (!Number.isFinite(ms)) return null;
    const t = el('time', 'ago', ago(ms));
    t.dateTime = str(iso);
    t.title = (prefix || '') + new Date(ms).toLocaleString();
    return t;
  }

  /* Refreshes every relative time in place (called every 15 s). */
  function tick() {
    for (const t of document.querySelectorAll('time.ago')) {
      const ms = Date.parse(t.dateTime);
      if (Number.isFinite(ms)) {
        const s = ago(ms);
        if (t.textContent !== s) t.textContent = s;
      }
    }
    if (link === 'closed') renderNotes();
  }

  function bytes(n) {
    n = Number(n);
    if (!Number.isFinite(n) || n <= 0) return '';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return (n < 100 && i ? n.toFixed(1).replace(/\.0$/, '') : Math.round(n)) + ' ' + u[i];
  }
  function cpus(n) {
    n = Number(n);
    if (!Number.isFinite(n) || n <= 0) return '';
    return +n.toFixed(2) + (n === 1 ? ' CPU' : ' CPUs');
  }
  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many || one + 's');

  /* --- the view in the URL ---------------------------------------------- */

  function readUrl() {
    const p = new URLSearchParams(location.search);
    view.q = p.get('q') || '';
    view.all = p.get('all') === '1';
    view.big = p.get('projector') === '1';
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
    const s = p.toString();
    const url = s ? '?' + s : location.pathname;
    if ((s ? '?' + s : '') === location.search) return;
    history[push ? 'pushState' : 'replaceState'](null, '', url);
  }

  /* The filter: words separated by spaces or commas; a task matches when
   * any word is part of its service or stack name (case-insensitive). */
  function matcher() {
    const words = view.q.toLowerCase().split(/[\s,]+/).filter(Boolean);
    if (!words.length) return null;
    return (...names) => {
      const hay = names.map((x) => str(x).toLowerCase());
      return words.some((w) => hay.some((h) => h.includes(w)));
    };
  }

  /* --- the connection ----------------------------------------------------- */

  let retry = 0;
  function backoff() {
    retry = Math.min(retry ? retry * 2 : 1000, 30000);
    return retry + Math.random() * 500;
  }

  /* Takes a model (JSON text) from the stream or from api/state. */
  function accept(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch (e) {
      console.warn('visualizer: ignored an update that is not JSON', e);
      return;
    }
    if (!m || typeof m !== 'object') return;
    model = m;
    link = 'open';
    retry = 0;
    lastUpdate = Date.now();
    const gen = Date.parse(str(m.generated_at));
    skew = Number.isFinite(gen) ? Date.now() - gen : 0;
    schedule();
  }

  function connect() {
    if (typeof EventSource !== 'function') {
      poll();
      return;
    }
    const es = new EventSource('api/events');
    es.addEventListener('state', (ev) => accept(ev.data));
    es.onopen = () => {
      link = 'open';
      schedule();
    };
    es.onerror = () => {
      link = 'closed';
      schedule();
      /* The browser retries by itself unless the server answered with an
       * error status; then it is our turn, with a growing delay. */
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setTimeout(connect, backoff());
      }
    };
  }

  function poll() {
    fetch('api/state', { cache: 'no-store' })
      .then((r) => {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(accept)
      .catch(() => {
        link = 'closed';
        schedule();
      })
      .finally(() => setTimeout(poll, 5000));
  }

  function connState() {
    if (link === 'closed') return ['closed', 'Disconnected, retrying…'];
    if (!model) return ['connecting', 'Connecting…'];
    if (model.engine && model.engine.connected === false) return ['engine', 'Engine unreachable'];
    return ['ok', 'Connected'];
  }

  function showConn() {
    const [state, text] = connState();
    if (connBox.dataset.conn !== state) connBox.dataset.conn = state;
    if (connText.textContent !== text) connText.textContent = text;
    app.classList.toggle('stale', state === 'closed' || state === 'engine');
  }

  /* --- rendering ---------------------------------------------------------- */

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      try {
        render();
      } catch (e) {
        /* A model this page does not understand must not blank the page. */
        console.error('visualizer: cannot draw this model', e);
      }
    });
  }

  let notesSig = '';
  function renderNotes() {
    const list = [];
    if (link === 'closed')
      list.push(['bad', 'Lost the connection to the visualizer server; retrying. ' +
        (lastUpdate ? 'The picture below is from ' + new Date(lastUpdate).toLocaleTimeString() + '.' : '')]);
    if (model) {
      const eng = model.engine || {};
      if (eng.connected === false)
        list.push(['warn', 'The Docker engine is unreachable: ' + (str(eng.error) || 'no reason given') +
          '. The picture below is the last one known.']);
      if (model.swarm === false)
        list.push(['info', str(model.swarm_note) || 'This engine is not part of a swarm: showing its containers.']);
      if (model.version !== undefined && model.version !== 1)
        list.push(['warn', 'This page knows model version 1; the server sent version ' + str(model.version) + '.']);
    }
    const sig = JSON.stringify(list);
    if (sig === notesSig) return;
    notesSig = sig;
    reconcile(notes, list.map(([kind, text]) => el('p', 'note ' + kind, text)));
  }

  function render() {
    showConn();
    renderNotes();
    if (!model) return;
    app.setAttribute('aria-busy', 'false');
    const next = { tasks: new Map(), nodes: new Map(), blocks: new Map() };
    const blocks = model.swarm === false ? renderContainers(next) : renderSwarm(next);
    cache = next;
    reconcile(app, blocks);
    renderFoot();
  }

  /* One keyed piece of DOM: build() runs only when sig changed. */
  function keyed(map, next, key, sig, build) {
    if (next.has(key)) return build(); /* A duplicate id in the model. */
    let c = map.get(key);
    if (!c || c.sig !== sig) c = { sig, el: build() };
    next.set(key, c);
    return c.el;
  }

  /* Appends a service name to parent as span.svc. A stack's services are
   * named stack_service: the stack part is drawn lighter, and can wrap.
   * Returns whether the stack was shown that way. */
  function svcName(parent, name, stack) {
    const s = el('span', 'svc');
    const sep = name.charAt(stack.length);
    const inStack = !!stack && name.startsWith(stack) && (sep === '_' || sep === '-') &&
      name.length > stack.length + 1;
    if (inStack) {
      s.append(el('span', 'pre', stack + sep), document.createElement('wbr'), name.slice(stack.length + 1));
    } else {
      s.textContent = name;
    }
    parent.append(s);
    return inStack;
  }

  /* A card for one task. */
  function taskCard(t) {
    const li = el('li', 'task');
    const service = str(t.service);
    paint(li, service);
    li.dataset.state = str(t.state);
    li.dataset.desired = str(t.desired_state);
    if (str(t.desired_state) !== 'running') li.classList.add('stopped');
    const top = el('div', 'name');
    const stacked = svcName(top, service, str(t.stack));
    if (t.slot !== null && t.slot !== undefined) top.append(el('span', 'slot', '.' + str(t.slot)));
    if (t.stack && !stacked) top.append(el('span', 'stack', 'stack ' + str(t.stack)));
    li.append(top);
    if (t.image) li.append(el('div', 'image', t.image));
    const st = el('div', 'st');
    const state = el('span', 'state', t.state || 'unknown');
    state.title = 'current state: ' + str(t.state) + '; desired state: ' + str(t.desired_state) +
      (t.message ? '; ' + str(t.message) : '');
    st.append(state);
    if (str(t.desired_state) !== str(t.state)) st.append(el('span', 'desired', '→ ' + str(t.desired_state)));
    const since = timeEl(t.since, 'since ');
    if (since) st.append(' ', since);
    li.append(st);
    if (t.error) li.append(el('p', 'err', t.error));
    return li;
  }

  function taskEl(next, t, where) {
    const key = str(t.id) || where + '/' + str(t.service) + '/' + str(t.slot);
    const sig = JSON.stringify([t.service, t.stack, t.image, t.slot, t.state, t.desired_state,
      t.since, t.message, t.error]);
    return keyed(cache.tasks, next.tasks, key, sig, () => taskCard(t));
  }

  function badge(cls, text, title) {
    const b = el('span', 'badge ' + cls, text);
    if (title) b.title = title;
    return b;
  }

  /* The head of a node column: everything but its tasks. */
  function nodeHead(n) {
    const h = el('header', 'nh');
    h.append(el('h2', 'host', str(n.hostname) || str(n.id) || 'unnamed node'));
    const b = el('div', 'badges');
    const role = str(n.role);
    b.append(badge('role', role || 'unknown role'));
    if (n.leader) b.append(badge('leader', '★ leader', 'the manager that leads the swarm (Raft leader)'));
    const status = str(n.status);
    b.append(badge('status', status || 'unknown status'));
    const av = str(n.availability);
    b.append(badge('avail', av === 'drain' ? 'drained' : av === 'pause' ? 'paused' : av || 'unknown',
      'availability: ' + av));
    h.append(b);
    const meta = [str(n.engine_version) && 'Engine ' + str(n.engine_version), cpus(n.cpus),
      bytes(n.memory_bytes), str(n.addr)].filter(Boolean);
    if (meta.length) h.append(el('p', 'meta', meta.join(' · ')));
    const labels = n.labels && typeof n.labels === 'object' ? Object.keys(n.labels) : [];
    if (labels.length) {
      const ul = el('ul', 'labels');
      ul.setAttribute('aria-label', 'labels');
      for (const k of labels.sort()) {
        const v = str(n.labels[k]);
        ul.append(el('li', null, v ? k + '=' + v : k));
      }
      h.append(ul);
    }
    if (av === 'drain') h.append(el('p', 'why', 'Drained: no tasks run here; the swarm moved them to other nodes.'));
    else if (av === 'pause') h.append(el('p', 'why', 'Paused: no new tasks are placed here; running ones stay.'));
    if (status && status !== 'ready') h.append(el('p', 'why', 'This node is ' + status + '.'));
    return h;
  }

  /* Which of these tasks to show, and how many were hidden by the toggle. */
  function pick(tasks, match, stats) {
    const out = [];
    for (const t of arr(tasks)) {
      if (!t || typeof t !== 'object') continue;
      const running = str(t.desired_state) === 'running';
      if (running) stats.total++;
      if (match && !match(t.service, t.stack)) continue;
      if (!running && !view.all) {
        stats.hidden++;
        continue;
      }
      if (running) stats.shown++;
      out.push(t);
    }
    return out;
  }

  /* A column: a cached section whose head and list are reconciled. */
  function column(next, key, cls, headSig, buildHead, items, countText, emptyText) {
    let c = cache.nodes.get(key);
    if (!c) c = { sec: el('section', cls), list: el('ul', 'tasks'), count: el('p', 'count'), headSig: null, head: null };
    if (c.headSig !== headSig) {
      c.head = buildHead(c.sec);
      c.headSig = headSig;
    }
    next.nodes.set(key, c);
    if (c.count.textContent !== countText) c.count.textContent = countText;
    reconcile(c.list, items);
    const kids = [c.head, c.count];
    if (items.length) kids.push(c.list);
    else if (emptyText) {
      c.empty = c.empty || el('p', 'none');
      if (c.empty.textContent !== emptyText) c.empty.textContent = emptyText;
      kids.push(c.empty);
    }
    reconcile(c.sec, kids);
    return c.sec;
  }

  function renderSwarm(next) {
    const match = matcher();
    const stats = { total: 0, shown: 0, hidden: 0 };
    const nodes = arr(model.nodes).filter((n) => n && typeof n === 'object');
    const cols = [];
    for (const n of nodes) {
      const key = 'n:' + (str(n.id) || str(n.hostname));
      const tasks = pick(n.tasks, match, stats);
      const items = tasks.map((t) => taskEl(next, t, key));
      const sig = JSON.stringify([n.hostname, n.role, n.leader, n.status, n.availability,
        n.engine_version, n.cpus, n.memory_bytes, n.addr, n.labels]);
      cols.push(column(next, key, 'node', sig, (sec) => {
        sec.dataset.role = str(n.role);
        sec.dataset.status = str(n.status);
        sec.dataset.availability = str(n.availability);
        sec.classList.toggle('leader', !!n.leader);
        return nodeHead(n);
      }, items, plural(items.length, 'task'), match ? 'No matching task here.' : 'No task here.'));
    }
    const un = pick(model.unassigned, match, stats);
    /* Many nodes: compact cards, so 50 nodes fit in a few screens. */
    app.classList.toggle('dense', nodes.length > 8);
    const blocks = [servicesBar(next), summary(next, plural(nodes.length, 'node'), stats, 'task', 'stopped or failed task',
      arr(model.services).length || stats.total ? '' : 'no service yet: try docker stack deploy or docker service create')];
    if (un.length) {
      blocks.push(column(next, 'unassigned', 'node unassigned', 'u', () => {
        const h = el('header', 'nh');
        h.append(el('h2', 'host', 'Not on a node yet'));
        h.append(el('p', 'why', 'The scheduler has not placed these tasks; the reason is on each card.'));
        return h;
      }, un.map((t) => taskEl(next, t, 'u')), plural(un.length, 'task')));
    }
    const grid = keyedBlock(next, 'grid', 'div', 'grid');
    reconcile(grid, cols);
    if (!nodes.length) blocks.push(keyedBlock(next, 'nonodes', 'p', 'empty', 'The swarm reports no node.'));
    else blocks.push(grid);
    setToggleText('Show stopped and failed tasks', 'Filter service or stack  ( / )');
    return blocks;
  }

  /* A long-lived block of the page (created once, reused). */
  function keyedBlock(next, key, tag, cls, text) {
    let c = cache.blocks.get(key);
    if (!c) c = { el: el(tag, cls, text) };
    next.blocks.set(key, c);
    return c.el;
  }

  /* The controls' words, which differ between swarm and containers. */
  function setToggleText(text, hint) {
    const t = $('show-all-text');
    if (t.textContent !== text) t.textContent = text;
    if (filterBox.placeholder !== hint) filterBox.placeholder = hint;
  }

  /* The line that says what is shown: counts, the filter, hidden tasks. */
  function summary(next, first, stats, what, hiddenWhat, hint) {
    const p = keyedBlock(next, 'summary', 'p', 'summary');
    const parts = [first];
    if (view.q) parts.push(stats.shown + ' of ' + plural(stats.total, what) + ' match “' + view.q + '”');
    else parts.push(plural(stats.total, what) + ' meant to run');
    if (stats.hidden) parts.push(plural(stats.hidden, hiddenWhat) + ' hidden');
    if (hint) parts.push(hint);
    const text = parts.join(' · ');
    if (p.textContent !== text) p.textContent = text;
    return p;
  }
  /* The services as coloured chips: a legend, and a quick filter. */
  function servicesBar(next) {
    const services = arr(model.services).filter((s) => s && typeof s === 'object');
    const sig = JSON.stringify(services.map((s) => [s.name, s.stack, s.mode, s.replicas, s.running]));
    const nav = keyed(cache.blocks, next.blocks, 'services', sig, () => {
      const n = el('nav', 'services');
      n.setAttribute('aria-label', 'Services');
      const ul = el('ul');
      for (const s of services) {
        const li = el('li');
        const b = el('button', 'chip');
        b.type = 'button';
        const name = str(s.name);
        paint(b, name);
        b.dataset.name = name;
        svcName(b, name, str(s.stack));
        const running = Number(s.running) || 0;
        const want = s.mode === 'global' ? null : Number(s.replicas);
        const count = el('span', 'n', want === null ? running + ' global' : running + '/' + want);
        if (want !== null && running < want) b.classList.add('short');
        b.append(count);
        b.title = (s.stack ? 'stack ' + str(s.stack) + ', ' : '') + str(s.mode) + ' service, image ' + str(s.image) +
          (want === null ? '' : ': ' + running + ' of ' + want + ' replicas running') + '. Click to filter.';
        li.append(b);
        ul.append(li);
      }
      n.append(ul);
      return n;
    });
    for (const b of nav.querySelectorAll('button.chip')) b.setAttribute('aria-pressed', String(view.q === b.dataset.name));
    return nav;
  }

  /* Not a swarm: the engine's containers, one column per compose project. */
  function renderContainers(next) {
    const match = matcher();
    const stats = { total: 0, shown: 0, hidden: 0 };
    const groups = new Map();
    for (const c of arr(model.containers)) {
      if (!c || typeof c !== 'object') continue;
      const live = ['running', 'restarting', 'paused'].includes(str(c.state));
      if (live) stats.total++;
      if (match && !match(c.project, c.service, c.name)) continue;
      if (!live && !view.all) {
        stats.hidden++;
        continue;
      }
      if (live) stats.shown++;
      const p = str(c.project);
      if (!groups.has(p)) groups.set(p, []);
      groups.get(p).push(c);
    }
    const names = [...groups.keys()].sort((a, b) => (a === '') - (b === '') || a.localeCompare(b));
    const cols = names.map((p) => {
      const list = groups.get(p).sort((a, b) => str(a.name).localeCompare(str(b.name)));
      const items = list.map((c) => {
        const sig = JSON.stringify([c.name, c.image, c.state, c.status, c.service, c.created, p]);
        return keyed(cache.tasks, next.tasks, 'c:' + str(c.id) + str(c.name), sig, () => containerCard(c));
      });
      return column(next, 'p:' + p, 'node project', p, () => {
        const h = el('header', 'nh');
        h.append(el('h2', 'host', p || 'Not in a compose project'));
        if (p) {
          const b = el('div', 'badges');
          b.append(badge('role', 'compose project'));
          h.append(b);
        }
        return h;
      }, items, plural(items.length, 'container'));
    });
    app.classList.toggle('dense', arr(model.containers).length > 40);
    const blocks = [summary(next, plural(names.length, 'project'), stats, 'container', 'stopped container')];
    const grid = keyedBlock(next, 'grid', 'div', 'grid');
    reconcile(grid, cols);
    blocks.push(cols.length ? grid : keyedBlock(next, 'nocont', 'p', 'empty',
      match || stats.hidden ? 'No container to show with this filter and toggle.' : 'This engine runs no container.'));
    setToggleText('Show stopped containers', 'Filter project, service, name  ( / )');
    return blocks;
  }

  function containerCard(c) {
    const li = el('li', 'task');
    const name = str(c.name).replace(/^\//, '') || str(c.id);
    const project = str(c.project);
    /* Coloured like the same service deployed as a stack (project_service). */
    paint(li, c.service ? (project ? project + '_' : '') + str(c.service) : name);
    li.dataset.state = str(c.state);
    if (!['running', 'restarting', 'paused'].includes(str(c.state))) li.classList.add('stopped');
    const top = el('div', 'name');
    svcName(top, name, project);
    if (c.service) top.append(el('span', 'stack', 'service ' + str(c.service)));
    li.append(top);
    if (c.image) li.append(el('div', 'image', c.image));
    const st = el('div', 'st');
    st.append(el('span', 'state', c.state || 'unknown'));
    if (c.status) st.append(' ', el('span', 'status', c.status));
    const created = Date.parse(str(c.created));
    if (Number.isFinite(created)) st.title = 'created ' + new Date(created).toLocaleString();
    li.append(st);
    return li;
  }

  function renderFoot() {
    const eng = model.engine || {};
    const parts = [];
    if (eng.version) parts.push('Docker engine ' + str(eng.version) + (eng.api_version ? ' (API ' + str(eng.api_version) + ')' : ''));
    const gen = Date.parse(str(model.generated_at));
    if (Number.isFinite(gen)) parts.push('model of ' + new Date(gen).toLocaleTimeString());
    const text = parts.join(' · ');
    if (foot.firstChild && foot.firstChild.textContent === text) return;
    const a = el('a', null, 'api/state');
    a.href = 'api/state';
    reconcile(foot, [el('span', null, text + (text ? ' · ' : '') + 'the same as JSON: '), a]);
  }

  /* --- wiring --------------------------------------------------------------- */

  filterBox.addEventListener('input', () => {
    /* The first key of a burst of typing makes a history entry, the next
     * ones update it: Back returns to the filter before the burst. */
    view.q = filterBox.value;
    saveUrl(!typing);
    clearTimeout(typing);
    typing = setTimeout(() => (typing = null), 1000);
    schedule();
  });
  let typing = null;
  filterBox.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && filterBox.value) {
      filterBox.value = '';
      filterBox.dispatchEvent(new Event('input'));
    }
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
    schedule();
  });
  app.addEventListener('click', (e) => {
    const chip = e.target.closest && e.target.closest('button.chip');
    if (!chip) return;
    view.q = view.q === chip.dataset.name ? '' : chip.dataset.name;
    filterBox.value = view.q;
    saveUrl(true);
    schedule();
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey &&
        !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t.isContentEditable)) {
      e.preventDefault();
      filterBox.focus();
      filterBox.select();
    }
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
