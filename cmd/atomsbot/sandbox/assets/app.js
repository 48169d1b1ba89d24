// The sandbox page: one channel, a message box for /atoms, a user switcher
// and modals. State comes from the server's event stream (a snapshot, then
// changes); everything a person does is POSTed to /sandbox/api/*, which
// signs it and hands it to the bot as Slack would.

import { mrkdwn } from "./mrkdwn.js";
import { renderBlocks } from "./blocks.js";
import { confirmDialog, renderModal } from "./modal.js";
import { composer } from "./composer.js";
import { sidebar } from "./sidebar.js";

const USER_KEY = "atomsbot-sandbox-user";

// downText is what the page says when the sandbox's server does not answer.
const downText = "The sandbox's server is not answering (is make run still running?). Nothing was sent: try again once it is back.";

const state = {
  config: null,
  user: "",
  messages: new Map(), // channel|ts → message
  views: new Map(), // id → open view
  files: new Map(), // id → file
  loaded: false,
};
const openFiles = new Set(); // file ids whose content is expanded
let side = null; // the sidebar, once wired
let box = null; // the message box, once wired

const $ = (sel) => document.querySelector(sel);

function el(tag, cls, txt) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (txt !== undefined) e.textContent = txt;
  return e;
}

// api posts to the sandbox; a server that does not answer is an error
// like any other ({error}), never a silent failure.
async function api(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return { error: downText, down: true };
  }
  let out = {};
  try {
    out = await res.json();
  } catch {
    out = { error: `the sandbox answered HTTP ${res.status}` };
  }
  if (!res.ok && !out.error) out.error = `the sandbox answered HTTP ${res.status}`;
  return out;
}

function userName(id) {
  const u = state.config.users.find((x) => x.id === id);
  return u ? u.name : id;
}

// channelName names the channels this workspace has; the page shows names,
// never ids.
function channelName(id) {
  return id === state.config.channel.id ? state.config.channel.name : undefined;
}

const names = { userName, channelName };

function ctxFor(m) {
  return {
    ...names,
    onPermalink: jumpTo,
    onAction: (bi, ei, element, selected) => act(m, bi, ei, element, selected),
  };
}

// ---- notices ----

function notice(msg, kind = "error") {
  const n = $("#notice");
  n.textContent = msg;
  n.className = "notice " + kind;
  n.hidden = !msg;
}

// ---- the event stream ----

function connect() {
  const es = new EventSource("/sandbox/api/events");
  const conn = $("#conn");
  es.onopen = () => {
    conn.textContent = "live";
    conn.className = "conn live";
  };
  es.onerror = () => {
    conn.textContent = "reconnecting…";
    conn.className = "conn down";
    conn.title = "The sandbox's server does not answer; the page keeps trying.";
  };
  es.onmessage = (e) => apply(JSON.parse(e.data));
}

const key = (m) => m.channel + "|" + m.ts;

function apply(ev) {
  switch (ev.type) {
    case "reset":
      state.messages.clear();
      state.views.clear();
      state.files.clear();
      for (const m of ev.snapshot.messages) state.messages.set(key(m), m);
      for (const v of ev.snapshot.views) if (v.open) state.views.set(v.id, v);
      for (const f of ev.snapshot.files) state.files.set(f.id, f);
      state.loaded = true;
      break;
    case "message":
      state.messages.set(key(ev.message), ev.message);
      break;
    case "view":
      if (ev.view.open) state.views.set(ev.view.id, ev.view);
      else state.views.delete(ev.view.id);
      break;
    case "file":
      state.files.set(ev.file.id, ev.file);
      break;
  }
  schedule();
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    renderFeed();
    renderModal(topView(), { user: state.user, api, names, jumpTo, onClosed: closed });
  });
}

// ---- the channel ----

function visible(m) {
  return m.channel === state.config.channel.id && !m.deleted && (!m.ephemeral || m.to === state.user);
}

