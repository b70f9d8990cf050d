// The live dashboard: follows rooms over /ws (resuming with since after a disconnect), shows their
// messages, each room's state from GET /api/rooms and the relay's own figures from GET /api/stats.
// With no room chosen (no ?rooms=, nothing saved), it follows the busiest rooms by their server-side rate.
// Danmaku text is user content: it only ever reaches the page through textContent.
'use strict';

(function () {
  const MAX_MESSAGES = 500;          // messages kept in the DOM
  const MAX_ROOM_ROWS = 60;          // rows drawn in the rooms panel (the busiest, plus every followed room)
  const RATE_BUCKET_MS = 10000;      // sparkline bar width
  const RATE_BUCKETS = 30;           // 30 x 10 s = the last 5 minutes
  const ROOMS_POLL_MS = 4000;
  const STATS_POLL_MS = 5000;
  const PING_MS = 25000;
  const STORAGE_KEY = 'danmaku-relay.rooms';
  const KNOWN_STATES = ['polling', 'backoff', 'invalid', 'connected', 'reconnecting'];

  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const busiestCount = boundedInt(params.get('top'), 1, 20, 3);

  const el = {
    conn: document.getElementById('conn'),
    rooms: document.getElementById('rooms'),
    roomsMore: document.getElementById('rooms-more'),
    roomsError: document.getElementById('rooms-error'),
    roomsUpdated: document.getElementById('rooms-updated'),
    followMode: document.getElementById('follow-mode'),
    followBusiest: document.getElementById('follow-busiest'),
    addRoom: document.getElementById('add-room'),
    roomInput: document.getElementById('room-input'),
    feed: document.getElementById('feed'),
    feedEmpty: document.getElementById('feed-empty'),
    feedCount: document.getElementById('feed-count'),
    follow: document.getElementById('follow'),
    clear: document.getElementById('clear'),
    figuresStatus: document.getElementById('figures-status'),
    figuresSpan: document.getElementById('figures-span'),
  };

  const chosen = initialRooms();
  // auto: the page picks the busiest rooms itself until the user picks any.
  let auto = chosen.length === 0;
  let autoInformed = false;          // the auto pick has seen real rates (not only a provisional pick)
  const selected = new Set(chosen);
  const lastSeq = new Map();          // room -> last seq shown: the resume point
  const backlogAsked = new Set();     // rooms whose first subscribe asked for the held history
  const arrivals = new Map();         // room -> { start: bucket index, counts: [] }
  let apiRooms = [];
  let ws = null;
  let retryMs = 1000;
  let pingTimer = null;

  function boundedInt(value, min, max, fallback) {
    if (value === null || !/^[0-9]{1,4}$/.test(value)) return fallback;
    return Math.min(max, Math.max(min, Number(value)));
  }

  function initialRooms() {
    const fromUrl = params.get('rooms');
    const source = fromUrl !== null ? fromUrl : (safeStorageGet() || '');
    return source.split(',').map(parseRoomId).filter((id) => id !== null);
  }

  function safeStorageGet() {
    try { return localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }

  function saveSelection() {
    try {
      if (auto) {
        localStorage.removeItem(STORAGE_KEY);
      } else {
        localStorage.setItem(STORAGE_KEY, Array.from(selected).join(','));
      }
    } catch (e) { /* private mode */ }
  }

  function parseRoomId(value) {
    const text = String(value).trim();
    if (!/^[0-9]{1,15}$/.test(text)) return null;
    const id = Number(text);
    return id > 0 ? id : null;
  }

  // ---- WebSocket ----

  function wsUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = token ? '?token=' + encodeURIComponent(token) : '';
    return scheme + '//' + location.host + ENDPOINTS.ws + query;
  }

  function connect() {
    setConn('connecting', 'connecting…');
    ws = new WebSocket(wsUrl());
    ws.addEventListener('open', () => {
      retryMs = 1000;
      setConn('live', 'live');
      if (selected.size > 0) subscribe(Array.from(selected));
      clearInterval(pingTimer);
      pingTimer = setInterval(() => send({ op: 'ping' }), PING_MS);
    });
    ws.addEventListener('message', (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === 'object') onFrame(frame);
    });
    ws.addEventListener('close', (event) => {
      clearInterval(pingTimer);
      ws = null;
      const why = event.code === 1013 ? 'too slow, ' : '';
      const wait = Math.min(retryMs, 15000) * (0.8 + Math.random() * 0.4);
      setConn('down', 'disconnected (' + why + 'retrying in ' + Math.round(wait / 1000) + ' s)');
      setTimeout(connect, wait);
      retryMs = Math.min(retryMs * 2, 15000);
    });
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  // Rooms seen before resume from their last seq; new rooms ask for the held history (since 0) so the
  // page is not empty until the next message.
  function subscribe(rooms) {
    for (let i = 0; i < rooms.length; i += 500) {
      const chunk = rooms.slice(i, i + 500);
      const since = {};
      for (const room of chunk) {
        if (lastSeq.has(room)) {
          since[room] = lastSeq.get(room);
        } else {
          since[room] = 0;
          backlogAsked.add(room);
        }
      }
      send({ op: 'subscribe', rooms: chunk, since: since });
    }
  }

  function unsubscribe(rooms) {
    if (rooms.length === 0) return;
    for (const room of rooms) {
      lastSeq.delete(room);
      backlogAsked.delete(room);
    }
    send({ op: 'unsubscribe', rooms: rooms });
  }

  function onFrame(frame) {
    switch (frame.op) {
      case 'danmaku':
        onDanmaku(frame);
        break;
      case 'error':
        onError(frame);
        break;
      default:
        break;
    }
  }

  function onDanmaku(frame) {
    const room = Number(frame.room_id);
    const seq = Number(frame.seq);
    if (!selected.has(room)) return;
    if (lastSeq.has(room) && seq <= lastSeq.get(room)) return;
    lastSeq.set(room, seq);
    const msg = frame.msg && typeof frame.msg === 'object' ? frame.msg : {};
    countArrival(room, messageTime(msg));
    appendMessage(room, msg);
  }

  function onError(frame) {
    const room = frame.room_id !== undefined ? Number(frame.room_id) : null;
    if (frame.error === 'history exhausted') {
      if (backlogAsked.has(room) && Number(frame.requested) === 0) return;
      const missed = Number(frame.from_seq) - Number(frame.requested) - 1;
      appendNotice('Room ' + room + ': ' + missed + ' messages were missed while disconnected.');
    } else if (frame.error === 'seq ahead of stream') {
      lastSeq.delete(room);
      appendNotice('Room ' + room + ': the relay restarted; its numbering began again.');
    } else {
      appendNotice('Server: ' + String(frame.error));
    }
  }

  function setConn(kind, text) {
    el.conn.className = 'conn conn-' + kind;
    el.conn.textContent = text;
  }

  // ---- messages ----

  function messageTime(msg) {
    const t = Number(msg.ts || msg.fetched_at);
    return Number.isFinite(t) && t > 0 ? t : Date.now();
  }

  function messageItem(room, msg) {
    const li = document.createElement('li');
    li.className = msg.list === 'admin' ? 'msg admin' : 'msg';
    li.dataset.room = String(room);

    const time = document.createElement('time');
    const when = new Date(messageTime(msg));
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleTimeString([], { hour12: false });
    if (typeof msg.timeline === 'string') time.title = msg.timeline + ' (UTC+8)';

    const roomTag = document.createElement('span');
    roomTag.className = 'room-tag';
    roomTag.textContent = '#' + room;

    const nick = document.createElement('span');
    nick.className = 'nick';
    nick.textContent = msg.nickname === undefined ? '' : String(msg.nickname);
    nick.title = 'uid ' + String(msg.uid === undefined ? '?' : msg.uid);

    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = msg.text === undefined ? '' : String(msg.text);

    li.append(time, roomTag, nick, text);
    li.dataset.time = String(messageTime(msg));
    return li;
  }

  // Frames are drawn in batches: a subscribe replays up to a thousand messages per room at once, and
  // drawing each alone (and scrolling after each) would show the backlog crawling by for many seconds.
  let pending = [];
  let flushTimer = null;

  function appendMessage(room, msg) {
    pending.push({ room: room, msg: msg, time: messageTime(msg) });
    scheduleFlush();
  }

  function appendNotice(message) {
    pending.push({ notice: message, time: Date.now() });
    scheduleFlush();
  }

  function scheduleFlush() {
    if (flushTimer === null) flushTimer = setTimeout(flush, 50);
  }

  // Merges the batch into the feed, which stays in message-time order (rooms replay their backlogs one
  // after the other) and holds the newest MAX_MESSAGES; what would be trimmed at once is never drawn.
  function flush() {
    flushTimer = null;
    const batch = pending.sort((a, b) => a.time - b.time);
    pending = [];
    const fresh = batch.length > MAX_MESSAGES ? batch.slice(batch.length - MAX_MESSAGES) : batch;
    const atBottom = el.feed.scrollHeight - el.feed.scrollTop - el.feed.clientHeight < 40;
    const full = el.feed.childElementCount >= MAX_MESSAGES;
    const oldest = el.feed.firstElementChild ? Number(el.feed.firstElementChild.dataset.time) : -Infinity;
    const tail = document.createDocumentFragment();
    const newestShown = el.feed.lastElementChild ? Number(el.feed.lastElementChild.dataset.time) : -Infinity;
    for (const item of fresh) {
      if (full && item.time < oldest) continue;
      if (item.room !== undefined && !selected.has(item.room)) continue;
      let li;
      if (item.notice !== undefined) {
        li = document.createElement('li');
        li.className = 'notice';
        li.textContent = item.notice;
        li.dataset.time = String(item.time);
      } else {
        li = messageItem(item.room, item.msg);
      }
      if (item.time >= newestShown) {
        tail.append(li);
        continue;
      }
      let after = el.feed.lastElementChild;
      while (after && Number(after.dataset.time) > item.time) after = after.previousElementSibling;
      if (after) {
        after.after(li);
      } else {
        el.feed.prepend(li);
      }
    }
    el.feed.append(tail);
    let excess = el.feed.childElementCount - MAX_MESSAGES;
    while (excess-- > 0) el.feed.firstElementChild.remove();
    if (el.follow.checked && atBottom) el.feed.scrollTop = el.feed.scrollHeight;
    updateFeedMeta();
  }

  function updateFeedMeta() {
    const count = el.feed.querySelectorAll('.msg').length;
    el.feedEmpty.hidden = el.feed.childElementCount > 0;
    el.feedEmpty.textContent = selected.size > 0
      ? 'Waiting for messages of the rooms followed.'
      : 'No room followed: click a room on the left to see its messages.';
    el.feedCount.textContent = count > 0 ? count + ' shown' : '';
  }

  // ---- rates, from message times so a replayed backlog draws the right curve ----

  function bucketOf(time) {
    return Math.floor(time / RATE_BUCKET_MS);
  }

  function countArrival(room, time) {
    const now = bucketOf(Date.now());
    const bucket = bucketOf(time);
    if (bucket <= now - RATE_BUCKETS || bucket > now) return;
    const series = seriesOf(room, now);
    series.counts[bucket - series.start] += 1;
  }

  function seriesOf(room, now) {
    let series = arrivals.get(room);
    if (!series) {
      series = { start: now - RATE_BUCKETS + 1, counts: new Array(RATE_BUCKETS).fill(0) };
      arrivals.set(room, series);
    }
    const shift = now - RATE_BUCKETS + 1 - series.start;
    if (shift > 0) {
      series.counts = shift >= RATE_BUCKETS
        ? new Array(RATE_BUCKETS).fill(0)
        : series.counts.slice(shift).concat(new Array(shift).fill(0));
      series.start += shift;
    }
    return series;
  }

  function sizeCanvas(canvas, fallbackWidth, fallbackHeight) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || fallbackWidth;
    const height = canvas.clientHeight || fallbackHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, height);
    return { g: g, width: width, height: height };
  }

  function drawSpark(canvas, room) {
    const series = seriesOf(room, bucketOf(Date.now()));
    const { g, width, height } = sizeCanvas(canvas, 150, 28);
    g.fillStyle = '#eef0f4';
    g.fillRect(0, height - 1, width, 1);
    const max = Math.max(1, ...series.counts);
    const barWidth = width / RATE_BUCKETS;
    g.fillStyle = '#00a1d6';
    series.counts.forEach((count, i) => {
      if (count === 0) return;
      const h = Math.max(2, (count / max) * (height - 2));
      g.fillRect(i * barWidth + 1, height - h, Math.max(1, barWidth - 2), h);
    });
    const total = series.counts.reduce((a, b) => a + b, 0);
    return total / (RATE_BUCKETS * RATE_BUCKET_MS / 60000);
  }

  // ---- rooms panel ----

  function rateOf(r) {
    const v = Number(r.rate_per_second);
    return Number.isFinite(v) ? v : 0;
  }

  function publishedOf(r) {
    const v = Number(r.messages_published);
    return Number.isFinite(v) ? v : 0;
  }

  /** Followable rooms, busiest first: by the relay's rate estimate, then by messages published. */
  function busiestFirst() {
    return apiRooms
      .filter((r) => Number(r.room_id) > 0 && r.state !== 'invalid')
      .sort((a, b) => (rateOf(b) - rateOf(a)) || (publishedOf(b) - publishedOf(a))
        || (Number(a.room_id) - Number(b.room_id)))
      .map((r) => Number(r.room_id));
  }

  // While nothing is known (a relay just started), the pick is provisional and is redone as soon as rates
  // are; after that a followed room is only replaced once it falls well out of the top, so the feed does
  // not switch rooms every few seconds between two rooms of about the same rate.
  function pickBusiest() {
    const order = busiestFirst();
    if (order.length === 0) return;
    const informed = apiRooms.some((r) => rateOf(r) > 0 || publishedOf(r) > 0);
    const top = order.slice(0, busiestCount);
    let next;
    if (!autoInformed) {
      next = top;
    } else {
      const stayZone = new Set(order.slice(0, busiestCount * 2));
      next = Array.from(selected).filter((id) => stayZone.has(id)).slice(0, busiestCount);
      for (const id of top) {
        if (next.length >= busiestCount) break;
        if (!next.includes(id)) next.push(id);
      }
    }
    autoInformed = informed;
    const wanted = new Set(next);
    const gone = Array.from(selected).filter((id) => !wanted.has(id));
    const added = next.filter((id) => !selected.has(id));
    for (const id of gone) selected.delete(id);
    for (const id of added) selected.add(id);
    unsubscribe(gone);
    if (added.length > 0) subscribe(added);
  }

  async function pollRooms() {
    try {
      const response = await fetch(ENDPOINTS.rooms, { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const body = await response.json();
      apiRooms = body && Array.isArray(body.rooms) ? body.rooms.filter((r) => r && typeof r === 'object') : [];
      el.roomsError.hidden = true;
      el.roomsUpdated.textContent = 'updated ' + new Date().toLocaleTimeString([], { hour12: false });
      if (auto) pickBusiest();
    } catch (e) {
      el.roomsError.hidden = false;
      el.roomsError.textContent = 'Could not load /api/rooms: ' + e.message;
    }
    renderRooms();
  }

  function renderFollowMode() {
    if (auto) {
      el.followMode.textContent = 'Following the ' + busiestCount + ' busiest rooms. Click a room to choose your own.';
      el.followBusiest.hidden = true;
    } else {
      el.followMode.textContent = 'Following ' + selected.size + ' room' + (selected.size === 1 ? '' : 's') + ' you chose.';
      el.followBusiest.hidden = false;
    }
  }

  function renderRooms() {
    renderFollowMode();
    const known = new Map();
    for (const r of apiRooms) {
      const id = Number(r.room_id);
      if (id > 0) known.set(id, r);
    }
    const order = busiestFirst();
    const shown = [];
    const seen = new Set();
    for (const id of order) {
      if (shown.length >= MAX_ROOM_ROWS) break;
      shown.push(id);
      seen.add(id);
    }
    for (const id of Array.from(selected).sort((a, b) => a - b)) {
      if (!seen.has(id)) { shown.push(id); seen.add(id); }
    }
    for (const id of known.keys()) {
      if (shown.length >= MAX_ROOM_ROWS) break;
      if (!seen.has(id)) { shown.push(id); seen.add(id); }
    }
    el.rooms.replaceChildren(...shown.map((id) => roomItem(id, known.get(id))));
    const hiddenCount = known.size - shown.filter((id) => known.has(id)).length;
    el.roomsMore.hidden = hiddenCount <= 0;
    el.roomsMore.textContent = hiddenCount > 0
      ? hiddenCount + ' quieter rooms not shown: type an id above to watch one.' : '';
    if (shown.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'No rooms yet. Type a room id above to watch it.';
      el.rooms.append(li);
    }
  }

  function overlayHref(id) {
    return ENDPOINTS.overlay + '?room=' + id + (token ? '&token=' + encodeURIComponent(token) : '');
  }

  function roomItem(id, info) {
    const li = document.createElement('li');
    li.className = selected.has(id) ? 'room selected' : 'room';
    li.dataset.room = String(id);
    li.title = selected.has(id) ? 'Click to stop following room ' + id : 'Click to follow room ' + id;

    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = selected.has(id);
    box.setAttribute('aria-label', 'Show room ' + id);
    box.addEventListener('change', () => toggleRoom(id, box.checked));

    const name = document.createElement('span');
    name.className = 'room-id';
    name.textContent = String(id);
    if (info && info.short_id && Number(info.short_id) !== id) {
      const short = document.createElement('span');
      short.className = 'short';
      short.textContent = 'short ' + String(info.short_id);
      name.append(short);
    }

    const state = document.createElement('span');
    const stateName = info ? String(info.state) : 'not followed';
    state.className = 'badge ' + (KNOWN_STATES.includes(stateName) ? 'state-' + stateName : 'state-unknown');
    state.textContent = stateName;

    const stats = document.createElement('div');
    stats.className = 'room-stats';
    if (info) {
      stats.append(
        stat('rate', formatRate(info.rate_per_second)),
        stat('published', formatCount(info.messages_published)),
        stat('gaps', formatCount(info.gaps)));
      if (info.source) stats.append(stat('source', String(info.source)));
      // Only a clustered relay sends owner: the relay that polls the room (null while its partition moves).
      if ('owner' in info) stats.append(stat('owner', info.owner === null ? 'unassigned' : String(info.owner)));
      if (info.interval_ms !== undefined && info.interval_ms !== null) stats.append(stat('every', formatMs(info.interval_ms)));
      stats.append(stat('last poll', info.last_poll_at ? ago(Number(info.last_poll_at)) : 'never'));
    } else {
      stats.textContent = 'Not in the relay’s room list: shown if anything is published for it.';
    }

    const rate = document.createElement('div');
    rate.className = 'room-rate';
    const canvas = document.createElement('canvas');
    canvas.className = 'spark';
    canvas.dataset.room = String(id);
    const rateText = document.createElement('span');
    rateText.className = 'rate-text';
    const overlay = document.createElement('a');
    overlay.className = 'overlay-link';
    overlay.href = overlayHref(id);
    overlay.target = '_blank';
    overlay.rel = 'noopener';
    overlay.textContent = 'overlay';
    overlay.title = 'A page for OBS’s browser source with this room’s newest messages';
    rate.append(canvas, rateText, overlay);

    li.append(box, name, state, stats, rate);
    li.addEventListener('click', (event) => {
      if (event.target.closest('a, input, button')) return;
      toggleRoom(id, !selected.has(id));
    });
    requestAnimationFrame(() => {
      const perMinute = drawSpark(canvas, id);
      rateText.textContent = selected.has(id) ? perMinute.toFixed(1) + ' msg/min' : 'click to follow';
    });
    return li;
  }

  function stat(label, value) {
    const span = document.createElement('span');
    span.append(label + ' ');
    const b = document.createElement('b');
    b.textContent = value;
    span.append(b);
    return span;
  }

  function formatMs(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n)) return '–';
    return n >= 1000 ? (n / 1000).toFixed(n % 1000 === 0 ? 0 : 1) + ' s' : Math.round(n) + ' ms';
  }

  function formatCount(n) {
    const v = Number(n);
    return Number.isFinite(v) ? v.toLocaleString() : '–';
  }

  function formatRate(x) {
    const v = Number(x);
    return Number.isFinite(v) ? v.toFixed(2) + '/s' : '–';
  }

  function ago(epochMs) {
    const s = Math.max(0, Math.round((Date.now() - epochMs) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    return Math.round(s / 3600) + ' h ago';
  }

  function toggleRoom(id, on) {
    auto = false;
    if (on) {
      if (!selected.has(id)) {
        selected.add(id);
        subscribe([id]);
      }
    } else {
      selected.delete(id);
      unsubscribe([id]);
      for (const li of Array.from(el.feed.querySelectorAll('.msg'))) {
        if (li.dataset.room === String(id)) li.remove();
      }
    }
    updateFeedMeta();
    saveSelection();
    renderRooms();
  }

  el.addRoom.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = parseRoomId(el.roomInput.value);
    if (id === null) {
      el.roomsError.hidden = false;
      el.roomsError.textContent = 'A room id is a positive number.';
      return;
    }
    el.roomsError.hidden = true;
    el.roomInput.value = '';
    toggleRoom(id, true);
  });

  el.followBusiest.addEventListener('click', () => {
    auto = true;
    autoInformed = false;
    saveSelection();
    pickBusiest();
    updateFeedMeta();
    renderRooms();
  });

  el.clear.addEventListener('click', () => {
    el.feed.replaceChildren();
    updateFeedMeta();
  });

  // ---- the relay's figures (GET /api/stats) ----

  const FIGURE_COLORS = { main: '#00a1d6', budget: '#d98a00', p50: '#00a1d6', p99: '#7a4cc2', bad: '#d0423c' };

  function num(v) {
    const n = Number(v);
    return v === null || v === undefined || !Number.isFinite(n) ? null : n;
  }

  function formatPerSecond(v) {
    if (v === null) return '–';
    return v >= 100 ? Math.round(v).toLocaleString() : v >= 1 ? v.toFixed(1) : v.toFixed(2);
  }

  function formatDelay(ms) {
    if (ms === null) return '–';
    return ms >= 1000 ? (ms / 1000).toFixed(ms >= 10000 ? 0 : 1) + ' s' : Math.round(ms) + ' ms';
  }

  function sum(samples, key) {
    return samples.reduce((total, s) => total + (num(s[key]) || 0), 0);
  }

  function lastWith(samples, key) {
    for (let i = samples.length - 1; i >= 0; i--) {
      const v = num(samples[i][key]);
      if (v !== null) return v;
    }
    return null;
  }

  // A chart of the samples: x from (newest - span) to newest, the span being what the samples cover (at
  // least a minute, at most the window) so a relay started a moment ago does not draw a sliver; lines, or
  // bars for per-interval counts.
  function drawChart(canvas, samples, windowMs, series, options) {
    const covered = samples.reduce((total, s) => total + (num(s.seconds) || 0), 0) * 1000;
    const spanMs = Math.min(windowMs, Math.max(60000, covered));
    const { g, width, height } = sizeCanvas(canvas, 260, 56);
    g.fillStyle = '#eef0f4';
    g.fillRect(0, height - 1, width, 1);
    if (samples.length === 0) return;
    const end = num(samples[samples.length - 1].at);
    const start = end - spanMs;
    let max = options.floor || 0;
    for (const s of samples) for (const key of series.map((x) => x.key)) max = Math.max(max, num(s[key]) || 0);
    if (options.budget) max = Math.max(max, options.budget * 1.15);
    if (max <= 0) max = 1;
    const x = (at) => ((at - start) / spanMs) * width;
    const y = (v) => height - 2 - (v / max) * (height - 6);
    if (options.budget) {
      g.strokeStyle = FIGURE_COLORS.budget;
      g.setLineDash([4, 3]);
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(0, y(options.budget));
      g.lineTo(width, y(options.budget));
      g.stroke();
      g.setLineDash([]);
    }
    if (options.riskKey) {
      g.fillStyle = 'rgba(208, 66, 60, 0.12)';
      for (const s of samples) {
        if (s[options.riskKey] === true) {
          const w = Math.max(2, ((num(s.seconds) || 5) * 1000 / spanMs) * width);
          g.fillRect(x(num(s.at)) - w, 0, w, height);
        }
      }
    }
    for (const line of series) {
      if (options.bars) {
        g.fillStyle = line.color;
        const w = Math.max(2, width / Math.max(samples.length, spanMs / 5000) - 1);
        for (const s of samples) {
          const v = num(s[line.key]) || 0;
          if (v > 0) g.fillRect(x(num(s.at)) - w, y(v), w, height - 2 - y(v) + 1);
        }
        continue;
      }
      g.strokeStyle = line.color;
      g.lineWidth = 1.6;
      g.beginPath();
      let drawing = false;
      for (const s of samples) {
        const v = num(s[line.key]);
        if (v === null) { drawing = false; continue; }
        if (drawing) g.lineTo(x(num(s.at)), y(v)); else g.moveTo(x(num(s.at)), y(v));
        drawing = true;
      }
      g.stroke();
    }
    g.fillStyle = '#6b7385';
    g.font = '10px system-ui, sans-serif';
    g.textBaseline = 'top';
    g.fillText(options.format(max), 2, 1);
  }

  function figure(id) {
    const root = document.getElementById(id);
    return { value: document.getElementById(id + '-value'), chart: root.querySelector('canvas') };
  }

  const figures = {
    messages: figure('fig-messages'),
    requests: figure('fig-requests'),
    gaps: figure('fig-gaps'),
    duplicates: figure('fig-duplicates'),
    delay: figure('fig-delay'),
  };

  function renderStats(stats) {
    const samples = Array.isArray(stats.samples) ? stats.samples.filter((s) => s && num(s.at) !== null) : [];
    const windowMs = num(stats.window_ms) || 600000;
    const budget = num(stats.budget_per_second);
    const covered = samples.reduce((total, s) => total + (num(s.seconds) || 0), 0);
    el.figuresSpan.textContent = samples.length > 0 ? 'last ' + formatSpan(covered) : '';
    if (samples.length === 0) {
      el.figuresStatus.hidden = false;
      el.figuresStatus.textContent = 'Collecting the first figures (one every '
        + Math.round((num(stats.interval_ms) || 5000) / 1000) + ' s)…';
    } else {
      el.figuresStatus.hidden = true;
    }
    const latest = samples.length > 0 ? samples[samples.length - 1] : {};
    figures.messages.value.textContent = formatPerSecond(num(latest.messages_per_second)) + ' /s';
    figures.requests.value.textContent = formatPerSecond(num(latest.requests_per_second))
      + (budget !== null ? ' of ' + formatPerSecond(budget) : '') + ' /s';
    figures.gaps.value.textContent = samples.length > 0 ? sum(samples, 'gaps').toLocaleString() : '–';
    figures.duplicates.value.textContent = samples.length > 0 ? sum(samples, 'duplicates_dropped').toLocaleString() : '–';
    const p50 = lastWith(samples, 'publish_delay_p50_ms');
    const p99 = lastWith(samples, 'publish_delay_p99_ms');
    figures.delay.value.textContent = formatDelay(p50) + ' / ' + formatDelay(p99);
    const riskNow = latest.risk_control === true;
    document.getElementById('fig-requests-foot').textContent = riskNow
      ? 'risk control: every request waits (red: paused)'
      : 'polls per second; the dashed line is the budget';

    drawChart(figures.messages.chart, samples, windowMs, [{ key: 'messages_per_second', color: FIGURE_COLORS.main }],
      { format: formatPerSecond });
    drawChart(figures.requests.chart, samples, windowMs, [{ key: 'requests_per_second', color: FIGURE_COLORS.main }],
      { format: formatPerSecond, budget: budget, riskKey: 'risk_control' });
    drawChart(figures.gaps.chart, samples, windowMs, [{ key: 'gaps', color: FIGURE_COLORS.bad }],
      { format: (v) => String(Math.round(v)), bars: true, floor: 1 });
    drawChart(figures.duplicates.chart, samples, windowMs, [{ key: 'duplicates_dropped', color: FIGURE_COLORS.main }],
      { format: (v) => String(Math.round(v)), bars: true, floor: 1 });
    drawChart(figures.delay.chart, samples, windowMs,
      [{ key: 'publish_delay_p50_ms', color: FIGURE_COLORS.p50 }, { key: 'publish_delay_p99_ms', color: FIGURE_COLORS.p99 }],
      { format: formatDelay });
  }

  function formatSpan(seconds) {
    return seconds >= 90 ? Math.round(seconds / 60) + ' min' : Math.round(seconds) + ' s';
  }

  async function pollStats() {
    try {
      const response = await fetch(ENDPOINTS.stats, { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const body = await response.json();
      renderStats(body && typeof body === 'object' ? body : {});
    } catch (e) {
      el.figuresStatus.hidden = false;
      el.figuresStatus.textContent = 'Could not load /api/stats: ' + e.message;
    }
  }

  setInterval(() => {
    for (const canvas of el.rooms.querySelectorAll('canvas.spark')) {
      const id = Number(canvas.dataset.room);
      const perMinute = drawSpark(canvas, id);
      const text = canvas.nextElementSibling;
      if (text && selected.has(id)) text.textContent = perMinute.toFixed(1) + ' msg/min';
    }
  }, 2000);

  updateFeedMeta();
  renderRooms();
  pollRooms();
  setInterval(pollRooms, ROOMS_POLL_MS);
  pollStats();
  setInterval(pollStats, STATS_POLL_MS);
  connect();
})();
