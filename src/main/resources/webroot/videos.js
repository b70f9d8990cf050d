'use strict';
// The videos view: GET /api/videos every few seconds, rendered with textContent only (titles and part names
// are user content); follow and unfollow through POST and DELETE /api/videos.
(function () {
  const REFRESH_MS = 3000;
  const list = document.getElementById('videos');
  const empty = document.getElementById('videos-empty');
  const errorBox = document.getElementById('videos-error');
  const status = document.getElementById('status');
  const updated = document.getElementById('videos-updated');
  const form = document.getElementById('add-video');
  const input = document.getElementById('video-input');
  const tokenInput = document.getElementById('token-input');

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function time(ms) {
    if (!ms) return '—';
    const d = new Date(ms);
    const delta = Math.round((ms - Date.now()) / 1000);
    const rel = delta >= 0 ? 'in ' + delta + ' s' : -delta + ' s ago';
    return d.toLocaleTimeString() + ' (' + rel + ')';
  }

  function showError(message) {
    errorBox.textContent = message || '';
    errorBox.hidden = !message;
  }

  function headers() {
    const h = { 'Content-Type': 'application/json' };
    if (tokenInput.value) h.Authorization = 'Bearer ' + tokenInput.value;
    return h;
  }

  function renderVideo(v) {
    const box = el('article', 'video');
    const head = el('div', 'video-head');
    head.appendChild(el('span', 'video-title', v.title || v.video));
    head.appendChild(el('span', 'video-ids', [v.video, v.aid ? 'av' + v.aid : null, v.bvid, v.episode ? 'ep' + v.episode : null]
      .filter(Boolean).filter((x, i, a) => a.indexOf(x) === i).join(' · ')));
    head.appendChild(el('span', 'state state-' + v.state, v.state));
    head.appendChild(el('span', 'muted', (v.danmaku_published || 0) + ' danmaku published'));
    const remove = el('button', 'ghost remove', 'Unfollow');
    remove.type = 'button';
    remove.addEventListener('click', () => unfollow(v.video));
    head.appendChild(remove);
    box.appendChild(head);
    if (v.problem) box.appendChild(el('p', 'video-problem', v.problem));
    if (v.parts && v.parts.length) {
      const table = el('table', 'parts');
      const tr = el('tr');
      ['P', 'part', 'cid', 'state', 'published', 'pool', 'last read', 'next read', 'interval', 'gaps', 'problem']
        .forEach((h) => tr.appendChild(el('th', null, h)));
      const thead = el('thead');
      thead.appendChild(tr);
      table.appendChild(thead);
      const body = el('tbody');
      v.parts.forEach((p) => {
        const row = el('tr');
        row.appendChild(el('td', 'num', p.page));
        row.appendChild(el('td', null, p.part));
        row.appendChild(el('td', 'num', p.cid));
        const state = el('td');
        let label = p.state;
        if (p.history && !p.history.complete) label += ' (' + p.history.dates_done + ' dates done)';
        state.appendChild(el('span', 'state state-' + p.state, label));
        row.appendChild(state);
        row.appendChild(el('td', 'num', p.danmaku_published));
        row.appendChild(el('td', 'num', p.max_limit ? p.pool_size + ' / ' + p.max_limit : '—'));
        row.appendChild(el('td', null, time(p.last_read_at)));
        row.appendChild(el('td', null, time(p.next_read_at)));
        row.appendChild(el('td', 'num', Math.round((p.interval_ms || 0) / 1000) + ' s'));
        row.appendChild(el('td', 'num', p.gaps));
        row.appendChild(el('td', 'part-problem', p.problem || ''));
        body.appendChild(row);
      });
      table.appendChild(body);
      box.appendChild(table);
    }
    return box;
  }

  async function refresh() {
    try {
      const res = await fetch(ENDPOINTS.videos, { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const data = await res.json();
      const videos = Array.isArray(data.videos) ? data.videos : [];
      list.replaceChildren(...videos.map(renderVideo));
      empty.hidden = videos.length > 0;
      status.textContent = videos.length + ' videos';
      status.className = 'conn conn-live';
      updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      status.textContent = 'relay unreachable';
      status.className = 'conn conn-down';
    }
  }

  async function send(method, path, body) {
    const res = await fetch(path, { method, headers: headers(), body: body ? JSON.stringify(body) : undefined });
    if (!res.ok) {
      let message = 'HTTP ' + res.status;
      try {
        const answer = await res.json();
        if (answer && answer.error) message = answer.error;
      } catch (ignored) { /* not JSON: keep the status */ }
      throw new Error(message);
    }
  }

  async function unfollow(id) {
    try {
      await send('DELETE', ENDPOINTS.videos + '/' + encodeURIComponent(id));
      showError('');
      refresh();
    } catch (e) {
      showError(e.message);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (!id) return;
    try {
      await send('POST', ENDPOINTS.videos, { video: id });
      input.value = '';
      showError('');
      refresh();
    } catch (e) {
      showError(e.message);
    }
  });

  refresh();
  setInterval(refresh, REFRESH_MS);
}());
