#!/usr/bin/env bash
# Checks the simulator's push stream with a client nobody here wrote: the npm package bilibili-live-ws.
# Its KeepLiveWS connects to the simulator's /sub with a token from the simulator's wbi-signed getDanmuInfo
# and a buvid from finger/spi; the DANMU_MSG it receives must be the simulator's messages (same id_str),
# and every message gethistory shows that was sent after it connected must have reached it.
# Usage: scripts/check-push-npm.sh [path/to/danmaku-relay.jar]   (needs java, node, npm)
set -euo pipefail
jar="${1:-target/danmaku-relay.jar}"
work="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
java -jar "$jar" simulate --port "$port" --rooms 3 --total-rate 20 --seed 5 >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$port/sim/stats" >/dev/null 2>&1 && break
  sleep 0.5
done
(cd "$work" && npm install --silent --no-audit --no-fund bilibili-live-ws@6 >/dev/null)
cat >"$work/check.js" <<'JS'
const crypto = require('crypto');
const { KeepLiveWS } = require('bilibili-live-ws');
const base = `http://127.0.0.1:${process.argv[2]}`;
const room = 1000001;
const table = [46,47,18,2,53,8,23,32,15,50,10,31,58,3,45,35,27,43,5,49,33,9,42,19,29,28,14,39,12,38,41,13];
const key = url => url.slice(url.lastIndexOf('/') + 1, url.lastIndexOf('.'));
(async () => {
  const nav = await (await fetch(`${base}/x/web-interface/nav`)).json();
  const raw = key(nav.data.wbi_img.img_url) + key(nav.data.wbi_img.sub_url);
  const mixin = table.map(i => raw[i]).join('');
  const params = { id: room, type: 0, web_location: '444.8', wts: Math.round(Date.now() / 1000) };
  const query = Object.keys(params).sort().map(k => `${k}=${encodeURIComponent(String(params[k]))}`).join('&');
  const wRid = crypto.createHash('md5').update(query + mixin).digest('hex');
  const info = await (await fetch(`${base}/xlive/web-room/v1/index/getDanmuInfo?${query}&w_rid=${wRid}`)).json();
  if (info.code !== 0) throw new Error('getDanmuInfo refused: ' + JSON.stringify(info));
  const buvid = (await (await fetch(`${base}/x/frontend/finger/spi`)).json()).data.b_3;
  const received = new Set();
  let connectedAt = 0;
  const live = new KeepLiveWS(room, { address: `ws://127.0.0.1:${process.argv[2]}/sub`, key: info.data.token, buvid, protover: 3 });
  live.on('live', () => { connectedAt = Date.now(); });
  live.on('DANMU_MSG', msg => received.add(JSON.parse(msg.info[0][15].extra).id_str));
  await new Promise(r => setTimeout(r, 12000));
  const history = await (await fetch(`${base}/xlive/web-room/v1/dM/gethistory?roomid=${room}&room_type=0`)).json();
  // A message in that window may still be on its way over push (the simulator packs several per frame): listen on
  // a little before judging.
  await new Promise(r => setTimeout(r, 3000));
  live.close();
  const stats = await (await fetch(`${base}/sim/stats?messages=true&room=${room}`)).json();
  const truth = new Set(stats.rooms[0].messages.map(m => m.id_str));
  const shown = history.data.room.concat(history.data.admin)
    .filter(m => m.check_info.ts * 1000 > connectedAt + 1000).map(m => m.id_str);
  const foreign = [...received].filter(id => !truth.has(id));
  const missed = shown.filter(id => !received.has(id));
  console.log(`bilibili-live-ws: connected=${connectedAt > 0} received=${received.size} gethistory-after-connect=${shown.length} missed=${missed.length} unknown=${foreign.length}`);
  if (!connectedAt || received.size < 10 || shown.length === 0 || missed.length || foreign.length) process.exit(1);
  process.exit(0);
})().catch(e => { console.error(e); process.exit(1); });
JS
(cd "$work" && node check.js "$port")
