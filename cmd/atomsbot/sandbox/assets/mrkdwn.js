// Slack mrkdwn → DOM. Every piece of text becomes a text node (never HTML),
// so nothing a bot or a user wrote can inject markup into the page.

const EMOJI = {
  hourglass: "⌛", hourglass_flowing_sand: "⏳", white_check_mark: "✅", heavy_check_mark: "✔️",
  warning: "⚠️", mag: "🔍", no_entry_sign: "🚫", no_entry: "⛔", construction: "🚧", pencil2: "✏️",
  pencil: "📝", memo: "📝", rocket: "🚀", x: "❌", heavy_multiplication_x: "✖️", large_green_circle: "🟢",
  large_yellow_circle: "🟡", red_circle: "🔴", white_circle: "⚪", eyes: "👀", mute: "🔇",
  satellite_antenna: "📡", thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎", tada: "🎉",
  lock: "🔒", unlock: "🔓", bell: "🔔", no_bell: "🔕", arrows_counterclockwise: "🔄",
  information_source: "ℹ️", clock3: "🕒", package: "📦", shield: "🛡️", robot_face: "🤖",
  speech_balloon: "💬", telephone_receiver: "📞", page_facing_up: "📄", arrow_right: "➡️",
  leftwards_arrow_with_hook: "↩️", rewind: "⏪", stop_sign: "🛑", sparkles: "✨", bulb: "💡",
  question: "❓", exclamation: "❗", link: "🔗", wave: "👋", busts_in_silhouette: "👥",
  bust_in_silhouette: "👤", gear: "⚙️", zap: "⚡", fire: "🔥", calendar: "📅", stopwatch: "⏱️",
};

// emoji returns the character for :name:, or undefined.
export function emoji(name) {
  return Object.hasOwn(EMOJI, name) ? EMOJI[name] : undefined;
}

// decode undoes the only three entities Slack escapes.
export function decode(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// plain renders a plain_text object's text, with :emoji: unless disabled.
export function plain(text, withEmoji = true) {
  const frag = document.createDocumentFragment();
  if (!withEmoji) {
    frag.append(text);
    return frag;
  }
  let last = 0;
  for (const m of text.matchAll(/:([a-z0-9_+-]+):/g)) {
    const ch = emoji(m[1]);
    if (!ch) continue;
    frag.append(text.slice(last, m.index), ch);
    last = m.index + m[0].length;
  }
  frag.append(text.slice(last));
  return frag;
}

// mrkdwn renders Slack mrkdwn: ```code blocks```, `code`, *bold*, _italic_,
// ~strike~, <links|text>, <@mentions>, <#channels>, <!date^…>, :emoji: and
// "> " quotes. ctx.userName(id) names users, ctx.channelName(id) channels
// (undefined when it does not know one); ctx.onPermalink(ts) follows a link
// to a message of this workspace.
export function mrkdwn(text, ctx = {}) {
  const frag = document.createDocumentFragment();
  const parts = text.split("```");
  const isCode = (i) => i % 2 === 1 && i < parts.length - 1; // an unpaired ``` is literal
  for (let i = 0; i < parts.length; i++) {
    if (isCode(i)) {
      frag.append(el("pre", "code-block", decode(parts[i].replace(/^\n/, "").replace(/\n$/, ""))));
      continue;
    }
    let chunk = i % 2 === 1 ? "```" + parts[i] : parts[i];
    // A code block sits on its own lines: the newlines around it are its.
    if (i > 0 && isCode(i - 1)) chunk = chunk.replace(/^\n/, "");
    if (isCode(i + 1)) chunk = chunk.replace(/\n$/, "");
    lines(chunk, frag, ctx);
  }
  return frag;
}

function lines(text, parent, ctx) {
  if (text === "") return;
  let quote = null;
  const ls = text.split("\n");
  ls.forEach((line, i) => {
    const q = /^>\s?(.*)$/.exec(line);
    if (q) {
      if (!quote) {
        quote = el("blockquote", "quote");
        parent.append(quote);
      } else {
        quote.append("\n");
      }
      inline(q[1], quote, ctx);
      return;
    }
    quote = null;
    inline(line, parent, ctx);
    if (i < ls.length - 1 && !/^>/.test(ls[i + 1] || "")) parent.append("\n");
  });
}

// Formatting never ends inside a <…> token, which Slack reads first.
const TOKEN = new RegExp(
  [
    "`([^`\\n]+)`",                                                  // 1 code
    "<([^<>\\n]+)>",                                                 // 2 link, mention, date
    "(?<![\\p{L}\\p{N}])\\*(?=[^\\s*])((?:<[^<>\\n]+>|[^*\\n<])*?)(?<=\\S)\\*(?![\\p{L}\\p{N}])", // 3 bold
    "(?<![\\p{L}\\p{N}])_(?=[^\\s_])((?:<[^<>\\n]+>|[^_\\n<])*?)(?<=\\S)_(?![\\p{L}\\p{N}])",     // 4 italic
    "(?<![\\p{L}\\p{N}])~(?=[^\\s~])((?:<[^<>\\n]+>|[^~\\n<])*?)(?<=\\S)~(?![\\p{L}\\p{N}])",     // 5 strike
    ":([a-z0-9_+-]+):",                                              // 6 emoji
  ].join("|"),
  "gu",
);

function inline(text, parent, ctx) {
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    let node = null;
    if (m[1] !== undefined) node = el("code", "code", decode(m[1]));
    else if (m[2] !== undefined) node = angle(m[2], ctx);
    else if (m[3] !== undefined) node = wrap("b", m[3], ctx);
    else if (m[4] !== undefined) node = wrap("i", m[4], ctx);
    else if (m[5] !== undefined) node = wrap("s", m[5], ctx);
    else if (m[6] !== undefined && emoji(m[6])) node = document.createTextNode(emoji(m[6]));
    if (!node) continue;
    parent.append(decode(text.slice(last, m.index)), node);
    last = m.index + m[0].length;
  }
  parent.append(decode(text.slice(last)));
}

