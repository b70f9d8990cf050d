// The OBS overlay (GET /overlay?room=ID): one room's newest messages on a transparent page, with super
// chats pinned above them and gifts among them. Follows the room over /ws with "events":true and, after a
// disconnect, resumes with since = the last seq it showed. Everything from the upstream is user content: it
// reaches the page through textContent only. Options are read from the query string (see README).
'use strict';

(function () {
  const params = new URLSearchParams(location.search);
  const options = {
    room: parseRoomId(params.get('room')),
    lines: boundedInt(params.get('lines'), 1, 50, 10),
    fadeMs: boundedInt(params.get('fade'), 0, 3600, 30) * 1000,
    events: params.get('events') !== '0',
    gifts: params.get('gifts') !== '0',
    fontPx: boundedInt(params.get('font'), 12, 72, 22),
    alignTop: params.get('align') === 'top',
    token: params.get('token'),
  };
  const FADE_OUT_MS = 1200;          // the length of the fade-out itself (the CSS transition)
  const MAX_PINNED = 3;              // super chats shown at once
  const PING_MS = 25000;
  const EVENT_KEYS_KEPT = 500;

  const lines = document.getElementById('lines');
  const errorLine = document.getElementById('overlay-error');
  let pinned = null;
  let lastSeq = null;                // the resume point: the last seq shown (null: nothing yet)
  const eventKeys = [];              // recent events, so one delivered twice (a resubscribe) shows once
  const eventKeySet = new Set();
  let ws = null;
  let retryMs = 1000;
  let pingTimer = null;

  function boundedInt(value, min, max, fallback) {
    if (value === null || !/^[0-9]{1,5}$/.test(value)) return fallback;
    return Math.min(max, Math.max(min, Number(value)));
  }

  function parseRoomId(value) {
    if (value === null || !/^[0-9]{1,15}$/.test(value.trim())) return null;
    const id = Number(value.trim());
    return id > 0 ? id : null;
  }

  function setState(state) {
    document.body.dataset.state = state;
  }

  // ---- connection ----

  function wsUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = options.token ? '?token=' + encodeURIComponent(options.token) : '';
    return scheme + '//' + location.host + ENDPOINTS.ws + query;
  }

  function connect() {
    setState('connecting');
    ws = new WebSocket(wsUrl());
    ws.addEventListener('open', () => {
      retryMs = 1000;
      setState('live');
      const subscribe = { op: 'subscribe', rooms: [options.room], since: {} };
      // The first time, since 0 asks for what the relay holds: the overlay starts with the recent lines.
      subscribe.since[options.room] = lastSeq === null ? 0 : lastSeq;
      if (options.events) subscribe.events = true;
      ws.send(JSON.stringify(subscribe));
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (ws && ws.readyState === WebSocket.OPEN) ws.send('{"op":"ping"}');
      }, PING_MS);
    });
    ws.addEventListener('message', (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === 'object') onFrame(frame);
    });
    ws.addEventListener('close', () => {
      clearInterval(pingTimer);
      ws = null;
      setState('down');
      const wait = Math.min(retryMs, 15000) * (0.8 + Math.random() * 0.4);
      setTimeout(connect, wait);
      retryMs = Math.min(retryMs * 2, 15000);
    });
  }

  function onFrame(frame) {
    if (Number(frame.room_id) !== options.room) return;
    if (frame.op === 'danmaku') {
      onDanmaku(frame);
    } else if (frame.op === 'event') {
      onEvent(frame.msg);
    } else if (frame.op === 'error' && frame.error === 'seq ahead of stream') {
      // The room's numbering is behind what this page saw: take what follows as new.
      lastSeq = null;
    }
  }

  // ---- lines ----

  function messageTime(msg) {
    const t = Number(msg.fetched_at || msg.ts);
    return Number.isFinite(t) && t > 0 ? t : Date.now();
  }

  // A line too old to still be on screen (a replayed backlog) is not drawn.
  function tooOld(msg) {
    return options.fadeMs > 0 && messageTime(msg) < Date.now() - options.fadeMs;
  }

  function text(className, value) {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = value === undefined || value === null ? '' : String(value);
    return span;
  }

  function addLine(li) {
    li.dataset.expires = options.fadeMs > 0 ? String(Date.now() + options.fadeMs) : '';
    lines.append(li);
    while (lines.childElementCount > options.lines) lines.firstElementChild.remove();
  }

  function onDanmaku(frame) {
    const seq = Number(frame.seq);
    if (!Number.isFinite(seq)) return;
    if (lastSeq !== null && seq <= lastSeq) return;
    lastSeq = seq;
    const msg = frame.msg && typeof frame.msg === 'object' ? frame.msg : {};
    if (tooOld(msg)) return;
    const li = document.createElement('li');
    li.className = msg.list === 'admin' ? 'line chat admin' : 'line chat';
    li.dataset.seq = String(seq);
    li.append(text('nick', msg.nickname), text('text', msg.text));
    addLine(li);
  }

  // ---- events (push): super chats, gifts, guard purchases; other commands are not shown ----

  function eventKey(msg) {
    let raw;
    try { raw = JSON.stringify(msg.raw); } catch (e) { raw = ''; }
    return String(msg.cmd) + '|' + String(msg.ts) + '|' + raw;
  }

  function firstSeen(msg) {
    const key = eventKey(msg);
    if (eventKeySet.has(key)) return false;
    eventKeySet.add(key);
    eventKeys.push(key);
    if (eventKeys.length > EVENT_KEYS_KEPT) eventKeySet.delete(eventKeys.shift());
    return true;
  }

  function dataOf(msg) {
    const raw = msg.raw && typeof msg.raw === 'object' ? msg.raw : {};
    return raw.data && typeof raw.data === 'object' ? raw.data : {};
  }

  function onEvent(msg) {
    if (!options.events || !msg || typeof msg !== 'object') return;
    const cmd = String(msg.cmd || '').split(':')[0];
    if (cmd !== 'SUPER_CHAT_MESSAGE' && cmd !== 'SEND_GIFT' && cmd !== 'GUARD_BUY') return;
    if (!firstSeen(msg) || tooOld(msg)) return;
    const data = dataOf(msg);
    if (cmd === 'SUPER_CHAT_MESSAGE') {
      superChat(data);
    } else if (cmd === 'SEND_GIFT' && options.gifts) {
      const li = document.createElement('li');
      li.className = 'line gift';
      li.append(text('nick', data.uname), text('action', data.action || '投喂'),
        text('gift-name', data.giftName || data.gift_name || 'gift'), text('count', '×' + (Number(data.num) || 1)));
      addLine(li);
    } else if (cmd === 'GUARD_BUY') {
      const li = document.createElement('li');
      li.className = 'line guard';
      const level = { 1: '总督', 2: '提督', 3: '舰长' }[Number(data.guard_level)] || data.gift_name || '舰长';
      li.append(text('nick', data.username || data.uname), text('action', '开通了'), text('gift-name', level),
        text('count', '×' + (Number(data.num) || 1)));
      addLine(li);
    }
  }

  function superChat(data) {
    if (pinned === null) {
      pinned = document.createElement('ol');
      pinned.id = 'pinned';
      pinned.className = 'pinned';
      document.body.insertBefore(pinned, lines);
    }
    const user = data.user_info && typeof data.user_info === 'object' ? data.user_info : {};
    const li = document.createElement('li');
    li.className = 'line superchat';
    const head = document.createElement('div');
    head.className = 'sc-head';
    head.append(text('sc-price', '¥' + (Number(data.price) || 0)), text('nick', user.uname || data.uname));
    li.append(head, text('text', data.message));
    // A super chat stays as long as the upstream says it is pinned in the room (data.time, seconds), at
    // least as long as a line, and at most five minutes.
    const pinnedMs = Math.min(300000, Math.max(options.fadeMs || 60000, (Number(data.time) || 0) * 1000));
    li.dataset.expires = options.fadeMs > 0 ? String(Date.now() + pinnedMs) : '';
    pinned.append(li);
    while (pinned.childElementCount > MAX_PINNED) pinned.firstElementChild.remove();
  }

  // ---- fading: a line fades out when its time is up, then leaves the page ----

  function sweep() {
    const now = Date.now();
    for (const li of document.querySelectorAll('li.line')) {
      const expires = Number(li.dataset.expires);
      if (!li.dataset.expires || now < expires) continue;
      if (!li.classList.contains('fading')) {
        li.classList.add('fading');
      } else if (now >= expires + FADE_OUT_MS) {
        li.remove();
      }
    }
  }

  function showError(message) {
    errorLine.hidden = false;
    errorLine.textContent = message;
  }

  // ---- start ----

  const root = document.documentElement.style;
  root.setProperty('--overlay-font', options.fontPx + 'px');
  root.setProperty('--overlay-fade', FADE_OUT_MS + 'ms');
  if (options.alignTop) document.body.classList.add('align-top');

  if (options.room === null) {
    setState('invalid');
    showError('This overlay needs ?room=ID (a positive room id), e.g. /overlay?room=21452505');
    return;
  }
  setInterval(sweep, 250);
  connect();
})();