function renderFeed() {
  const feed = $("#feed");
  const doc = document.scrollingElement;
  const atBottom = doc.scrollHeight - doc.scrollTop - doc.clientHeight < 80;
  const items = [];
  for (const m of state.messages.values()) if (visible(m)) items.push({ kind: "message", ts: m.ts, thread: m.thread_ts || "", m });
  for (const f of state.files.values()) {
    if (f.channel === state.config.channel.id) items.push({ kind: "file", ts: f.ts, thread: f.thread_ts || "", f });
  }
  const byTS = (a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  items.sort(byTS);
  const tops = new Set(items.filter((x) => !x.thread).map((x) => x.ts));
  const replies = new Map();
  const top = [];
  for (const x of items) {
    if (x.thread && tops.has(x.thread)) {
      if (!replies.has(x.thread)) replies.set(x.thread, []);
      replies.get(x.thread).push(x);
    } else {
      top.push(x);
    }
  }
  const nodes = top.map((x) => {
    const node = renderItem(x);
    const rs = replies.get(x.ts);
    if (rs) {
      const thread = el("div", "thread");
      thread.append(el("div", "thread-count", rs.length === 1 ? "1 reply" : `${rs.length} replies`));
      for (const r of rs) thread.append(renderItem(r, true));
      node.querySelector(".msg-body").append(thread);
    }
    return node;
  });
  if (!nodes.length && state.loaded) {
    const empty = el("div", "empty");
    empty.append("This is the very beginning of ", el("b", "", "#" + state.config.channel.name), ". Type ");
    empty.append(el("code", "code", state.config.command + " help"), " below to start.");
    nodes.push(empty);
  }
  feed.replaceChildren(...nodes);
  if (atBottom) doc.scrollTop = doc.scrollHeight;
}

function avatar(author) {
  if (!author) return el("div", "avatar bot", "⚛");
  const a = el("div", "avatar person", userName(author).slice(0, 1).toUpperCase());
  a.dataset.user = author;
  return a;
}

function clock(ts) {
  const d = new Date(Number(ts) * 1000);
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function renderItem(x, reply = false) {
  const row = el("div", "msg" + (reply ? " reply" : ""));
  row.id = "m" + x.ts.replace(".", "-");
  row.dataset.ts = x.ts;
  const m = x.m;
  const author = x.kind === "message" ? m.author || "" : "";
  row.append(avatar(author));
  const body = el("div", "msg-body");
  const meta = el("div", "meta");
  meta.append(el("span", "author", author ? userName(author) : "atomsbot"));
  if (!author) meta.append(el("span", "app-badge", "APP"));
  const t = el("time", "time", clock(x.ts));
  meta.append(t);
  if (m && m.edited) meta.append(el("span", "edited", "(edited)"));
  body.append(meta);
  const content = el("div", "content");
  if (x.kind === "file") {
    content.append(renderFile(x.f));
  } else if (m.kind === "slash_command") {
    content.append(el("span", "command-text", m.text));
  } else if (m.blocks && m.blocks.length) {
    content.append(renderBlocks(m.blocks, ctxFor(m)));
  } else {
    const p = el("div", "bk-section-text");
    p.append(mrkdwn(m.text || "", ctxFor(m)));
    content.append(p);
  }
  body.append(content);
  if (m && m.ephemeral) {
    row.classList.add("ephemeral");
    body.append(el("div", "ephemeral-note", "👁 Only visible to you"));
  }
  row.append(body);
  return row;
}

function renderFile(f) {
  const box = el("div", "file");
  if (f.comment) {
    const c = el("div", "bk-section-text");
    c.append(mrkdwn(f.comment, ctxFor({})));
    box.append(c);
  }
  const d = el("details", "file-card");
  d.open = openFiles.has(f.id);
  d.addEventListener("toggle", () => (d.open ? openFiles.add(f.id) : openFiles.delete(f.id)));
  const lines = f.content.split("\n").length;
  d.append(el("summary", "", `📄 ${f.title || f.name} · ${f.name} · ${lines} lines`));
  d.append(el("pre", "code-block", f.content));
  box.append(d);
  return box;
}

function jumpTo(ts) {
  const node = document.getElementById("m" + ts.replace(".", "-"));
  if (!node) {
    notice("That message is not in this channel (or not visible to you).", "info");
    return;
  }
  node.scrollIntoView({ behavior: "smooth", block: "center" });
  node.classList.add("highlight");
  setTimeout(() => node.classList.remove("highlight"), 1600);
}

// ---- buttons ----

async function act(m, bi, ei, element, selected) {
  if (element.confirm && !(await confirmDialog(element.confirm, names))) return;
  notice("");
  const res = await api("/sandbox/api/action", {
    user: state.user, channel: m.channel, ts: m.ts, block: bi, element: ei, selected: selected || undefined,
  });
  if (res.error) notice(res.error);
}

// ---- modals ----

// topView is the current user's modal on top of their stack (ids grow).
function topView() {
  const mine = [...state.views.values()].filter((v) => v.user === state.user);
  mine.sort((a, b) => (a.id < b.id ? -1 : 1));
  return mine[mine.length - 1];
}

function closed(id) {
  state.views.delete(id);
  schedule();
}

// ---- the message box ----

// send runs a command; it resolves to false when it did not reach the bot.
async function send(t) {
  if (!t.startsWith("/")) {
    notice(`The bot only hears slash commands here: start with ${state.config.command}, e.g. ${state.config.command} help.`, "info");
    return true;
  }
  notice("");
  const res = await api("/sandbox/api/command", { user: state.user, text: t });
  if (res.error) notice(res.error);
  return !res.down;
}

// ---- users ----

function setUser(id) {
  state.user = id;
  localStorage.setItem(USER_KEY, id);
  side.showUser(id);
  box.render();
  $("#message-box").placeholder = `Message #${state.config.channel.name} as @${userName(id)}`;
  schedule();
}

// ---- start ----

async function main() {
  let res;
  try {
    res = await fetch("/sandbox/api/config");
  } catch {
    notice(downText);
    return;
  }
  state.config = await res.json();
  const saved = localStorage.getItem(USER_KEY);
  const ids = state.config.users.map((u) => u.id);
  $("#channel-name").textContent = "#" + state.config.channel.name;
  document.title = `#${state.config.channel.name} · atomsbot sandbox`;
  const input = $("#message-box");
  side = sidebar({
    config: state.config, api, notice, avatar, onUser: setUser,
    onChannel: () => {
      document.scrollingElement.scrollTop = document.scrollingElement.scrollHeight;
      input.focus();
    },
  });
  box = composer({ config: state.config, userName: () => userName(state.user), send });
  setUser(ids.includes(saved) ? saved : ids[0]);
  connect();
  input.focus();
}

main().catch((e) => notice("The sandbox page could not start: " + e.message));
