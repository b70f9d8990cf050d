// The live dashboard: follows rooms over /ws (resuming with since after a disconnect), shows their
// messages, a client-side rate per room, and each room's poll state from GET /api/rooms.
// Danmaku text is user content: it only ever reaches the page through textContent.
'use strict';

(function () {
  const MAX_MESSAGES = 500;          // messages kept in the DOM
  const RATE_BUCKET_MS = 10000;      // sparkline bar width
  const RATE_BUCKETS = 30;           // 30 x 10 s = the last 5 minutes
  const ROOMS_POLL_MS = 4000;
  const PING_MS = 25000;
  const STORAGE_KEY = 'danmaku-relay.rooms';

  const params = new URLSearchParams(location.search);
  const token = params.get('token');

  const el = {
    conn: document.getElementById('conn'),
    rooms: document.getElementById('rooms'),
    roomsError: document.getElementById('rooms-error'),
    roomsUpdated: document.getElementById('rooms-updated'),
    addRoom: document.getElementById('add-room'),
    roomInput: document.getElementById('room-input'),
    feed: document.getElementById('feed'),
    feedEmpty: document.getElementById('feed-empty'),
    feedCount: document.getElementById('feed-count'),
    follow: document.getElementById('follow'),
    clear: document.getElementById('clear'),
  };

  const selected = new Set(initialRooms());
  const lastSeq = new Map();          // room -> last seq shown: the resume point
  const backlogAsked = new Set();     // rooms whose first subscribe asked for the held history
  const arrivals = new Map();         // room -> { start: bucket index, counts: [] }
  let apiRooms = [];
  let ws = null;
  let retryMs = 1000;
  let pingTimer = null;

  function initialRooms() {
    const fromUrl = params.get('rooms');
    const source = fromUrl !== null ? fromUrl : (safeStorageGet() || '');
    return source.split(',').map(parseRoomId).filter((id) => id !== null);
  }

  function safeStorageGet() {
    try { return localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }

  function saveSelection() {
    try { localStorage.setItem(STORAGE_KEY, Array.from(selected).join(',')); } catch (e) { /* private mode */ }
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
    return scheme + '//' + location.host + '/ws' + query;
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
      onFrame(frame);
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
    const since = {};
    for (const room of rooms) {
      if (lastSeq.has(room)) {
        since[room] = lastSeq.get(room);
      } else {
        since[room] = 0;
        backlogAsked.add(room);
      }
    }
    for (let i = 0; i < rooms.length; i += 500) {
      const chunk = rooms.slice(i, i + 500);
      const chunkSince = {};
      for (const room of chunk) chunkSince[room] = since[room];
      send({ op: 'subscribe', rooms: chunk, since: chunkSince });
    }
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
    const msg = frame.msg || {};
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

  function appendMessage(room, msg) {
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
    addToFeed(li);
  }

  function appendNotice(message) {
    const li = document.createElement('li');
    li.className = 'notice';
    li.textContent = message;
    addToFeed(li);
  }

  // Rooms replay their backlogs one after the other: keep the merged feed in message-time order.
  function addToFeed(li) {
    const atBottom = el.feed.scrollHeight - el.feed.scrollTop - el.feed.clientHeight < 40;
    const time = Number(li.dataset.time || Date.now());
    li.dataset.time = String(time);
    let after = el.feed.lastElementChild;
    while (after && Number(after.dataset.time) > time) after = after.previousElementSibling;
    if (after) {
      after.after(li);
    } else {
      el.feed.prepend(li);
    }
    while (el.feed.childElementCount > MAX_MESSAGES) el.feed.firstElementChild.remove();
    if (el.follow.checked && atBottom) el.feed.scrollTop = el.feed.scrollHeight;
    updateFeedMeta();
  }

  function updateFeedMeta() {
    const count = el.feed.querySelectorAll('.msg').length;
    el.feedEmpty.hidden = el.feed.childElementCount > 0;
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

  function drawSpark(canvas, room) {
    const series = seriesOf(room, bucketOf(Date.now()));
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 150;
    const height = canvas.clientHeight || 28;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, height);
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

  async function pollRooms() {
    try {
      const response = await fetch('/api/rooms', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const body = await response.json();
      apiRooms = Array.isArray(body.rooms) ? body.rooms : [];
      el.roomsError.hidden = true;
      el.roomsUpdated.textContent = 'updated ' + new Date().toLocaleTimeString([], { hour12: false });
    } catch (e) {
      el.roomsError.hidden = false;
      el.roomsError.textContent = 'Could not load /api/rooms: ' + e.message;
    }
    renderRooms();
  }

  function renderRooms() {
    const known = new Map();
    for (const r of apiRooms) {
      const id = Number(r.room_id);
      if (id > 0) known.set(id, r);
    }
    const ids = Array.from(new Set([...known.keys(), ...selected])).sort((a, b) => a - b);
    const items = ids.map((id) => roomItem(id, known.get(id)));
    el.rooms.replaceChildren(...items);
    if (ids.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'No rooms yet. Type a room id above to watch it.';
      el.rooms.append(li);
    }
  }

  function roomItem(id, info) {
    const li = document.createElement('li');
    li.className = selected.has(id) ? 'room selected' : 'room';

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
    const known = ['polling', 'backoff', 'invalid'].includes(stateName);
    state.className = 'badge ' + (known ? 'state-' + stateName : 'state-unknown');
    state.textContent = stateName;

    const stats = document.createElement('div');
    stats.className = 'room-stats';
    if (info) {
      stats.append(
        stat('every', formatMs(info.interval_ms)),
        stat('last poll', info.last_poll_at ? ago(Number(info.last_poll_at)) : 'never'),
        stat('published', formatCount(info.messages_published)),
        stat('gaps', formatCount(info.gaps)),
        stat('server', formatRate(info.rate_per_second)));
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
    rate.append(canvas, rateText);

    li.append(box, name, state, stats, rate);
    requestAnimationFrame(() => {
      const perMinute = drawSpark(canvas, id);
      rateText.textContent = selected.has(id)
        ? perMinute.toFixed(1) + ' msg/min (last 5 min, seen here)'
        : 'select to follow';
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
    return n >= 1000 ? (n / 1000).toFixed(n % 1000 === 0 ? 0 : 1) + ' s' : n + ' ms';
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
    if (on) {
      selected.add(id);
      subscribe([id]);
    } else {
      selected.delete(id);
      lastSeq.delete(id);
      backlogAsked.delete(id);
      send({ op: 'unsubscribe', rooms: [id] });
      for (const li of Array.from(el.feed.querySelectorAll('.msg'))) {
        if (li.dataset.room === String(id)) li.remove();
      }
      updateFeedMeta();
    }
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
    if (!selected.has(id)) toggleRoom(id, true);
  });

  el.clear.addEventListener('click', () => {
    el.feed.replaceChildren();
    updateFeedMeta();
  });

  setInterval(() => {
    for (const canvas of el.rooms.querySelectorAll('canvas.spark')) {
      const id = Number(canvas.dataset.room);
      const perMinute = drawSpark(canvas, id);
      const text = canvas.nextElementSibling;
      if (text && selected.has(id)) text.textContent = perMinute.toFixed(1) + ' msg/min (last 5 min, seen here)';
    }
  }, 2000);

  updateFeedMeta();
  renderRooms();
  pollRooms();
  setInterval(pollRooms, ROOMS_POLL_MS);
  connect();
})();
