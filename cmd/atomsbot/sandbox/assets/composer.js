// The message box: slash commands, hint chips for every subcommand (from
// the bot's own command list, sent in the page's config) and a command
// history under ↑/↓ that survives a reload.

const HISTORY_KEY = "atomsbot-sandbox-history";
const HISTORY_MAX = 100;

function el(tag, cls, txt) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (txt !== undefined) e.textContent = txt;
  return e;
}

function loadHistory() {
  try {
    const h = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(h) ? h.filter((x) => typeof x === "string").slice(-HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

// composer wires the message box. o: {config, userName(), send(text)
// resolving to true when the command reached the bot}.
export function composer(o) {
  const input = document.getElementById("message-box");
  const form = document.getElementById("composer");
  const hint = document.getElementById("usage-hint");
  const chips = document.getElementById("chips");
  const cmd = o.config.command;
  const commands = o.config.commands || [];
  const sent = loadHistory();
  let pos = sent.length;
  let draft = ""; // what was typed before ↑

  const remember = (t) => {
    if (sent[sent.length - 1] !== t) sent.push(t);
    while (sent.length > HISTORY_MAX) sent.shift();
    pos = sent.length;
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(sent));
    } catch {
      // storage full or off: the history lasts as long as the page
    }
  };

  const render = () => {
    const typed = input.value;
    hint.replaceChildren();
    chips.replaceChildren();
    const words = typed.trimStart().split(/\s+/);
    const isCmd = words[0] === cmd;
    const word = isCmd && words.length > 1 ? words[1].toLowerCase() : "";
    const chosen = isCmd && words.length > 2 ? commands.find((c) => c.name === word) : undefined;
    if (chosen) {
      hint.append(el("code", "usage-line", chosen.usage), " — " + chosen.summary);
      return;
    }
    if (typed.trim() && !isCmd && !cmd.startsWith(typed.trim())) {
      hint.append(`The bot only hears ${cmd} here. Posting as `, el("b", "", "@" + o.userName()), ".");
    } else {
      hint.append("Posting as ", el("b", "", "@" + o.userName()), ` · ${cmd} help explains each · ↑ recalls earlier commands`);
    }
    const shown = commands.filter((c) => c.name.startsWith(word));
    for (const c of shown) {
      const b = el("button", "chip", c.name);
      b.type = "button";
      b.dataset.subcommand = c.name;
      b.title = c.usage + " — " + c.summary;
      b.setAttribute("aria-label", `${cmd} ${c.name}: ${c.summary}`);
      b.addEventListener("click", () => {
        input.value = `${cmd} ${c.name} `;
        input.focus();
        render();
      });
      chips.append(b);
    }
    if (!shown.length) hint.append(` No subcommand starts with “${word}”.`);
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) return;
    input.value = "";
    render();
    if (v.startsWith("/")) remember(v);
    draft = "";
    const ok = await o.send(v);
    // A command that did not reach the bot goes back into the box.
    if (!ok && input.value === "") {
      input.value = v;
      render();
    }
  });
  input.addEventListener("input", render);
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowUp" && pos > 0) {
      if (pos === sent.length) draft = input.value;
      pos--;
      input.value = sent[pos];
    } else if (e.key === "ArrowDown" && pos < sent.length) {
      pos++;
      input.value = pos === sent.length ? draft : sent[pos];
    } else {
      return;
    }
    e.preventDefault();
    render();
  });
  return { render };
}
