// The listening-party page: sign in over REST, start or join a party, then
// live over WebSocket (docs/asyncapi.yaml). Everything shown is set as
// text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const api = "/api/v1";

const S = {
  access: sessionStorage.getItem("encore.access"),
  refresh: sessionStorage.getItem("encore.refresh"),
  party: null, // the party joined
  ws: null,
  joined: false,
  lastId: null, // the last chat message seen, for a resume
  offset: 0, // server clock minus ours, ms
  bestDelay: Infinity,
  playback: null,
  members: new Map(), // user id -> member
  me: null,
  backoff: 1000,
  refreshTimer: null,
  typingAt: 0,
};

function say(text) {
  $("error").textContent = text || "";
}

function status(text) {
  $("status").textContent = text;
}

function show(section) {
  for (const id of ["signin", "lobby", "room"]) $(id).hidden = id !== section;
}

async function call(method, path, body) {
  const headers = {};
  if (S.access) headers.Authorization = "Bearer " + S.access;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(api + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) throw new Error((data && (data.detail || data.title)) || r.status);
  return data;
}

function keep(pair) {
  S.access = pair.access_token;
  S.refresh = pair.refresh_token;
  sessionStorage.setItem("encore.access", S.access);
  sessionStorage.setItem("encore.refresh", S.refresh);
}

// --- signing in, the lobby ---------------------------------------------------

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    keep(await call("POST", "/auth/login", {
      username: $("login-user").value,
      password: $("login-pass").value,
    }));
    $("login-pass").value = "";
    await lobby();
  } catch (err) {
    say("sign in: " + err.message);
  }
});

async function lobby() {
  const me = await call("GET", "/me");
  S.me = me.id;
  status("signed in as " + me.username);
  show("lobby");
  const page = await call("GET", "/parties?limit=50");
  const list = $("parties");
  list.textContent = "";
  for (const p of page.items) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Join";
    b.addEventListener("click", () => join(p.id));
    li.append(`${p.name} (#${p.id}, ${p.visibility}, host ${p.host.username}) `, b);
    list.append(li);
  }
}

$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const p = await call("POST", "/parties", {
      name: $("party-name").value,
      visibility: $("party-vis").value,
    });
    join(p.id);
  } catch (err) {
    say("start: " + err.message);
  }
});

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = parseInt($("join-id").value, 10);
  if (id > 0) join(id);
});

// --- the connection ----------------------------------------------------------

function join(id) {
  if (S.party !== id) S.lastId = null;
  S.party = id;
  $("chat-log").textContent = "";
  show("room");
  connect();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}${api}/live?party=${S.party}`;
  // the token as a subprotocol: never in the URL
  const ws = new WebSocket(url, ["encore-live", "bearer." + S.access]);
  S.ws = ws;
  S.joined = false;
  status("connecting");
  ws.onmessage = (ev) => receive(JSON.parse(ev.data));
  ws.onclose = (ev) => closed(ws, ev.code, ev.reason);
}

function send(msg) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(msg));
}

function closed(ws, code, reason) {
  if (ws !== S.ws) return;
  S.ws = null;
  if (code === 4410 || code === 4403) {
    status(code === 4410 ? "the party ended" : "you are out of the party");
    S.party = null;
    setTimeout(lobby, 1500);
    return;
  }
  if (code === 4401) {
    status("signed out");
    show("signin");
    return;
  }
  if (S.party === null) return;
  // 1012 (a restart), 1013, 1006: come back and resume after the last id
  status(`reconnecting (${code} ${reason || ""})`);
  setTimeout(connect, S.backoff);
  S.backoff = Math.min(S.backoff * 2, 10000);
}

async function renew() {
  try {
    keep(await call("POST", "/auth/refresh", { refresh_token: S.refresh }));
    send({ type: "auth", token: S.access });
  } catch (err) {
    say("the session ended: " + err.message);
  }
}

// --- the clock ---------------------------------------------------------------

function serverNow() {
  return Date.now() + S.offset;
}

function sync(n) {
  for (let i = 0; i < n; i++)
    setTimeout(() => send({ type: "ping", t0: Date.now() }), i * 200);
}

function pong(m) {
  const t3 = Date.now();
  const delay = t3 - m.t0 - (m.t2 - m.t1);
  // keep the estimate of least delay, the most exact one
  if (delay <= S.bestDelay) {
    S.bestDelay = delay;
    S.offset = (m.t1 - m.t0 + (m.t2 - t3)) / 2;
  }
}

// --- what the server says ----------------------------------------------------

function receive(m) {
  switch (m.type) {
    case "ready":
      S.backoff = 1000;
      S.me = m.user_id;
      status("connected");
      clearTimeout(S.refreshTimer);
      S.refreshTimer = setTimeout(renew,
        Math.max(5000, Date.parse(m.expires_at) - Date.now() - 60000));
      if (!S.joined) {
        const j = { type: "join", party_id: S.party };
        if (S.lastId !== null) j.since = S.lastId;
        send(j);
      }
      return;
    case "snapshot":
      S.joined = true;
      snapshot(m);
      return;
    case "pong":
      pong(m);
      return;
    case "error":
      say(`${m.code}: ${m.message}`);
      return;
    case "chat":
      chat(m.message);
      return;
    case "reaction":
      reaction(m);
      return;
    case "typing":
      typing(m.user_id);
      return;
    case "presence":
      if (m.event === "joined") S.members.set(m.user.id, { user: m.user, role: "member" });
      else S.members.delete(m.user.id);
      members();
      return;
    case "member":
      if (m.member.removed || !m.member.online) S.members.delete(m.member.user.id);
      else S.members.set(m.member.user.id, m.member);
      members();
      return;
    case "host":
      $("party-title").dataset.host = m.host.id;
      say(`${m.host.display_name} hosts the party now`);
      return;
    case "playback":
      S.playback = m.playback;
      player();
      return;
    case "queue":
      queue(m);
      return;
    case "ended":
    case "removed":
      say(m.reason);
      return;
  }
}

function snapshot(m) {
  $("party-title").textContent = `${m.party.name} (#${m.party.id}) — you are ${m.you.role}`;
  S.members = new Map(m.members.map((x) => [x.user.id, x]));
  members();
  S.playback = m.playback;
  player();
  queue(m);
  for (const c of m.chat) chat(c);
  if (!m.chat_complete) say("some messages were missed: see the chat's history");
  sync(5);
  if ($("play-along").checked) send({ type: "playing", playing: true });
}

