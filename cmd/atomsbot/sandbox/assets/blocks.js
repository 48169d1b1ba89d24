// Block Kit → DOM, for messages and modals. Unknown blocks and elements are
// shown as such rather than dropped, so a bot's mistake is visible.

import { channelName, mrkdwn, plain } from "./mrkdwn.js";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// text renders a text object (plain_text or mrkdwn).
export function text(obj, ctx) {
  const span = el("span", "bk-text");
  if (!obj) return span;
  if (obj.type === "mrkdwn") span.append(mrkdwn(obj.text || "", ctx));
  else span.append(plain(obj.text || "", obj.emoji !== false));
  return span;
}

// blockID is a block's block_id, or the one the sandbox server uses for a
// block without one.
export function blockID(b, i) {
  return b.block_id || "b" + i;
}

// renderBlocks renders a message's blocks. ctx.onAction(blockIndex,
// elementIndex, element, selectedValue) is called for a click or a choice.
export function renderBlocks(blocks, ctx) {
  const root = el("div", "blocks");
  blocks.forEach((b, i) => root.append(block(b, i, ctx)));
  return root;
}

function block(b, i, ctx) {
  switch (b.type) {
    case "header": {
      const h = el("div", "bk-header");
      h.append(text(b.text, ctx));
      return h;
    }
    case "section":
      return section(b, i, ctx);
    case "context": {
      const c = el("div", "bk-context");
      for (const e of b.elements || []) {
        if (e.type === "image") c.append(el("span", "bk-image-alt", "🖼 " + (e.alt_text || "image")));
        else c.append(text(e, ctx));
      }
      return c;
    }
    case "divider":
      return el("hr", "bk-divider");
    case "actions": {
      const a = el("div", "bk-actions");
      (b.elements || []).forEach((e, j) => a.append(element(e, i, j, ctx)));
      return a;
    }
    case "image":
      return el("div", "bk-image-alt", "🖼 " + (b.alt_text || "image") + (b.title ? " — " + b.title.text : ""));
    case "markdown": {
      const m = el("div", "bk-markdown");
      m.append(mrkdwn((b.text || "").replace(/\*\*(.+?)\*\*/g, "*$1*"), ctx));
      return m;
    }
    case "rich_text":
      return richText(b, ctx);
    case "input":
      return el("div", "bk-unsupported", "[an input block outside a modal]");
  }
  return el("div", "bk-unsupported", `[unsupported block: ${b.type}]`);
}

function section(b, i, ctx) {
  const s = el("div", "bk-section");
  const main = el("div", "bk-section-main");
  if (b.text) {
    const t = el("div", "bk-section-text");
    t.append(text(b.text, ctx));
    main.append(t);
  }
  if (b.fields && b.fields.length) {
    const f = el("div", "bk-fields");
    for (const x of b.fields) {
      const cell = el("div", "bk-field");
      cell.append(text(x, ctx));
      f.append(cell);
    }
    main.append(f);
  }
  s.append(main);
  if (b.accessory) {
    const acc = el("div", "bk-accessory");
    acc.append(element(b.accessory, i, -1, ctx));
    s.append(acc);
  }
  return s;
}

// element renders an interactive element of a message.
function element(e, bi, ei, ctx) {
  switch (e.type) {
    case "button": {
      const btn = el("button", "bk-button" + (e.style ? " " + e.style : ""));
      btn.type = "button";
      btn.append(text(e.text, ctx));
      btn.dataset.actionId = e.action_id || "";
      btn.addEventListener("click", () => ctx.onAction(bi, ei, e, ""));
      return btn;
    }
    case "static_select": {
      const sel = el("select", "bk-select");
      const ph = el("option", "", e.placeholder ? e.placeholder.text : "Select an item");
      ph.value = "";
      sel.append(ph);
      appendOptions(sel, e);
      if (e.initial_option) sel.value = e.initial_option.value;
      sel.addEventListener("change", () => sel.value && ctx.onAction(bi, ei, e, sel.value));
      return sel;
    }
    case "image":
      return el("span", "bk-image-alt", "🖼 " + (e.alt_text || "image"));
  }
  return el("span", "bk-unsupported", `[${e.type}]`);
}

function appendOptions(sel, e) {
  const add = (parent, o) => {
    const opt = el("option", "", o.text ? o.text.text : o.value);
    opt.value = o.value;
    parent.append(opt);
  };
  for (const o of e.options || []) add(sel, o);
  for (const g of e.option_groups || []) {
    const og = el("optgroup");
    og.label = g.label ? g.label.text : "";
    for (const o of g.options || []) add(og, o);
    sel.append(og);
  }
}

