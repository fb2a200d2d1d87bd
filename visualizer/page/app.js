/* SPDX-License-Identifier: Apache-2.0 */
/* The visualizer page (docs/visualizer-api.md): draws the model, kept live
 * by Server-Sent Events (api/events) or, without EventSource, by polling
 * api/state. Engine strings are hostile: they reach the DOM only as
 * textContent, title, dataset or dateTime; colours go through the CSSOM,
 * which the CSP allows. Rendering is keyed: only cards whose data changed
 * are rebuilt and containers are reconciled in place, so updates are cheap
 * and the scroll position and focus survive them. */
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const app = $('app'), notes = $('notes'), foot = $('foot'), conn = $('conn'), connText = $('conn-text');
  const filterBox = $('filter'), showAll = $('show-all'), bigBtn = $('projector');

  const view = { q: '', all: false, big: false }; /* What the user asked for; in the URL. */
  let model = null; /* The last model received. */
  let link = 'connecting'; /* The stream to our server: connecting, open or closed. */
  let skew = 0; /* Browser clock minus server clock (ms). */
  let lastUpdate = 0;
  let cache = { tasks: new Map(), nodes: new Map(), blocks: new Map() };

  /* Any model value as text ('' for null or missing). */
  const str = (v) => (v === null || v === undefined ? '' : String(v));
  const arr = (v) => (Array.isArray(v) ? v : []);
  const obj = (v) => v && typeof v === 'object';
  const plural = (n, one) => n + ' ' + one + (n === 1 ? '' : 's');
  const LIVE = ['running', 'restarting', 'paused']; /* Container states meant to run. */

  /* A new element with a class and text (never parsed as HTML). */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = String(text);
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

  /* A <time> with a relative time, the absolute one in its title; null
   * when iso is not a date. */
  function timeEl(iso, prefix) {
    const ms = Date.parse(str(iso));
    if (!Number.isFinite(ms)) return null;
    const t = el('time', 'ago', ago(ms));
    t.dateTime = str(iso);
    t.title = prefix + dateFmt.format(ms);
    return t;
  }

  /* Every 15 s: relative times move on, in place. */
  function tick() {
    for (const t of document.querySelectorAll('time.ago')) {
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
    let m;
    try {
      m = JSON.parse(text);
    } catch (e) {
      console.warn('visualizer: ignored an update that is not JSON', e);
      return;
    }
    if (!obj(m)) return;
    model = m;
    link = 'open';
    retry = 0;
    lastUpdate = Date.now();
    const gen = Date.parse(str(m.generated_at));
    skew = Number.isFinite(gen) ? Date.now() - gen : 0;
    schedule();
  }

  let retry = 0;
  function connect() {
    if (typeof EventSource !== 'function') return poll();
    const es = new EventSource('api/events');
    es.addEventListener('state', (ev) => accept(ev.data));
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

  function poll() {
    fetch('api/state', { cache: 'no-store' })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status))))
      .then(accept, () => {
        link = 'closed';
        schedule();
      })
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
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      try {
        render();
      } catch (e) {
        console.error('visualizer: cannot draw this model', e); /* The last picture stays. */
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
    if (model && model.version !== undefined && model.version !== 1)
      list.push(['warn', 'This page knows model version 1; the server sent version ' + str(model.version) + '.']);
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
    const blocks = blind() ? [setText(block(next, 'wait', 'p', 'empty'), 'Waiting for the Docker engine…')]
      : model.swarm === false ? renderContainers(next) : renderSwarm(next);
    cache = next;
    reconcile(app, blocks);
    renderFoot();
  }

  /* A keyed piece of DOM: build() runs only when sig changed since the
   * last render; next collects what this render used. */
  function keyed(map, next, key, sig, build) {
    if (next.has(key)) return build(); /* The same id twice in a model. */
    let c = map.get(key);
    if (!c || c.sig !== sig) c = { sig, el: build() };
    next.set(key, c);
    return c.el;
  }
  const block = (next, key, tag, cls) => keyed(cache.blocks, next.blocks, key, '', () => el(tag, cls));
  const setText = (e, text) => {
    if (e.textContent !== text) e.textContent = text;
    return e;
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

  /* A card: li.task > div.name, div.image, div.st, p.err. */
  function card(colour, state, name, stack, image) {
    const li = el('li', 'task'), top = el('div', 'name');
    paint(li, colour);
    li.dataset.state = state;
    const stacked = svcName(top, name, stack);
    li.append(top);
    if (image) li.append(el('div', 'image', image));
    return [li, top, stacked];
  }

  function taskCard(t) {
    const desired = str(t.desired_state);
    const [li, top, stacked] = card(str(t.service), str(t.state), str(t.service), str(t.stack), t.image);
    li.dataset.desired = desired;
    if (desired !== 'running') li.classList.add('stopped');
    if (t.slot !== null && t.slot !== undefined) top.append(el('span', 'slot', '.' + t.slot));
    if (t.stack && !stacked) top.append(el('span', 'stack', 'stack ' + t.stack));
    const st = el('div', 'st'), state = el('span', 'state', t.state || 'unknown');
    state.title = 'current state: ' + str(t.state) + '; desired state: ' + desired + (t.message ? '; ' + t.message : '');
    st.append(state);
    if (desired !== str(t.state)) st.append(el('span', 'desired', '→ ' + desired));
    const since = timeEl(t.since, 'since ');
    if (since) st.append(' ', since);
    li.append(st);
    if (t.error) li.append(el('p', 'err', t.error));
    return li;
  }

  const taskKey = (t, where) => str(t.id) || where + '/' + str(t.service) + '/' + str(t.slot);
  const taskEl = (next, t, where) => keyed(cache.tasks, next.tasks, taskKey(t, where),
    JSON.stringify([t.service, t.stack, t.image, t.slot, t.state, t.desired_state, t.since, t.message, t.error]),
    () => taskCard(t));

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
      if (!running && !view.all) {
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
  function column(next, key, cls, headSig, buildHead, items, countText, emptyText) {
    const c = cache.nodes.get(key) || { sec: el('section', cls), list: el('ul', 'tasks'), count: el('p', 'count') };
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
    reconcile(c.sec, kids);
    return c.sec;
  }

  function renderSwarm(next) {
    const match = matcher(), stats = { total: 0, shown: 0, hidden: 0 };
    const nodes = arr(model.nodes).filter(obj), cols = [];
    /* Thousands of new cards at once would freeze the page: past a time
     * budget the remaining nodes keep their previous column (or wait),
     * the next frame goes on, and aria-busy stays true until done. */
    const deadline = performance.now() + 30;
    let incomplete = false;
    for (const n of nodes) {
      const key = 'n:' + (str(n.id) || str(n.hostname));
      const tasks = pick(n.tasks, match, stats);
      if (performance.now() > deadline) {
        incomplete = true;
        const old = cache.nodes.get(key);
        if (old) {
          next.nodes.set(key, old);
          cols.push(old.sec);
          for (const t of tasks) if (cache.tasks.has(taskKey(t, key))) next.tasks.set(taskKey(t, key), cache.tasks.get(taskKey(t, key)));
        }
        continue;
      }
      const sig = JSON.stringify([n.hostname, n.role, n.leader, n.status, n.availability, n.engine_version,
        n.cpus, n.memory_bytes, n.addr, n.labels]);
      cols.push(column(next, key, 'node', sig, (sec) => {
        sec.dataset.role = str(n.role);
        sec.dataset.status = str(n.status);
        sec.dataset.availability = str(n.availability);
        return nodeHead(n);
      }, tasks.map((t) => taskEl(next, t, key)), plural(tasks.length, 'task'), match ? 'No matching task here.' : 'No task here.'));
    }
    const un = pick(model.unassigned, match, stats);
    /* Compact cards for many nodes or tasks: 50 nodes in a few screens. */
    app.classList.toggle('dense', nodes.length > 8 || stats.shown > 80);
    const blocks = [servicesBar(next), summary(next, plural(nodes.length, 'node'), stats, 'task', 'stopped or failed task',
      arr(model.services).length || stats.total ? '' : 'no service yet: try docker stack deploy or docker service create')];
    if (un.length)
      blocks.push(column(next, 'unassigned', 'node unassigned', 'u', () => {
        const h = el('header', 'nh');
        h.append(el('h2', 'host', 'Not on a node yet'),
          el('p', 'why', 'The scheduler has not placed these tasks; the reason is on each card.'));
        return h;
      }, un.map((t) => taskEl(next, t, 'u')), plural(un.length, 'task')));
    const grid = block(next, 'grid', 'div', 'grid');
    reconcile(grid, cols);
    blocks.push(nodes.length ? grid : setText(block(next, 'none', 'p', 'empty'), 'The swarm reports no node.'));
    words('Show stopped and failed tasks', 'Filter service or stack  ( / )');
    if (incomplete) schedule();
    app.setAttribute('aria-busy', String(incomplete));
    return blocks;
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

  /* The services as coloured chips: a legend, and a one-click filter. */
  function servicesBar(next) {
    const services = arr(model.services).filter(obj);
    const sig = JSON.stringify(services.map((s) => [s.name, s.stack, s.mode, s.replicas, s.running, s.image]));
    const nav = keyed(cache.blocks, next.blocks, 'services', sig, () => {
      const n = el('nav', 'services'), ul = el('ul');
      n.setAttribute('aria-label', 'Services');
      for (const s of services) {
        const b = el('button', 'chip'), name = str(s.name);
        const running = Number(s.running) || 0, want = s.mode === 'global' ? null : Number(s.replicas);
        b.type = 'button';
        b.dataset.name = name;
        paint(b, name);
        svcName(b, name, str(s.stack));
        b.append(el('span', 'n', want === null ? running + ' global' : running + '/' + want));
        if (want !== null && running < want) b.classList.add('short');
        b.title = (s.stack ? 'stack ' + s.stack + ', ' : '') + str(s.mode) + ' service, image ' + str(s.image) +
          (want === null ? '' : ': ' + running + ' of ' + want + ' replicas running') + '. Click to filter.';
        const li = el('li');
        li.append(b);
        ul.append(li);
      }
      n.append(ul);
      return n;
    });
    for (const b of nav.querySelectorAll('.chip')) b.setAttribute('aria-pressed', String(view.q === b.dataset.name));
    return nav;
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
  app.addEventListener('click', (e) => {
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