function members() {
  const ul = $("members");
  ul.textContent = "";
  for (const x of S.members.values()) {
    const li = document.createElement("li");
    li.textContent = `${x.user.display_name} (${x.role}${x.muted ? ", muted" : ""}${x.playing ? ", playing" : ""})`;
    ul.append(li);
  }
}

function items(ol, list) {
  ol.textContent = "";
  for (const it of list) {
    const li = document.createElement("li");
    li.textContent = `${it.track.title}${it.track.artist ? " — " + it.track.artist : ""} [#${it.id}]`;
    li.dataset.item = it.id;
    ol.append(li);
  }
}

function queue(m) {
  items($("queue"), m.queue);
  items($("suggestions"), m.suggestions);
}

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function player() {
  const p = S.playback;
  $("now-playing").textContent = p && p.item ? p.item.track.title : "nothing";
  $("state").textContent = p ? p.state : "idle";
  $("duration").textContent = clock(p && p.item ? p.item.track.duration_ms : 0);
}

// where the party is, now: "started at S" or "paused at P"
setInterval(() => {
  const p = S.playback;
  if (!p || !p.item) {
    $("position").textContent = clock(0);
    $("position-bar").value = 0;
    return;
  }
  const pos = p.state === "playing" ? serverNow() - p.started_at_ms : p.position_ms;
  const d = p.item.track.duration_ms;
  $("position").textContent = clock(Math.min(pos, d));
  $("position-bar").value = d ? Math.min(pos, d) / d : 0;
}, 250);

function chat(c) {
  if (S.lastId !== null && c.id <= S.lastId) return; // seen (a resume)
  S.lastId = c.id;
  const li = document.createElement("li");
  li.dataset.id = c.id;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = c.user.display_name || `#${c.user.id}`;
  li.append(who);
  if (c.reply_to) {
    const r = document.createElement("span");
    r.className = "reply";
    r.textContent = `↪ #${c.reply_to} `;
    li.append(r);
  }
  li.append(c.text);
  const rs = document.createElement("span");
  rs.className = "reactions";
  rs.textContent = c.reactions.map((x) => `${x.emoji}${x.users.length}`).join(" ");
  li.append(rs);
  li.addEventListener("dblclick", () =>
    send({ type: "react", message_id: c.id, emoji: "👍" }));
  $("chat-log").append(li);
  li.scrollIntoView({ block: "end" });
}

function reaction(m) {
  const li = $("chat-log").querySelector(`li[data-id="${m.message_id}"]`);
  if (!li) return;
  const rs = li.querySelector(".reactions");
  rs.textContent = (rs.textContent + " " + m.emoji).trim();
}

function typing(user) {
  if (user === S.me) return;
  const x = S.members.get(user);
  $("typing").textContent = `${x ? x.user.display_name : "someone"} is typing…`;
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(() => ($("typing").textContent = ""), 4000);
}

// --- what the user does ------------------------------------------------------

$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value;
  if (!text.trim()) return;
  send({ type: "chat", text });
  $("chat-input").value = "";
});
$("chat-input").addEventListener("input", () => {
  if (Date.now() - S.typingAt > 2000) {
    S.typingAt = Date.now();
    send({ type: "typing" });
  }
});
$("play-btn").addEventListener("click", () => send({ type: "play" }));
$("pause-btn").addEventListener("click", () => send({ type: "pause" }));
$("skip-btn").addEventListener("click", () => send({ type: "skip" }));
$("queue-add").addEventListener("click", () => {
  const id = parseInt($("track-id").value, 10);
  if (id > 0) send({ type: "queue_add", track_id: id });
});
$("suggest-btn").addEventListener("click", () => {
  const id = parseInt($("track-id").value, 10);
  if (id > 0) send({ type: "suggest", track_id: id });
});
$("play-along").addEventListener("change", (e) =>
  send({ type: "playing", playing: e.target.checked }));
$("leave-btn").addEventListener("click", () => {
  S.party = null;
  S.joined = false;
  if (S.ws) S.ws.close(1000);
  lobby();
});

if (S.access) lobby().catch(() => show("signin"));
else show("signin");
