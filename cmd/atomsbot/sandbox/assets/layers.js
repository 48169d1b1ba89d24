// Layers are what sits above the channel: a confirmation, a modal, the
// narrow screen's drawer. The top one gets Escape (it closes) and keeps Tab
// inside itself; when it goes, focus returns to where it was before.

const stack = [];

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

// pushLayer adds a layer: root holds its focusable parts, close() is what
// Escape does. It returns the layer; pass it to popLayer once it is gone.
export function pushLayer(root, close) {
  const layer = { root, close, back: document.activeElement };
  stack.push(layer);
  return layer;
}

// popLayer removes a layer and gives focus back.
export function popLayer(layer) {
  const i = stack.indexOf(layer);
  if (i < 0) return;
  stack.splice(i, 1);
  if (i !== stack.length) return; // a lower layer went; focus stays where it is
  const back = layer.back;
  if (back && back.isConnected && typeof back.focus === "function") back.focus();
  else if (stack.length) focusFirst(stack[stack.length - 1].root);
  else document.getElementById("message-box")?.focus();
}

export function topLayer() {
  return stack[stack.length - 1];
}

export function focusFirst(root) {
  const f = root.querySelector(FOCUSABLE);
  if (f) f.focus();
}

document.addEventListener("keydown", (e) => {
  const top = topLayer();
  if (!top) return;
  if (e.key === "Escape") {
    e.preventDefault();
    top.close();
    return;
  }
  if (e.key !== "Tab") return;
  const items = [...top.root.querySelectorAll(FOCUSABLE)].filter((x) => x.offsetParent !== null || x === document.activeElement);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (!top.root.contains(document.activeElement)) {
    e.preventDefault();
    first.focus();
  } else if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
});
