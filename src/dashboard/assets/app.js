// rsmlab's one page: the live cluster (and a simulated run) with its fault controls, and the trace
// viewer (space-time diagram on a canvas, linearizability view). Plain browser JavaScript, no
// libraries, nothing loaded from elsewhere: the server (src/dashboard/server.ts) or the
// self-contained file (`rsmlab view --html`) provides the config and the data.
'use strict';
(function () {
  const config = JSON.parse(document.getElementById('rsmlab-config').textContent);
  const token = config.token || new URLSearchParams(location.hash.slice(1)).get('token') || '';
  const root = document.getElementById('app');

  /** h('div.cls', {attrs}, ...children): a DOM element. */
  function h(spec, attrs, ...children) {
    const [tag, ...classes] = spec.split('.');
    const el = document.createElement(tag || 'div');
    if (classes.length) el.className = classes.join(' ');
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
    return el;
  }

  function short(text, n) {
    return text.length > n ? `${text.slice(0, n - 1)}…` : text;
  }

  // ---- the live page ---------------------------------------------------------------------

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-rsmlab-token': token }, body: JSON.stringify(body) });
    const answer = await res.json();
    if (!res.ok) throw new Error(answer.error || res.statusText);
    return answer;
  }

  function startLive() {
    const cards = new Map();
    const stream = h('div.stream', { id: 'stream' });
    const messages = h('div.messages.stream', { id: 'messages' });
    const clientOps = h('pre', { id: 'client-ops' });
    const totals = h('span.meta', { id: 'totals' });
    const conn = h('span.meta', { id: 'connection', text: 'connecting…' });
    const status = h('span.meta', { id: 'action-status' });
    const nodes = h('div.nodes', { id: 'nodes' });
    const flow = messageFlow();
    const header = h('header', {}, h('h1', { id: 'title', text: 'rsmlab' }), totals, conn, status);
    if (config.mode === 'sim') header.append(playerBar());
    root.append(
      header,
      h('div.live', {}, h('div.main', {}, h('div.panel.flow', {}, h('h3', { text: 'Messages between nodes (recent)' }), flow.canvas), nodes), h('div.side', {}, h('div.panel', {}, h('h3', { text: 'Event stream' }), stream), h('div.panel', {}, h('h3', { text: 'Messages (rate-limited)' }), messages), h('div.panel', {}, h('h3', { text: 'Last client operations' }), clientOps))),
    );

    /** The last action's answer: one line that never wraps (the cards below would jump under the mouse); the whole of it in its tooltip. */
    function say(text) {
      status.textContent = text;
      status.title = text;
    }

    async function act(body) {
      try {
        const answer = await post('/api/control', body);
        say(`${body.action} ${body.node}: ${JSON.stringify(answer)}`);
        return answer;
      } catch (e) {
        say(`${body.action} ${body.node} failed: ${e.message}`);
        return null;
      }
    }

    /**
     * The sent messages neither delivered nor dropped yet, when there are any: in flight, or lost with
     * a link to a node that went down (a real node discards what it queued for a peer it cannot
     * reach). Duplicates can make delivered outrun sent; then nothing is said.
     */
    function neitherText({ sent, delivered, dropped }) {
      const neither = sent - delivered - dropped;
      return neither > 0 ? `, ${neither} neither (in flight, or lost on a link to a node that went down)` : '';
    }

    /** Each node's last crash as the event stream told it (`reason=faultPoint name=…`), until it starts again: a down card says why. */
    const crashes = new Map();
    function noteDeath(e) {
      if (e.kind === 'crash') crashes.set(e.node, e.text);
      else if (e.kind === 'start' || e.kind === 'restart') crashes.delete(e.node);
    }

    function card(node) {
      const el = h('div.card', { 'data-node': node });
      const title = h('h2', {}, h('span.node-id', { text: node }), h('span.badge.up-down'), h('span.badge.role'), h('span.badge.warn.flags'), h('span.down-reason'));
      const kv = h('dl.kv');
      // The breakpoints and fault points offered are the lab's own (showSites, once a status names them).
      const bp = h('select.bp-n', { disabled: true, title: "the breakpoints this node's lab reaches" }, h('option', { value: '', text: 'breakpoints: waiting for the node' }));
      const loss = h('input.loss', { type: 'number', min: 0, max: 1, step: 0.05, value: 0, title: 'loss probability' });
      const dup = h('input.dup', { type: 'number', min: 0, max: 1, step: 0.05, value: 0, title: 'duplication probability' });
      const delay = h('input.delay', { type: 'number', min: 0, max: 600000, step: 50, value: 0, title: 'extra delay of each message, in ms' });
      const methods = h('input.methods', { type: 'text', placeholder: 'every method', title: "Strike only these RPC methods' messages (requests and replies), comma-separated, e.g. rsm.invoke to slow client requests while heartbeats and Paxos run on time. Empty: every message." });
      const point = h('select.fault-point', { title: "the named fault points this node's lab reaches" });
      const file = h('select.disk-file', {}, h('option', { value: '', text: '(files)' }));
      const kind = h('select.disk-kind', {}, ['corrupt', 'corrupt-read', 'corrupt-write', 'misdirect', 'lost-write'].map((k) => h('option', { value: k, text: k })));
      const offset = h('input.disk-offset', { type: 'number', min: 0, value: 0, title: 'offset' });
      const length = h('input.disk-length', { type: 'number', min: 1, value: 16, title: 'length' });
      // What an armed kind also takes (rsmlab ctl disk-fault's --count, --latent, --to), shown only with a kind that takes it.
      const count = h('input.disk-count', { type: 'number', min: 1, value: 1, title: 'how many of the next IOs on those sectors the fault strikes' });
      const latent = h('input.disk-latent', { type: 'checkbox', title: 'a latent error: every read of those sectors fails until they are written again' });
      const to = h('input.disk-to', { type: 'number', min: 0, value: 0, title: 'the offset a misdirected write lands at' });
      const armedFields = [
        [h('label.disk-count-label', { text: 'count' }), count, (k) => k !== 'corrupt'],
        [h('label.disk-latent-label', { text: 'latent' }), latent, (k) => k === 'corrupt-read'],
        [h('label.disk-to-label', { text: 'to' }), to, (k) => k === 'misdirect'],
      ];
      const showArmedFields = () => {
        for (const [label, field, takes] of armedFields) label.hidden = field.hidden = !takes(kind.value);
      };
      kind.addEventListener('change', showArmedFields);
      showArmedFields();
      const diskFault = () => {
        const fault = { kind: kind.value, file: file.value, offset: Number(offset.value), length: Number(length.value) };
        if (!count.hidden) fault.count = Number(count.value);
        if (!latent.hidden && latent.checked) fault.latent = true;
        if (!to.hidden) fault.to = Number(to.value);
        return act({ action: 'diskFault', node, fault });
      };
      // The node's files, listed when its card first sees it up and again on ↻ (a silent list: no action status).
      const listFiles = async (answer) => {
        if (!answer) return;
        const chosen = file.value;
        file.replaceChildren(...answer.files.map((f) => h('option', { value: f.name, text: `${f.name} (${f.size} B)` })));
        if (answer.files.some((f) => f.name === chosen)) file.value = chosen;
        el.dataset.filesListed = 'true';
      };
      el.listFiles = () => post('/api/control', { action: 'diskFiles', node }).then(listFiles, () => undefined);
      const button = (cls, text, run) => h(`button.${cls}`, { text, onclick: run });
      // Typing in a link-fault field stops it following the node's settings (showFaults) until Set.
      for (const field of [loss, dup, delay, methods]) field.addEventListener('input', () => (el.dataset.faultsEdited = 'true'));
      // A refused Set keeps what was typed (the fields go on ignoring the node's settings) so that it can be fixed and set again.
      const setFaults = async () => {
        const answer = await act({ action: 'netFaults', node, loss: Number(loss.value), dup: Number(dup.value), delayMs: Number(delay.value), methods: methodList(methods.value) });
        if (answer !== null) delete el.dataset.faultsEdited;
      };
      el.append(
        title,
        kv,
        h('div.controls', {}, button('kill.danger', 'Kill', () => act({ action: 'crash', node })), button('restart', 'Restart', () => act({ action: 'restart', node })), button('partition', 'Partition', () => act({ action: 'partition', node, now: true })), button('heal', 'Heal', () => act({ action: 'heal', node }))),
        h('div.controls', {}, bp, h('button.arm-bp', { text: 'Arm', disabled: true, onclick: () => act({ action: 'breakpoint', node, n: Number(bp.value) }) }), h('span.fault-points', { hidden: true }, point, button('arm-fp', 'Arm', () => act({ action: 'faultPoint', node, name: point.value })))),
        h('div.controls', {}, h('label', { text: 'loss' }), loss, h('label', { text: 'dup' }), dup, h('label', { text: 'delay' }), delay, h('label', { text: 'ms' })),
        h('div.controls', {}, h('label', { text: 'only on methods' }), methods, button('set-faults', 'Set', setFaults)),
        h(
          'div.controls',
          {},
          file,
          button('disk-refresh', '↻', async () => listFiles(await act({ action: 'diskFiles', node }))),
          kind,
          h('label', { text: 'offset' }),
          offset,
          h('label', { text: 'length' }),
          length,
          ...armedFields.flatMap(([label, field]) => [label, field]),
          button('disk-fault', 'Inject', diskFault),
          h('button.disk-clear', { text: 'Clear', title: "drop the armed faults and latent errors of the chosen file (rsmlab ctl … disk-clear FILE); they outlive restarts", onclick: () => act({ action: 'clearDiskFaults', node, ...(file.value !== '' && { file: file.value }) }) }),
        ),
        h('div.section-title', { text: 'log tail' }),
        h('pre.log-tail'),
        h('div.section-title', { text: 'last client requests' }),
        h('pre.client-requests'),
      );
      nodes.append(el);
      return el;
    }

    /**
     * Offer on a node's card only the fault sites its lab reaches (status.sites): its breakpoints (the
     * select disabled, saying so, when it has none: showUsable) and its named fault points (hidden when none).
     * A down node's status names none; the card keeps what it was shown.
     */
    function showSites(el, sites) {
      if (!sites) return;
      const key = JSON.stringify(sites);
      if (el.dataset.sites === key) return;
      el.dataset.sites = key;
      const none = sites.breakpoints.length === 0;
      el.querySelector('select.bp-n').replaceChildren(...(none ? [h('option', { value: '', text: 'no breakpoints in this lab' })] : sites.breakpoints.map((n) => h('option', { value: n, text: `breakpoint ${n}` }))));
      el.dataset.breakpoints = none ? 'none' : 'some';
      el.querySelector('select.fault-point').replaceChildren(...sites.faultPoints.map((p) => h('option', { value: p, text: p })));
      el.querySelector('.fault-points').hidden = sites.faultPoints.length === 0;
    }

    /**
     * Disable the card's controls the node cannot take as it is, as the server refuses them
     * (src/dashboard/live.ts upOrDownProblem, lifecycleProblem): Kill when down, Restart when up,
     * both when the page did not start the nodes (rsmlab dashboard --members), and every other one
     * when a real node is down (its control plane went with its process). The breakpoint controls
     * also wait for a lab that offers breakpoints (showSites).
     */
    function showUsable(el, alive, world, owned) {
      const gone = !alive && world === 'real';
      el.querySelector('button.kill').disabled = !alive || !owned;
      el.querySelector('button.restart').disabled = alive || !owned;
      const notOwned = owned ? '' : 'this dashboard did not start the nodes: kill and restart them where they were started';
      for (const button of el.querySelectorAll('button.kill, button.restart')) button.title = notOwned;
      for (const control of el.querySelectorAll('.controls :is(button, select, input):not(.kill, .restart)')) {
        control.disabled = gone || (control.matches('.bp-n, .arm-bp') && el.dataset.breakpoints !== 'some');
      }
    }

    /** The methods field as `rsmlab ctl faults --methods` reads it: comma-separated, '' for every method (the server checks each name). */
    function methodList(text) {
      return text.trim() === '' ? [] : text.split(',').map((m) => m.trim());
    }

    /**
     * The link-fault fields show the node's own settings (set from another page, or with rsmlab ctl),
     * so that Set changes what was asked and keeps the rest; a field being edited is left alone.
     */
    function showFaults(el, f) {
      if (el.dataset.faultsEdited === 'true') return;
      el.querySelector('.loss').value = String(f.loss);
      el.querySelector('.dup').value = String(f.dup);
      el.querySelector('.delay').value = String(f.delayMs);
      el.querySelector('.methods').value = (f.methods ?? []).join(', ');
    }

    /** A node's link faults for its card's flags: only those set, and the methods they strike when not every one. */
    function faultFlags(f) {
      return [f.loss ? `loss ${f.loss}` : '', f.dup ? `dup ${f.dup}` : '', f.delayMs ? `delay ${f.delayMs} ms` : '', f.methods ? `on ${f.methods.join(' + ')} only` : ''];
    }

    /** What an empty client panel says: why no client operation will show (LiveUpdate.clientless), or that none has yet. */
    function noClientsYet(u) {
      return u.clientless ? `(none: ${u.clientless})` : '(none yet)';
    }

    function render(u) {
      document.getElementById('title').textContent = `rsmlab — ${u.title}`;
      totals.textContent = `messages: ${u.totals.sent} sent, ${u.totals.delivered} delivered, ${u.totals.dropped} dropped${neitherText(u.totals)}`;
      u.stream.forEach(noteDeath);
      for (const n of u.nodes) {
        const id = n.status.node;
        const el = cards.get(id) || cards.set(id, card(id)).get(id);
        const s = n.summary;
        showSites(el, n.status.sites);
        showUsable(el, n.status.alive, u.world, u.owned);
        el.classList.toggle('down', !n.status.alive);
        el.querySelector('.up-down').textContent = n.status.alive ? 'up' : 'down';
        el.querySelector('.up-down').className = `badge up-down ${n.status.alive ? 'up' : 'down'}`;
        el.querySelector('.down-reason').textContent = n.status.alive ? '' : crashes.has(id) ? `crashed: ${crashes.get(id)}` : 'not answering';
        const role = el.querySelector('.role');
        role.textContent = s.role;
        role.className = `badge role ${s.role}`;
        role.hidden = !n.status.alive;
        const flags = [n.status.partitioned ? 'partitioned' : '', n.status.partitionArmed ? 'partition armed' : '', n.status.peersOnly ? 'peers only' : '', ...n.status.breakpoints.map((b) => `bp ${b}`), ...n.status.faultPoints.map((p) => `fp ${p}`), ...faultFlags(n.status.faults)].filter(Boolean);
        el.querySelector('.flags').textContent = flags.join(', ');
        el.querySelector('.flags').hidden = flags.length === 0;
        if (n.status.alive) showFaults(el, n.status.faults);
        if (n.status.alive && el.dataset.filesListed !== 'true' && !el.dataset.filesAsked) {
          el.dataset.filesAsked = 'true';
          el.listFiles().finally(() => delete el.dataset.filesAsked);
        }
        el.querySelector('.kv').replaceChildren(
          h('dt', { text: 'view' }),
          h('dd.view', { text: s.view === null ? '-' : String(s.view) }),
          h('dt', { text: 'members' }),
          h('dd.members', { text: s.members.join(', ') || '-' }),
          h('dt', { text: 'primary' }),
          h('dd.primary', { text: s.primary || '-' }),
          h('dt', { text: 'op / commit' }),
          h('dd.op', { text: `${s.op ?? '-'} / ${s.commit ?? '-'}` }),
          ...(s.status ? [h('dt', { text: 'status' }), h('dd.status', { text: s.status })] : []),
          ...(s.log.length ? [h('dt', { text: 'log' }), h('dd', {}, h('pre.replica-log', { text: s.log.join('\n') }))] : []),
        );
        el.querySelector('.log-tail').textContent = n.logTail.join('\n');
        el.querySelector('.client-requests').textContent = n.clientRequests.map((r) => short(r, 90)).join('\n') || noClientsYet(u);
      }
      for (const e of u.stream) stream.prepend(h(`div.${e.kind}`, { text: `${(e.t / 1000).toFixed(1)}s ${e.node} ${e.kind}: ${e.text}` }));
      while (stream.childElementCount > 300) stream.lastChild.remove();
      flow.add(u.messages, u.nodes.map((n) => n.status.node));
      for (const m of u.messages) messages.prepend(h('div', { text: `${m.kind} ${m.msg.from} → ${m.msg.to} ${m.msg.method} ${short(m.msg.summary, 60)}` }));
      if (u.skipped > 0) messages.prepend(h('div', { text: `… ${u.skipped} more messages (rate limit)` }));
      while (messages.childElementCount > 100) messages.lastChild.remove();
      clientOps.textContent = u.clientOps.join('\n') || noClientsYet(u);
      if (u.player) renderPlayer(u.player);
    }

    fetch('/api/events')
      .then((r) => r.json())
      .then((events) => {
        for (const e of events) stream.prepend(h(`div.${e.kind}`, { text: `${(e.t / 1000).toFixed(1)}s ${e.node} ${e.kind}: ${e.text}` }));
        events.forEach(noteDeath);
      });
    function connect() {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live?token=${encodeURIComponent(token)}`);
      ws.onopen = () => (conn.textContent = 'live');
      ws.onmessage = (m) => render(JSON.parse(m.data));
      ws.onclose = () => {
        conn.textContent = 'disconnected; retrying…';
        setTimeout(connect, 1000);
      };
    }
    connect();

    function playerBar() {
      const speed = h('input', { id: 'speed', type: 'range', min: 0, max: 4, step: 1, value: 2, title: 'speed' });
      const label = h('span.meta', { id: 'sim-time' });
      const send = (body) => post('/api/player', body).then((p) => renderPlayer(p), (e) => (status.textContent = e.message));
      speed.addEventListener('change', () => send({ action: 'speed', speed: Number(speed.value) }));
      return h('div.player', {}, h('button', { id: 'play', text: '▶ play', onclick: () => send({ action: 'play' }) }), h('button', { id: 'pause', text: '❚❚ pause', onclick: () => send({ action: 'pause' }) }), h('button', { id: 'step', text: 'step', onclick: () => send({ action: 'step' }) }), h('label', { text: 'speed' }), speed, label);
    }

    function renderPlayer(p) {
      const label = document.getElementById('sim-time');
      if (label) label.textContent = `${p.playing ? 'playing' : 'paused'} at ${(p.now / 1000).toFixed(3)} s virtual, ×${p.rate}${p.done ? ` — run finished: ${p.done}` : ''}`;
    }
  }

  /**
   * The live page's message strip: one lane per node, time left to right over the last few seconds
   * of the world's clock, one arrow per message whose send and delivery both came through the rate
   * limit (a drop ends in a cross). It keeps a bounded buffer and redraws on each update.
   */
  function messageFlow() {
    const canvas = h('canvas', { id: 'flow' });
    const WINDOW = config.mode === 'sim' ? 2000 : 4000;
    const KEEP = 600;
    let events = [];
    let lanes = [];
    let arrows = [];
    const keyOf = (m) => `${m.from}|${m.id}|${m.type}`;
    function add(batch, nodeIds) {
      lanes = nodeIds;
      events = events.concat(batch).slice(-KEEP);
      const sends = new Map();
      arrows = [];
      for (const e of events) {
        if (e.kind === 'send') sends.set(keyOf(e.msg), e);
        else {
          const s = sends.get(keyOf(e.msg));
          if (s) arrows.push({ from: s.msg.from, to: e.msg.to, t0: s.t, t1: e.t, drop: e.kind === 'drop', res: e.msg.type === 'res' });
        }
      }
      draw();
    }
    function draw() {
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.parentElement ? canvas.parentElement.clientWidth - 18 : 600;
      const laneH = 26;
      const height = Math.max(1, lanes.length) * laneH + 8;
      canvas.width = width * ratio;
      canvas.height = height * ratio;
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
      const ctx = canvas.getContext('2d');
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const end = events.length ? events[events.length - 1].t : 0;
      const LEFT = 150;
      const x = (t) => LEFT + ((t - (end - WINDOW)) / WINDOW) * (width - LEFT - 6);
      const y = (node) => 4 + lanes.indexOf(node) * laneH + laneH / 2;
      ctx.font = '11px ui-monospace, Menlo, monospace';
      lanes.forEach((node) => {
        ctx.fillStyle = '#3b4652';
        ctx.fillText(short(node, 22), 4, y(node) + 4);
        ctx.strokeStyle = '#d5dae0';
        ctx.beginPath();
        ctx.moveTo(LEFT, y(node));
        ctx.lineTo(width - 4, y(node));
        ctx.stroke();
      });
      let drawn = 0;
      for (const a of arrows) {
        if (a.t1 < end - WINDOW || !lanes.includes(a.from) || !lanes.includes(a.to)) continue;
        const x1 = x(Math.max(a.t0, end - WINDOW));
        const x2 = x(a.t1) + (a.t1 === a.t0 ? 2 : 0);
        ctx.strokeStyle = a.drop ? '#c0392b' : a.res ? '#5d9cec' : '#34495e';
        ctx.beginPath();
        ctx.moveTo(x1, y(a.from));
        ctx.lineTo(x2, y(a.to));
        ctx.stroke();
        if (a.drop) ctx.strokeText('×', x2 - 3, y(a.to) + 4);
        drawn++;
      }
      canvas.dataset.arrows = String(drawn);
    }
    window.addEventListener('resize', draw);
    return { canvas, add };
  }

  // ---- the trace viewer -------------------------------------------------------------------

  const DRAWN = new Set(['send', 'deliver', 'drop', 'crash', 'start', 'restart', 'partition', 'heal', 'breakpoint', 'disk', 'faults', 'client', 'log']);
  const HEARTBEAT = /heartbeat|ping|tick/i;
  const MARK_COLOR = { crash: '#c0392b', start: '#1e8449', restart: '#1e8449', partition: '#e67e22', heal: '#16a085', breakpoint: '#8e44ad', disk: '#b9770e', faults: '#7f8c8d', client: '#1d6fd1', log: '#95a5a6' };
  const OP_COLOR = { linearized: '#58b368', ok: '#a9d8b3', failing: '#c0392b', unplaced: '#f0a35e', unchecked: '#c8ced6' };

  /**
   * The kinds the viewer filters each message event of `events` by: the parts of its label (VSR's
   * command, `prepare`; a batch's, `start_view_change+do_view_change`: both), or its method if it
   * has none. A real node's deliver and drop lines carry no label: theirs is their send's.
   */
  function messageKinds(events) {
    const sent = new Map();
    const kinds = new Map();
    for (const e of events) {
      if (!e.msg) continue;
      const key = `${e.msg.from}|${e.msg.id}|${e.msg.type}`;
      if (e.kind === 'send' && e.msg.label !== undefined) sent.set(key, e.msg.label);
      const label = e.msg.label ?? sent.get(key);
      kinds.set(e, label === undefined ? [e.msg.method] : label.split('+'));
    }
    return kinds;
  }

  function laneOf(node, clientLanes) {
    return node.startsWith('client:') && !clientLanes ? 'clients' : node;
  }

  function startViewer() {
    if (config.data) return viewer(config.data);
    fetch('/api/view')
      .then((r) => r.json())
      .then(viewer, (e) => root.append(h('div.error', { text: `could not load the trace: ${e.message}` })));
  }

  function viewer(data) {
    /** A lane's label: a real run's node by the scenario's name and its address (`p1 127.0.0.1:7002`), any other as it is. */
    const nodeNames = data.nodeNames || {};
    const laneLabel = (l) => (nodeNames[l] ? `${nodeNames[l]} ${l}` : l);
    /** Lanes in label order, numbers by value: a real run's p2 before its p10, whatever their ports. */
    const byLabel = (a, b) => laneLabel(a).localeCompare(laneLabel(b), 'en', { numeric: true });
    const state = { trace: 0, rowH: 12, cursor: null, hidden: new Set(), hiddenKinds: new Set(), collapse: true, highlight: null };
    const tip = h('div.tip', { id: 'tip' });
    const canvas = h('canvas', { id: 'diagram-canvas' });
    const spacer = h('div');
    const diagram = h('div.diagram', { id: 'diagram' }, canvas, spacer);
    const cursorPanel = h('div.panel', { id: 'cursor-panel' }, h('h3', { text: 'At the time cursor' }), h('div', { id: 'cursor-status', text: 'click the diagram to place the cursor' }));
    const linPanel = h('div.panel.lin', { id: 'lin' });
    // The notes and what failed are the trace shown's own (a shrunk run has its replay command and may fail a little differently).
    const notesOf = (trace) => (trace.notes !== undefined ? trace.notes : data.notes);
    const failureOf = (trace) => (trace.failure !== undefined ? trace.failure : data.failure);
    const notesText = h('pre.notes', { id: 'notes' });
    const notes = h('div.panel', {}, h('h3', { text: 'Notes' }), notesText);
    // A simulated run's fault decisions (the ones a shrunk run kept, for a shrunk trace): counted by kind, listed when opened.
    const decisionsCount = h('div', { id: 'decisions-count' });
    const decisionsText = h('pre.notes', { id: 'decisions' });
    const decisions = h('div.panel', { id: 'decisions-panel' }, h('h3', { text: 'Fault decisions' }), decisionsCount, h('details', {}, h('summary', { text: 'every one, in order' }), decisionsText));
    // What failed, first: a failing run stops where it failed, so its last event is the place to start reading.
    const failureText = h('pre.notes');
    const failurePanel = data.traces.some((t) => failureOf(t))
      ? h('div.panel.failure', { id: 'failure' }, h('h3', { text: 'What failed' }), failureText, h('button', { id: 'to-failure', text: 'go to the end of the run, where it failed', onclick: () => jumpToEnd() }))
      : null;
    const toolbar = h('div.toolbar', { id: 'toolbar' });
    const cursorInput = h('input', { id: 'cursor', type: 'range', min: 0, max: 0, value: 0, title: 'time cursor' });
    root.classList.add('viewer-page');
    root.append(h('header', {}, h('h1', { text: `rsmlab trace viewer — ${data.title}` }), h('span.meta', { id: 'counts' })), toolbar, h('div.viewer', {}, diagram, h('div.side', {}, failurePanel, cursorPanel, linPanel, notes, decisions)), tip);

    let model;
    /** The kinds of a message event of the trace shown (messageKinds()), made once per trace. */
    let kindsOf;
    const traceKinds = new Map();
    function kindsIn(trace) {
      if (!traceKinds.has(trace)) traceKinds.set(trace, messageKinds(trace.events));
      const kinds = traceKinds.get(trace);
      return (e) => kinds.get(e);
    }
    /** Times from the trace's first event (a real trace's are wall-clock ms since 1970). */
    const rel = (t) => t - model.t0;
    function build() {
      const trace = data.traces[state.trace];
      const events = trace.events;
      const clientNodes = new Set(events.filter((e) => e.node.startsWith('client:')).map((e) => e.node));
      const clientLanes = clientNodes.size <= 4;
      const laneNames = [];
      const laneIndex = new Map();
      const addLane = (name) => {
        if (!laneIndex.has(name)) laneIndex.set(name, laneNames.push(name) - 1);
      };
      [...new Set(events.filter((e) => e.node !== '*' && !e.node.startsWith('client:')).map((e) => e.node))].sort(byLabel).forEach(addLane);
      [...clientNodes].sort().forEach((n) => addLane(laneOf(n, clientLanes)));
      kindsOf = kindsIn(trace);
      const messageKinds = [...new Set(events.filter((e) => e.msg).flatMap(kindsOf))].sort();
      const lanes = laneNames.filter((l) => !state.hidden.has(l));
      const visibleLane = new Map(lanes.map((l, i) => [l, i]));
      const rows = [];
      const rowOfSeq = new Map();
      const sends = new Map();
      const arrows = [];
      let hiddenBeats = 0;
      const keyOf = (m) => `${m.from}|${m.id}|${m.type}`;
      for (const e of events) {
        if (!DRAWN.has(e.kind)) continue;
        if (e.msg) {
          if (kindsOf(e).every((k) => state.hiddenKinds.has(k))) continue;
          if (state.collapse && HEARTBEAT.test(e.msg.method)) {
            if (e.kind === 'send') hiddenBeats++;
            continue;
          }
        }
        const lane = visibleLane.get(laneOf(e.node, clientLanes));
        if (e.kind === 'deliver' || e.kind === 'drop') {
          const from = visibleLane.get(laneOf(e.msg.from, clientLanes));
          const to = visibleLane.get(laneOf(e.msg.to, clientLanes));
          const send = e.cause !== undefined && rowOfSeq.has(e.cause) ? sends.get(e.cause) : sends.get(keyOf(e.msg));
          if (from === undefined || to === undefined) continue;
          rowOfSeq.set(e.seq, rows.length);
          rows.push({ e, lane: e.kind === 'drop' ? to : lane === undefined ? to : lane });
          if (send) {
            const dup = send.delivered > 0 && e.kind === 'deliver';
            if (e.kind === 'deliver') send.delivered++;
            arrows.push({ from, to, start: send.row, end: rows.length - 1, e, send: send.e, kind: e.kind === 'drop' ? 'drop' : dup ? 'dup' : 'deliver' });
          }
          continue;
        }
        if (lane === undefined) continue;
        rowOfSeq.set(e.seq, rows.length);
        if (e.kind === 'send') {
          const s = { row: rows.length, e, delivered: 0 };
          sends.set(e.seq, s);
          sends.set(keyOf(e.msg), s);
        }
        rows.push({ e, lane });
      }
      arrows.sort((a, b) => a.start - b.start);
      const LONG = 400;
      model = { t0: events.length ? events[0].t : 0, trace, events, lanes, laneNames, messageKinds, rows, rowOfSeq, arrows, long: arrows.filter((a) => a.end - a.start > LONG), LONG, hiddenBeats, clientLanes };
      document.getElementById('counts').textContent = `${events.length} events, ${rows.length} drawn, ${arrows.length} messages${hiddenBeats ? `, ${hiddenBeats} heartbeats collapsed` : ''}`;
      notesText.textContent = notesOf(trace) || '(none)';
      showDecisions(trace.decisions);
      if (failurePanel) (failureText.textContent = failureOf(trace)), (failurePanel.hidden = !failureOf(trace));
      cursorInput.max = String(Math.max(0, rows.length - 1));
      buildToolbar(); // first: the lines it wraps to decide the diagram's height
      layout();
      buildLin();
      draw();
    }

    function buildToolbar() {
      const traceSelect = data.traces.length > 1 ? h('select', { id: 'trace-select', onchange: (ev) => ((state.trace = Number(ev.target.value)), build()) }, data.traces.map((t, i) => h('option', { value: i, text: t.name, selected: i === state.trace }))) : null;
      const zoom = h('input', { id: 'zoom', type: 'range', min: 1, max: 30, value: state.rowH, title: 'zoom' });
      zoom.addEventListener('input', () => {
        const center = (diagram.scrollTop + diagram.clientHeight / 2) / state.rowH;
        state.rowH = Number(zoom.value);
        layout();
        diagram.scrollTop = center * state.rowH - diagram.clientHeight / 2;
        draw();
      });
      const check = (id, label, checked, on) => h('label', {}, h('input', { type: 'checkbox', id, checked, onchange: (ev) => on(ev.target.checked) }), ` ${label}`);
      toolbar.replaceChildren(
        ...(traceSelect ? [traceSelect] : []),
        h('label', { text: 'zoom' }),
        zoom,
        check('collapse', 'collapse heartbeats', state.collapse, (v) => ((state.collapse = v), build())),
        h('fieldset', { id: 'node-filter' }, h('span', { text: 'nodes:' }), model.laneNames.map((l) => check(`lane-${l}`, short(laneLabel(l), 24), !state.hidden.has(l), (v) => (v ? state.hidden.delete(l) : state.hidden.add(l), build())))),
        kindFilter(check),
        h('label', { text: 'time cursor' }),
        cursorInput,
      );
    }

    /**
     * One checkbox per message kind (a message shows if one of its kinds is ticked), and all/none to
     * start from every kind or from none, then tick the few to see.
     */
    function kindFilter(check) {
      const showOnly = (hidden) => ((state.hiddenKinds = new Set(hidden)), build());
      const box = (k) => check(`kind-${k}`, k, !state.hiddenKinds.has(k), (v) => (v ? state.hiddenKinds.delete(k) : state.hiddenKinds.add(k), build()));
      return h('fieldset', { id: 'kind-filter' }, h('span', { text: 'messages:' }), h('button', { id: 'kinds-all', text: 'all', onclick: () => showOnly([]) }), h('button', { id: 'kinds-none', text: 'none', onclick: () => showOnly(model.messageKinds) }), model.messageKinds.map(box));
    }

    /** A message event's method, and the kinds it carries if it has a label: `vsr.batch start_view_change+do_view_change`. */
    function methodAndKinds(e) {
      const kinds = kindsOf(e);
      return kinds[0] === e.msg.method ? e.msg.method : `${e.msg.method} ${kinds.join('+')}`;
    }

    const LEFT = 70;
    const TOP = 24;
    function laneX(i) {
      const w = (diagram.clientWidth - LEFT - 20) / Math.max(1, model.lanes.length);
      return LEFT + w * (i + 0.5);
    }
    function rowY(r) {
      return TOP + r * state.rowH + state.rowH / 2;
    }

    function layout() {
      const ratio = window.devicePixelRatio || 1;
      const w = diagram.clientWidth;
      const hgt = diagram.clientHeight;
      canvas.width = w * ratio;
      canvas.height = hgt * ratio;
      canvas.style.width = `${w}px`;
      canvas.style.height = `${hgt}px`;
      spacer.style.height = `${Math.max(0, TOP + model.rows.length * state.rowH + 40 - hgt)}px`;
    }

    function visibleArrows(a, b) {
      const out = [];
      const list = model.arrows;
      let lo = 0;
      let hi = list.length;
      const from = a - model.LONG;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].start < from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < list.length && list[i].start <= b; i++) if (list[i].end >= a) out.push(list[i]);
      for (const arrow of model.long) if (arrow.start < from && arrow.end >= a) out.push(arrow);
      return out;
    }

    let pending = false;
    function draw() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        paint();
      });
    }

    function paint() {
      const ctx = canvas.getContext('2d');
      const ratio = window.devicePixelRatio || 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      const w = diagram.clientWidth;
      const hgt = diagram.clientHeight;
      const top = diagram.scrollTop;
      ctx.clearRect(0, 0, w, hgt);
      ctx.save();
      ctx.translate(0, -top);
      const a = Math.max(0, Math.floor((top - TOP) / state.rowH) - 1);
      const b = Math.min(model.rows.length - 1, Math.ceil((top + hgt) / state.rowH) + 1);
      ctx.strokeStyle = '#d5dae0';
      ctx.lineWidth = 1;
      model.lanes.forEach((_, i) => {
        ctx.beginPath();
        ctx.moveTo(laneX(i), top);
        ctx.lineTo(laneX(i), top + hgt);
        ctx.stroke();
      });
      ctx.fillStyle = '#7b8794';
      ctx.font = '10px ui-monospace, Menlo, monospace';
      let lastLabel = -Infinity;
      for (let r = a; r <= b; r++) {
        const y = rowY(r);
        if (y - lastLabel >= 40) {
          ctx.fillText(`${rel(model.rows[r].e.t)} ms`, 4, y + 3);
          lastLabel = y;
        }
      }
      drawnLabels = [];
      for (const arrow of visibleArrows(a, b)) drawArrow(ctx, arrow);
      for (let r = a; r <= b; r++) drawMark(ctx, model.rows[r], r);
      if (state.cursor !== null) {
        const y = rowY(state.cursor);
        ctx.strokeStyle = '#1d6fd1';
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(LEFT - 10, y);
        ctx.lineTo(w, y);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.restore();
      // lane names stay on top
      ctx.fillStyle = 'rgba(255,255,255,0.92)';
      ctx.fillRect(0, 0, w, TOP);
      ctx.fillStyle = '#1d232a';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      model.lanes.forEach((l, i) => ctx.fillText(short(laneLabel(l), 22), laneX(i), 15));
      ctx.textAlign = 'left';
    }

    function drawArrow(ctx, arrow) {
      const x1 = laneX(arrow.from);
      const y1 = rowY(arrow.start);
      const x2 = laneX(arrow.to);
      const y2 = rowY(arrow.end);
      const hl = state.highlight !== null && (arrow.e.seq === state.highlight || arrow.send.seq === state.highlight);
      ctx.strokeStyle = hl ? '#f1c40f' : arrow.kind === 'drop' ? '#c0392b' : arrow.kind === 'dup' ? '#8e44ad' : arrow.e.msg.type === 'res' ? '#5d9cec' : '#34495e';
      ctx.lineWidth = hl ? 3 : 1;
      ctx.setLineDash(arrow.kind === 'dup' ? [3, 3] : arrow.kind === 'drop' ? [2, 2] : []);
      const xe = arrow.kind === 'drop' ? x1 + (x2 - x1) * 0.6 : x2;
      const ye = arrow.kind === 'drop' ? y1 + (y2 - y1) * 0.6 : y2;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(xe, ye);
      ctx.stroke();
      ctx.setLineDash([]);
      if (arrow.kind === 'drop') {
        ctx.beginPath();
        ctx.moveTo(xe - 4, ye - 4);
        ctx.lineTo(xe + 4, ye + 4);
        ctx.moveTo(xe + 4, ye - 4);
        ctx.lineTo(xe - 4, ye + 4);
        ctx.stroke();
      } else {
        const angle = Math.atan2(ye - y1, xe - x1);
        ctx.beginPath();
        ctx.moveTo(xe, ye);
        ctx.lineTo(xe - 6 * Math.cos(angle - 0.4), ye - 6 * Math.sin(angle - 0.4));
        ctx.lineTo(xe - 6 * Math.cos(angle + 0.4), ye - 6 * Math.sin(angle + 0.4));
        ctx.closePath();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fill();
      }
      ctx.lineWidth = 1;
      if (state.rowH >= ARROW_LABEL_MIN_ROW && arrow.e.msg.type !== 'res' && arrow.from !== arrow.to) drawArrowLabel(ctx, arrow, x1, y1, xe, ye);
    }

    /** Rows at least this tall (the zoom) label each request's and notice's arrow with what it carries. */
    const ARROW_LABEL_MIN_ROW = 10;
    /** The labels the last draw put on arrows, for tests. */
    let drawnLabels = [];

    /** A message's label on its arrow: its kinds without the lab's prefix (`prepare`, `prepare_ok+commit`). */
    function arrowLabel(e) {
      return kindsOf(e).map((k) => k.replace(/^[a-z]+\./, '')).join('+');
    }

    /** The label near the arrow's start, on the side it goes to, in the arrow's colour: the message's name where it leaves. */
    function drawArrowLabel(ctx, arrow, x1, y1, xe, ye) {
      const text = short(arrowLabel(arrow.send), 40);
      const rightward = xe >= x1;
      ctx.font = '9px ui-monospace, Menlo, monospace';
      ctx.textAlign = rightward ? 'left' : 'right';
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(text, x1 + (xe - x1) * 0.12 + (rightward ? 3 : -3), y1 + (ye - y1) * 0.12 - 2);
      ctx.textAlign = 'left';
      drawnLabels.push(text);
    }

    function drawMark(ctx, row, r) {
      const kind = row.e.kind;
      if (kind === 'send' || kind === 'deliver' || kind === 'drop') return;
      const x = laneX(row.lane);
      const y = rowY(r);
      ctx.fillStyle = MARK_COLOR[kind] || '#7f8c8d';
      const hl = state.highlight === row.e.seq;
      if (kind === 'crash') {
        ctx.fillRect(x - 7, y - 2, 14, 4);
      } else if (kind === 'start' || kind === 'restart' || kind === 'heal') {
        ctx.fillRect(x - 7, y - 1.5, 14, 3);
      } else if (kind === 'log') {
        ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
      } else {
        ctx.beginPath();
        ctx.arc(x, y, hl ? 6 : 4, 0, Math.PI * 2);
        ctx.fill();
      }
      if (state.rowH >= 10 && kind !== 'log') {
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(markLabel(row.e), x + 8, y + 3);
      }
    }

    function markLabel(e) {
      const d = e.detail || {};
      if (e.kind === 'breakpoint') return d.point ? `fault point ${d.point}${d.hit ? ' hit' : ''}` : `bp ${d.n}${d.hit ? ' hit' : ' armed'}`;
      if (e.kind === 'client') return `${d.type} ${d.f}${d.key !== undefined && d.key !== null ? ` ${d.key}` : ''}`;
      if (e.kind === 'crash') return `crash (${d.reason || ''})`;
      if (e.kind === 'disk') return `disk ${d.fault || ''}`;
      return e.kind;
    }

    function describe(e) {
      const lines = [`#${e.seq} t=${rel(e.t)} ms ${e.node} ${e.kind}`];
      if (e.msg) lines.push(`${e.msg.type} ${methodAndKinds(e)} ${e.msg.from} → ${e.msg.to} (id ${e.msg.id})`, e.msg.summary);
      if (e.detail) lines.push(JSON.stringify(e.detail));
      return lines.join('\n');
    }

    function distance(px, py, x1, y1, x2, y2) {
      const dx = x2 - x1;
      const dy = y2 - y1;
      const len = dx * dx + dy * dy;
      const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len));
      return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
    }

    /** What is under the point (canvas coordinates, scroll included): an arrow or a mark. */
    function hit(px, py) {
      const r = Math.round((py - TOP - state.rowH / 2) / state.rowH);
      let best = null;
      let bestD = 6;
      for (let i = Math.max(0, r - 1); i <= Math.min(model.rows.length - 1, r + 1); i++) {
        const row = model.rows[i];
        if (row.e.msg) continue;
        const d = Math.hypot(px - laneX(row.lane), py - rowY(i));
        if (d < bestD) (best = { event: row.e }), (bestD = d);
      }
      const rowsOnScreen = Math.ceil(diagram.clientHeight / state.rowH);
      for (const arrow of visibleArrows(Math.max(0, r - rowsOnScreen), r + rowsOnScreen)) {
        const d = distance(px, py, laneX(arrow.from), rowY(arrow.start), laneX(arrow.to), rowY(arrow.end));
        if (d < bestD) (best = { event: arrow.e, send: arrow.send, kind: arrow.kind }), (bestD = d);
      }
      return best;
    }

    function canvasPoint(ev) {
      const box = canvas.getBoundingClientRect();
      return { x: ev.clientX - box.left, y: ev.clientY - box.top + diagram.scrollTop };
    }

    canvas.addEventListener('mousemove', (ev) => {
      const p = canvasPoint(ev);
      const found = hit(p.x, p.y);
      if (!found) {
        tip.style.display = 'none';
        return;
      }
      const text = found.send ? `${found.kind === 'drop' ? 'DROPPED ' : found.kind === 'dup' ? 'DUPLICATE ' : ''}${describe(found.event)}\nsent #${found.send.seq} at t=${rel(found.send.t)} ms` : describe(found.event);
      tip.textContent = text;
      tip.style.display = 'block';
      tip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - 490)}px`;
      tip.style.top = `${ev.clientY + 14}px`;
    });
    canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
    canvas.addEventListener('click', (ev) => {
      const p = canvasPoint(ev);
      setCursor(Math.max(0, Math.min(model.rows.length - 1, Math.round((p.y - TOP - state.rowH / 2) / state.rowH))));
    });
    // The slider (dragged, or its arrow, Home and End keys) moves the cursor anywhere in the run: the diagram follows it.
    cursorInput.addEventListener('input', () => {
      const r = Number(cursorInput.value);
      const y = rowY(r);
      if (y < diagram.scrollTop + TOP || y > diagram.scrollTop + diagram.clientHeight - state.rowH) diagram.scrollTop = Math.max(0, y - diagram.clientHeight / 2);
      setCursor(r);
    });
    diagram.addEventListener('scroll', draw);
    window.addEventListener('resize', () => (layout(), draw()));
    // The diagram's box also changes when the toolbar wraps to more or fewer lines (another trace, other message kinds).
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => model && (layout(), draw())).observe(diagram);

    function setCursor(r) {
      state.cursor = r;
      cursorInput.value = String(r);
      renderCursor();
      draw();
    }

    /**
     * Each node's status at the cursor's event, from every event up to it (filters do not apply). On
     * the last row it is the end of the run: every event, those after it that are not drawn (a timer
     * that fired last, say, where a run may have failed) included.
     */
    function renderCursor() {
      const row = model.rows[state.cursor];
      if (!row) return;
      const last = state.cursor === model.rows.length - 1 ? model.events[model.events.length - 1] : row.e;
      const until = last.seq;
      const nodes = new Map();
      const get = (n, kind) => nodes.get(n) || nodes.set(n, { up: kind !== 'crash', partitioned: false, armed: new Set(), last: '', sent: 0, received: 0, vsr: null, commit: null, paxos: null }).get(n);
      const asked = new Map();
      for (const e of model.events) {
        if (e.seq > until) break;
        if (e.node === '*' || e.node.startsWith('client:')) continue;
        const s = get(e.node, e.kind);
        const d = e.detail || {};
        if (e.kind === 'start' || e.kind === 'restart') (s.up = true), (s.partitioned = false), s.armed.clear(), (s.vsr = null), (s.commit = null);
        else if (e.kind === 'crash') (s.up = false), (s.partitioned = false), s.armed.clear(), (s.last = `crashed (${d.reason || ''})`);
        else if (e.kind === 'partition' && d.at !== 'armed') s.partitioned = true;
        else if (e.kind === 'heal') s.partitioned = false;
        else if (e.kind === 'breakpoint') d.hit ? s.armed.clear() : s.armed.add(d.point ? `fp ${d.point}` : `bp ${d.n}`);
        else if (e.kind === 'send') {
          s.sent++;
          const c = sentCommit(e.msg);
          if (c > (s.commit ?? -1)) s.commit = c;
          paxosAnswered(s, e.msg, asked);
        }
        else if (e.kind === 'deliver') {
          s.received++;
          paxosAsked(e.msg, asked);
        }
        if (e.kind === 'log') s.last = `${d.what || 'log'} ${JSON.stringify(d)}`;
        if (e.kind === 'log' && (d.what === 'vsr.start' || d.what === 'vsr.status')) {
          s.vsr = d;
          if (typeof d.commit_max === 'number' && d.commit_max > (s.commit ?? -1)) s.commit = d.commit_max;
        }
        if (e.kind === 'log' && d.what === 'paxos.commit' && typeof d.instance === 'number') paxosDecided(s, d.instance);
      }
      const anyState = [...nodes.values()].some((s) => s.vsr !== null || s.paxos !== null);
      const table = h(
        'table.cursor-status',
        {},
        h('tr', {}, h('th', { text: 'node' }), h('th', { text: 'status' }), ...(anyState ? [h('th', { text: 'replica state' })] : []), h('th', { text: 'msgs out/in' })),
        [...nodes.entries()].sort(([a], [b]) => byLabel(a, b)).flatMap(([n, s]) => [
          h(
            'tr',
            { 'data-node': n },
            h('td', { text: laneLabel(n) }),
            h('td.node-state', { text: [s.up ? 'up' : 'down', s.partitioned ? 'partitioned' : '', [...s.armed].join(' ')].filter(Boolean).join(', ') }),
            ...(anyState ? [s.paxos !== null ? h('td.paxos-state', { text: paxosState(s.paxos), title: PAXOS_STATE_TITLE }) : h('td.vsr-state', { text: vsrState(s), title: 'status and view: its last vsr.start or vsr.status line (written when they change); commit: the highest commit number in its status lines and in the messages it sent since it (re)started' })] : []),
            h('td', { text: `${s.sent}/${s.received}` }),
          ),
          // its last log line under it, the table's whole width: a JSON line wraps there instead of squeezing the columns
          ...(s.last ? [h('tr.last-log-row', {}, h('td.last-log', { colspan: anyState ? 4 : 3, text: `last log: ${short(s.last, 160)}` }))] : []),
        ]),
      );
      const undrawn = last === row.e ? '' : ` (the run's last event: ${[last.node, last.kind, last.detail?.name ?? last.detail?.what].filter(Boolean).join(' ')}, not drawn)`;
      document.getElementById('cursor-status').replaceChildren(h('div', { id: 'cursor-time', text: `event #${last.seq}, t = ${rel(last.t)} ms${undrawn}` }), table);
    }

    /** The highest commit number a VSR message (or batch) carries, as its summary shows it; -1 if none. */
    function sentCommit(msg) {
      if (!msg || !msg.method.startsWith('vsr.') || msg.type === 'res') return -1;
      let best = -1;
      for (const m of msg.summary.matchAll(/"commit":(\d+)/g)) best = Math.max(best, Number(m[1]));
      return best;
    }

    const PAXOS_STATE_TITLE = 'the acceptor\'s state as its own trace shows it: the highest instance it decided (its paxos.commit lines), and in the instance it is in, n_h (the highest proposal it promised, from the prepares it answered OK), n_a and v_a (what it accepted: its prepare answers and the accepts it answered true); proposals as (n, node). Kept across restarts: the acceptor\'s log keeps them';

    /** JSON text of a message summary, or undefined when the trace cut it (a summary is at most 160 characters). */
    function parsedSummary(msg) {
      try {
        return JSON.parse(msg.summary);
      } catch {
        return undefined;
      }
    }

    /** A request's key, the same for its answer (which goes the other way under the same id). */
    const requestKey = (from, to, id) => `${from}>${to}#${id}`;

    /**
     * A Paxos prepare or accept delivered to an acceptor: kept until it answers. (A decide is not
     * taken as decided: an acceptor behind ignores it; its paxos.commit line says when it decides.)
     */
    function paxosAsked(msg, asked) {
      if (!msg || msg.type !== 'req' || (msg.method !== 'paxos.prepare' && msg.method !== 'paxos.accept')) return;
      const args = parsedSummary(msg);
      if (args && typeof args.instance === 'number') asked.set(requestKey(msg.from, msg.to, msg.id), { method: msg.method, args });
    }

    /** Acceptor `s` answers a prepare or accept it was asked: a promise sets n_h (and tells n_a, v_a), an accept n_a and v_a. */
    function paxosAnswered(s, msg, asked) {
      if (!msg || msg.type !== 'res' || !msg.method.startsWith('paxos.')) return;
      const key = requestKey(msg.to, msg.from, msg.id);
      const request = asked.get(key);
      asked.delete(key);
      const answer = parsedSummary(msg);
      if (!request || answer === undefined) return;
      const { instance, n, v } = request.args;
      const promised = request.method === 'paxos.prepare' && answer.accept === true && answer.oldinstance === false;
      const accepted = request.method === 'paxos.accept' && answer === true;
      const a = promised || accepted ? paxosInstance(s, instance) : null; // a refusal changes nothing
      if (a) Object.assign(a, promised ? { n_h: n, n_a: answer.n_a, v_a: answer.v_a } : { n_a: n, v_a: v });
    }

    /** The acceptor's state for `instance`, fresh when it moves on to a later one; null for an earlier one. */
    function paxosInstance(s, instance) {
      const p = paxosOf(s);
      if (instance < p.instance) return null;
      if (instance > p.instance) Object.assign(p, { instance, n_h: null, n_a: null, v_a: null });
      return p;
    }

    function paxosDecided(s, instance) {
      const p = paxosOf(s);
      p.decided = Math.max(p.decided, instance);
    }

    /** Node `s`'s acceptor state, made when its first Paxos message shows. */
    function paxosOf(s) {
      return s.paxos || (s.paxos = { decided: 0, instance: 0, n_h: null, n_a: null, v_a: null });
    }

    /** `decided ≤ 3; instance 4: n_h (2, p1), n_a (2, p1), v_a "p0 p1"`. */
    function paxosState(p) {
      const prop = (x) => (x && typeof x.n === 'number' && x.n > 0 ? `(${x.n}, ${x.m})` : 'none'); // n 0: the yfs seed's "nothing yet"
      const current = p.instance > p.decided ? [`instance ${p.instance}: n_h ${prop(p.n_h)}, n_a ${prop(p.n_a)}, v_a ${p.v_a === null ? 'none' : JSON.stringify(p.v_a)}`] : [];
      return [p.decided > 0 ? `decided ≤ ${p.decided}` : 'nothing decided', ...current].join('; ');
    }

    /** A VSR replica's state at the cursor: `normal view 1, commit 27`. */
    function vsrState(s) {
      if (!s.up) return '';
      return [s.vsr ? `${s.vsr.status} view ${s.vsr.view}` : '', s.commit !== null ? `commit ${s.commit}` : ''].filter(Boolean).join(', ');
    }

    /** Scroll the diagram so that trace event `seq` is in the middle, put the cursor on it and highlight it. */
    function jumpTo(seq) {
      let r = model.rowOfSeq.get(seq);
      if (r === undefined) r = model.rows.findIndex((row) => row.e.seq >= seq);
      if (r < 0) return;
      state.highlight = seq;
      diagram.scrollTop = Math.max(0, rowY(r) - diagram.clientHeight / 2);
      setCursor(r);
    }

    /** Put the cursor on the diagram's last row (the trace shown, as filtered), scrolled into view. */
    function jumpToEnd() {
      const last = model.rows[model.rows.length - 1];
      if (last) jumpTo(last.e.seq);
    }

    function buildLin() {
      const lin = model.trace.lin;
      if (!lin) {
        linPanel.replaceChildren(h('h3', { text: 'Linearizability' }), h('div', { text: 'no client operations in this trace' }));
        return;
      }
      const bad = lin.verdict !== 'linearizable';
      const detail = h('pre', { id: 'op-detail' });
      const processes = [...new Set(lin.ops.map((o) => o.process))].sort();
      const lc = h('canvas', { id: 'lin-canvas' });
      const failing = lin.ops.filter((o) => o.status === 'failing').concat(lin.ops.filter((o) => o.status === 'unplaced'));
      const select = (op) => {
        detail.textContent = `#${op.id} process ${op.process}: ${op.op}\n${op.status}; call ${rel(op.call)} ms, ${op.ret === null ? 'never returned' : `return ${rel(op.ret)} ms`}`;
        if (op.seq !== null) jumpTo(op.seq);
      };
      linPanel.replaceChildren(
        h('h3', { text: 'Linearizability' }),
        h(`div.${bad ? 'verdict-bad' : 'verdict-ok'}`, { id: 'verdict', text: `${lin.verdict} (${lin.model} model, ${lin.ops.length} ops)` }),
        h('div', { text: bad ? `longest linearizable prefix: ${lin.ops.filter((o) => o.status === 'linearized').length} ops; could not be placed: ${lin.ops.filter((o) => o.status === 'failing').length}` : 'every operation placed' }),
        lc,
        h('div.failing', { id: 'failing-ops' }, failing.slice(0, 30).map((op) => h('button', { 'data-op': op.id, text: `${op.status === 'failing' ? '✗' : '?'} #${op.id} ${op.process}: ${short(op.op, 60)}`, onclick: () => select(op) }))),
        detail,
        h('details', {}, h('summary', { text: 'checker report' }), h('pre', { text: lin.text })),
      );
      const t0 = lin.ops.reduce((m, o) => Math.min(m, o.call), Infinity);
      const t1 = lin.ops.reduce((m, o) => Math.max(m, o.ret === null ? o.call : o.ret), -Infinity) + 1;
      const laneH = 16;
      const width = linPanel.clientWidth - 18;
      const height = processes.length * laneH + 6;
      const ratio = window.devicePixelRatio || 1;
      lc.width = width * ratio;
      lc.height = height * ratio;
      lc.style.height = `${height}px`;
      const x = (t) => ((t - t0) / (t1 - t0)) * (width - 4) + 2;
      const boxes = lin.ops.map((op) => {
        const p = processes.indexOf(op.process);
        const x1 = x(op.call);
        const x2 = Math.max(x1 + 3, op.ret === null ? width - 2 : x(op.ret));
        return { op, x1, x2, y: 3 + p * laneH, h: laneH - 4 };
      });
      const ctx = lc.getContext('2d');
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      for (const b of boxes) {
        ctx.fillStyle = OP_COLOR[b.op.status];
        ctx.fillRect(b.x1, b.y, b.x2 - b.x1, b.h);
      }
      for (const b of boxes.filter((b) => b.op.status === 'failing')) {
        ctx.strokeStyle = '#7b241c';
        ctx.strokeRect(b.x1, b.y, b.x2 - b.x1, b.h);
      }
      lc.addEventListener('click', (ev) => {
        const box = lc.getBoundingClientRect();
        const px = ev.clientX - box.left;
        const py = ev.clientY - box.top;
        const off = (b) => Math.abs(px - (b.x1 + b.x2) / 2);
        const found = boxes.filter((b) => px >= b.x1 - 2 && px <= b.x2 + 2 && py >= b.y && py <= b.y + b.h).sort((a, b) => off(a) - off(b))[0];
        if (found) select(found.op);
      });
      viewerApi.opBox = (id) => {
        const b = boxes.find((bb) => bb.op.id === id);
        if (!b) return null;
        const box = lc.getBoundingClientRect();
        return { x: box.left + (b.x1 + b.x2) / 2, y: box.top + b.y + b.h / 2 };
      };
    }

    /** The panel of the trace's fault decisions (counted by the server), hidden when it has none (a real run, a plain trace file). */
    function showDecisions(d) {
      decisions.hidden = !d;
      decisionsCount.textContent = d ? d.summary : '';
      decisionsText.textContent = d ? d.lines.join('\n') : '';
    }

    /** What the messages drawn carry, each message's kinds joined by +, in order. */
    function drawnKinds() {
      return [...new Set(model.rows.filter((row) => row.e.msg).map((row) => kindsOf(row.e).join('+')))].sort();
    }

    /** For tests and the curious: where things are drawn, in page coordinates. */
    const viewerApi = {
      model: () => ({ rows: model.rows.length, arrows: model.arrows.length, lanes: model.lanes.slice(), cursor: state.cursor, scrollTop: diagram.scrollTop, highlight: state.highlight, kinds: drawnKinds(), cursorY: state.cursor === null ? null : rowY(state.cursor) - diagram.scrollTop, height: diagram.clientHeight }),
      /** The page point of the middle of the first arrow drawn on screen now, of a message of this method or kind (any, if none given). */
      arrowPoint: (method) => {
        const box = canvas.getBoundingClientRect();
        const top = diagram.scrollTop;
        const a = Math.floor((top - TOP) / state.rowH);
        const b = a + Math.floor(diagram.clientHeight / state.rowH);
        const arrow = visibleArrows(a, b).find((ar) => ar.kind === 'deliver' && ar.from !== ar.to && (!method || ar.e.msg.method === method || kindsOf(ar.e).includes(method)) && rowY(ar.start) > top + TOP + 10 && rowY(ar.end) < top + diagram.clientHeight - 10);
        if (!arrow) return null;
        const mx = (laneX(arrow.from) + laneX(arrow.to)) / 2;
        const my = (rowY(arrow.start) + rowY(arrow.end)) / 2;
        return { x: box.left + mx, y: box.top + my - top, method: arrow.e.msg.method, seq: arrow.e.seq };
      },
      jumpTo,
      /** The labels on the arrows drawn now (requests and notices, when the rows are tall enough). */
      arrowLabels: () => drawnLabels.slice(),
      opBox: () => null,
    };
    window.rsmlabViewer = viewerApi;
    build();
  }

  try {
    if (config.mode === 'view') startViewer();
    else startLive();
  } catch (e) {
    root.append(h('div.error', { text: `rsmlab page error: ${e.message}` }));
  }
})();
