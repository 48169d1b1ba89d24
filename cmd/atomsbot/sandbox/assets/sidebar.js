// The sidebar: the channel, the user switcher and the sandbox controls. On
// a narrow screen it is a drawer, opened from the header's ☰ button or the
// "as @user" button, and closed by Escape, the backdrop or a choice made.

import { pushLayer, popLayer, focusFirst } from "./layers.js";

const narrow = window.matchMedia("(max-width: 760px)");

function el(tag, cls, txt) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (txt !== undefined) e.textContent = txt;
  return e;
}

// sidebar wires it. o: {config, api, notice(text, kind), avatar(userId),
// onUser(id), onChannel()}. It returns {showUser(id)}.
export function sidebar(o) {
  const side = document.getElementById("sidebar");
  const backdrop = document.getElementById("drawer-backdrop");
  const menu = document.getElementById("menu");
  const actingAs = document.getElementById("acting-as");
  let layer = null;

  const close = () => {
    if (!layer) return;
    side.classList.remove("open");
    backdrop.hidden = true;
    menu.setAttribute("aria-expanded", "false");
    const l = layer;
    layer = null;
    popLayer(l);
  };
  const open = (focus) => {
    if (layer) return;
    side.classList.add("open");
    backdrop.hidden = false;
    menu.setAttribute("aria-expanded", "true");
    layer = pushLayer(side, close);
    if (focus) focus.focus();
    else focusFirst(side);
  };
  // After a choice, a drawer has done its job; a sidebar stays.
  const chosen = () => narrow.matches && close();
  menu.addEventListener("click", () => (layer ? close() : open()));
  actingAs.addEventListener("click", () => open(side.querySelector('.user-switch[aria-pressed="true"]')));
  backdrop.addEventListener("click", close);
  narrow.addEventListener("change", () => !narrow.matches && close());
  document.getElementById("side-channel").addEventListener("click", () => {
    chosen();
    o.onChannel();
  });
  document.getElementById("side-channel-name").textContent = o.config.channel.name;

  const users = document.getElementById("users");
  const showUser = (id) => {
    users.replaceChildren();
    for (const u of o.config.users) {
      const b = el("button", "user-switch");
      b.type = "button";
      b.dataset.user = u.id;
      b.setAttribute("aria-pressed", String(u.id === id));
      b.append(o.avatar(u.id), el("span", "user-name", "@" + u.name), el("span", "user-role", u.role));
      b.addEventListener("click", () => {
        o.onUser(u.id);
        chosen();
      });
      users.append(b);
    }
    const u = o.config.users.find((x) => x.id === id);
    actingAs.textContent = "as @" + (u ? u.name : id) + " ▾";
    actingAs.setAttribute("aria-label", `Acting as @${u ? u.name : id}; switch user`);
  };

  controls(o, chosen);
  return { showUser };
}

// controls wire the sandbox controls: what the Atoms dashboard or its
// security scanner would do, for the agent chosen.
function controls(o, chosen) {
  const box = document.getElementById("controls");
  const agents = o.config.agents || [];
  if (!agents.length) return;
  box.hidden = false;
  const pick = document.getElementById("control-agent");
  for (const a of agents) {
    const opt = el("option", "", a);
    opt.value = a;
    pick.append(opt);
  }
  for (const b of box.querySelectorAll("button[data-control]")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      const res = await o.api("/sandbox/api/control", { control: b.dataset.control, agent: pick.value });
      b.disabled = false;
      chosen();
      if (res.error) o.notice(res.error);
      else o.notice(res.notice || "Done.", "info");
    });
  }
}
