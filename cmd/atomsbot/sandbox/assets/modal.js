// Modals and confirmation dialogs, drawn from their Block Kit objects.

import { plain } from "./mrkdwn.js";
import { renderModalBody, modalValues, text } from "./blocks.js";
import { pushLayer, popLayer } from "./layers.js";

function el(tag, cls, txt) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (txt !== undefined) e.textContent = txt;
  return e;
}

let dialogs = 0; // for unique ids

// confirmDialog shows a button's confirm object; it resolves to true when
// the person confirms. Focus starts on the safe choice (deny), and Escape
// or a click beside the dialog is a deny, as in Slack.
export function confirmDialog(c, ctx) {
  return new Promise((resolve) => {
    const id = "confirm-" + ++dialogs;
    const back = el("div", "modal-backdrop confirm-backdrop");
    const box = el("div", "modal confirm");
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", id + "-title");
    box.setAttribute("aria-describedby", id + "-body");
    const h = el("h2", "modal-title");
    h.id = id + "-title";
    h.append(text(c.title || { type: "plain_text", text: "Are you sure?" }, {}));
    const body = el("div", "modal-body");
    body.id = id + "-body";
    body.append(text(c.text, ctx));
    const foot = el("footer", "modal-footer");
    const deny = el("button", "btn confirm-deny", "");
    deny.type = "button";
    deny.append(plain(c.deny ? c.deny.text : "Cancel"));
    const ok = el("button", "btn confirm-ok " + (c.style === "danger" ? "danger" : "primary"), "");
    ok.type = "button";
    ok.append(plain(c.confirm ? c.confirm.text : "Yes"));
    let layer = null;
    const done = (v) => {
      back.remove();
      popLayer(layer);
      resolve(v);
    };
    deny.addEventListener("click", () => done(false));
    ok.addEventListener("click", () => done(true));
    back.addEventListener("click", (e) => e.target === back && done(false));
    foot.append(deny, ok);
    box.append(h, body, foot);
    back.append(box);
    document.body.append(back);
    layer = pushLayer(box, () => done(false));
    deny.focus();
  });
}

let modal = null; // what is on screen: {id, hash, user, root, layer}

// renderModal shows v (the person's top view; undefined for none). It
// rebuilds only when the view changed, keeping what was typed into inputs
// that survive an update. o: {user, api, names, jumpTo, onClosed(id)}.
export function renderModal(v, o) {
  if (!v) {
    if (modal) {
      modal.root.remove();
      popLayer(modal.layer);
    }
    modal = null;
    return;
  }
  if (modal && modal.id === v.id && modal.hash === v.hash && modal.user === o.user) return;
  const same = modal && modal.id === v.id && modal.user === o.user;
  const typed = same ? modalValues(modal.root) : {};
  let layer = null;
  if (modal) {
    modal.root.remove();
    if (same) layer = modal.layer;
    else popLayer(modal.layer);
  }
  const view = v.view;
  const back = el("div", "modal-backdrop");
  const box = el("div", "modal");
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  box.setAttribute("aria-labelledby", "modal-title-" + v.id);
  box.dataset.viewId = v.id;
  const head = el("header", "modal-header");
  const title = el("h2", "modal-title");
  title.id = "modal-title-" + v.id;
  title.append(text(view.title, {}));
  const x = el("button", "modal-x", "×");
  x.type = "button";
  x.setAttribute("aria-label", "Close");
  head.append(title, x);
  const body = renderModalBody(view, typed, { ...o.names, onPermalink: o.jumpTo });
  const err = el("div", "modal-error");
  err.setAttribute("role", "alert");
  err.hidden = true;
  const foot = el("footer", "modal-footer");
  const close = el("button", "btn modal-close", "");
  close.type = "button";
  close.append(plain(view.close ? view.close.text : "Cancel"));
  foot.append(close);
  let submit = null;
  if (view.submit) {
    submit = el("button", "btn primary modal-submit", "");
    submit.append(plain(view.submit.text));
    foot.append(submit);
  }
  const form = el("form", "modal-form");
  form.append(body, err, foot);
  box.append(head, form);
  back.append(box);
  document.body.append(back);
  const dismiss = async () => {
    const res = await o.api("/sandbox/api/close", { user: o.user, view_id: v.id });
    if (res.error) {
      err.textContent = res.error;
      err.hidden = false;
      return;
    }
    o.onClosed(v.id);
  };
  if (layer) {
    layer.root = box;
    layer.close = dismiss;
  } else {
    layer = pushLayer(box, dismiss);
  }
  modal = { id: v.id, hash: v.hash, user: o.user, root: back, layer };

  x.addEventListener("click", dismiss);
  close.addEventListener("click", (e) => {
    e.preventDefault();
    dismiss();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!submit || submit.disabled) return;
    submit.disabled = true;
    err.hidden = true;
    for (const f of body.querySelectorAll(".bk-input")) {
      f.classList.remove("has-error");
      f.querySelector(".field-error").textContent = "";
    }
    const res = await o.api("/sandbox/api/submit", { user: o.user, view_id: v.id, values: modalValues(body) });
    // An accepted submission closes the modal (now or by the bot's next
    // update): only an answer with errors lets it be submitted again.
    if (res.errors || res.error) submit.disabled = false;
    if (res.errors) {
      for (const [id, msg] of Object.entries(res.errors)) {
        const f = body.querySelector(`.bk-input[data-block-id="${CSS.escape(id)}"]`);
        if (!f) continue;
        f.classList.add("has-error");
        f.querySelector(".field-error").textContent = msg;
      }
    }
    if (res.error) {
      err.textContent = res.error;
      err.hidden = false;
    }
    if (res.closed) o.onClosed(v.id);
  });
  const first = body.querySelector(".bk-control") || close;
  first.focus();
}