function wrap(tag, inner, ctx) {
  const e = el(tag);
  inline(inner, e, ctx);
  return e;
}

// angle renders the inside of <…>.
function angle(body, ctx) {
  const bar = body.indexOf("|");
  const target = bar < 0 ? body : body.slice(0, bar);
  const label = bar < 0 ? "" : body.slice(bar + 1);
  if (target.startsWith("@")) {
    const name = label || (ctx.userName ? ctx.userName(target.slice(1)) : target.slice(1));
    return el("span", "mention", "@" + name);
  }
  if (target.startsWith("#")) return el("span", "mention", "#" + channelName(target.slice(1), label, ctx));
  if (target.startsWith("!date^")) return el("time", "date", slackDate(target, label));
  if (target.startsWith("!subteam^")) return el("span", "mention", decode(label || "@group"));
  if (target.startsWith("!")) return el("span", "mention broadcast", "@" + target.slice(1));
  const href = decode(target);
  if (!/^(https?:|mailto:)/i.test(href)) return document.createTextNode("<" + decode(body) + ">");
  const a = el("a", "link");
  a.textContent = decode(label || target);
  const ts = permalinkTS(href);
  if (ts && ctx.onPermalink) {
    a.href = "#m" + ts.replace(".", "-");
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      ctx.onPermalink(ts);
    });
  } else {
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  return a;
}

// channelName is how a channel mention reads: the channel's name as this
// workspace knows it, else the label the message gave, else its id.
export function channelName(id, label, ctx) {
  const known = ctx.channelName ? ctx.channelName(id) : undefined;
  return known || decode(label || "") || id;
}

// permalinkTS reads the message ts out of a Slack permalink
// (…/archives/C123/p1700000000123456), or returns "".
export function permalinkTS(href) {
  const m = /\/archives\/[A-Z0-9]+\/p(\d{7,})(?:[?#]|$)/.exec(href);
  return m ? m[1].slice(0, -6) + "." + m[1].slice(-6) : "";
}

// slackDate renders <!date^unix^format|fallback> in the reader's time zone.
function slackDate(target, fallback) {
  const [, secs, format] = target.split("^");
  const t = new Date(Number(secs) * 1000);
  if (!format || Number.isNaN(t.getTime())) return decode(fallback);
  const d = (o) => t.toLocaleDateString(undefined, o);
  const parts = {
    date_num: t.toISOString().slice(0, 10),
    date: d({ month: "long", day: "numeric", year: "numeric" }),
    date_short: d({ month: "short", day: "numeric", year: "numeric" }),
    date_long: d({ weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    date_pretty: pretty(t) || d({ month: "long", day: "numeric", year: "numeric" }),
    date_short_pretty: pretty(t) || d({ month: "short", day: "numeric", year: "numeric" }),
    date_long_pretty: pretty(t) || d({ weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    time: t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }),
    time_secs: t.toLocaleTimeString(),
    ago: ago(t),
  };
  // Slack shows the fallback, unformatted, when a token is not one it knows
  // (the bot relies on it to show * _ ~ ` as typed).
  const tokens = [...format.matchAll(/\{(\w*)\}/g)].map((m) => m[1]);
  if (tokens.some((k) => !Object.hasOwn(parts, k))) return decode(fallback);
  return format.replace(/\{(\w+)\}/g, (all, k) => parts[k]);
}

function pretty(t) {
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(t) - day(new Date())) / 86400000);
  return { 0: "today", 1: "tomorrow", "-1": "yesterday" }[diff] || "";
}

function ago(t) {
  const s = Math.round((Date.now() - t.getTime()) / 1000);
  if (Math.abs(s) < 60) return "just now";
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return m > 0 ? `${m} minutes ago` : `in ${-m} minutes`;
  const h = Math.round(m / 60);
  if (Math.abs(h) < 48) return h > 0 ? `${h} hours ago` : `in ${-h} hours`;
  const dd = Math.round(h / 24);
  return dd > 0 ? `${dd} days ago` : `in ${-dd} days`;
}