function richText(b, ctx) {
  const root = el("div", "bk-rich");
  for (const part of b.elements || []) {
    switch (part.type) {
      case "rich_text_preformatted": {
        const pre = el("pre", "code-block");
        richInline(part.elements, pre, ctx);
        root.append(pre);
        break;
      }
      case "rich_text_quote": {
        const q = el("blockquote", "quote");
        richInline(part.elements, q, ctx);
        root.append(q);
        break;
      }
      case "rich_text_list": {
        const list = el(part.style === "ordered" ? "ol" : "ul");
        for (const item of part.elements || []) {
          const li = el("li");
          richInline(item.elements, li, ctx);
          list.append(li);
        }
        root.append(list);
        break;
      }
      default: {
        const d = el("div");
        richInline(part.elements, d, ctx);
        root.append(d);
      }
    }
  }
  return root;
}

function richInline(elements, parent, ctx) {
  for (const x of elements || []) {
    let node;
    switch (x.type) {
      case "text":
        node = document.createTextNode(x.text || "");
        break;
      case "link":
        node = el("a", "link", x.text || x.url);
        if (/^(https?:|mailto:)/i.test(x.url || "")) {
          node.href = x.url;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        }
        break;
      case "user":
        node = el("span", "mention", "@" + (ctx.userName ? ctx.userName(x.user_id) : x.user_id));
        break;
      case "channel":
        node = el("span", "mention", "#" + channelName(x.channel_id, "", ctx));
        break;
      case "emoji":
        node = plain(":" + x.name + ":");
        break;
      default:
        node = document.createTextNode(x.text || "");
    }
    const st = x.style || {};
    for (const [flag, tag] of [["code", "code"], ["bold", "b"], ["italic", "i"], ["strike", "s"]]) {
      if (st[flag]) {
        const w = el(tag, flag === "code" ? "code" : "");
        w.append(node);
        node = w;
      }
    }
    parent.append(node);
  }
}

// renderModalBody renders a modal's blocks; inputs become form controls
// named by block_id, with values (block_id → value) where the person already
// typed something, else the element's initial value.
export function renderModalBody(view, values, ctx) {
  const root = el("div", "modal-body");
  (view.blocks || []).forEach((b, i) => {
    if (b.type !== "input") {
      root.append(block(b, i, { ...ctx, onAction: () => {} }));
      return;
    }
    root.append(inputBlock(b, blockID(b, i), values));
  });
  return root;
}

function inputBlock(b, id, values) {
  const wrap = el("div", "bk-input");
  wrap.dataset.blockId = id;
  const label = el("label", "bk-label");
  label.append(text(b.label, {}));
  if (b.optional) label.append(el("span", "bk-optional", " (optional)"));
  wrap.append(label);
  const e = b.element || {};
  const cid = "input-" + id;
  label.htmlFor = cid;
  let control;
  switch (e.type) {
    case "plain_text_input":
    case "email_text_input":
    case "url_text_input":
    case "number_input": {
      control = e.multiline ? el("textarea", "bk-control") : el("input", "bk-control");
      if (!e.multiline) control.type = { email_text_input: "email", url_text_input: "url", number_input: "text" }[e.type] || "text";
      if (e.multiline) control.rows = 8;
      if (e.max_length) control.maxLength = e.max_length;
      if (e.placeholder) control.placeholder = e.placeholder.text;
      control.value = e.initial_value || "";
      break;
    }
    case "static_select": {
      control = el("select", "bk-control");
      const ph = el("option", "", e.placeholder ? e.placeholder.text : "Select an item");
      ph.value = "";
      control.append(ph);
      appendOptions(control, e);
      control.value = e.initial_option ? e.initial_option.value : "";
      break;
    }
    default:
      control = el("div", "bk-unsupported", `[unsupported input: ${e.type}]`);
  }
  control.id = cid;
  control.dataset.blockId = id;
  if (Object.hasOwn(values, id) && "value" in control) control.value = values[id];
  wrap.append(control);
  if (b.hint) {
    const h = el("div", "bk-hint");
    h.append(text(b.hint, {}));
    wrap.append(h);
  }
  wrap.append(el("div", "field-error"));
  return wrap;
}

// modalValues reads the form controls of a rendered modal: block_id → value.
export function modalValues(root) {
  const out = {};
  for (const c of root.querySelectorAll(".bk-control")) {
    if ("value" in c && c.dataset.blockId) out[c.dataset.blockId] = c.value;
  }
  return out;
}
