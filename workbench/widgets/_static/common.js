// Helpers of every view (the conversation widget and the grid): small DOM builders and the
// clipboard. A piece of the ES module that `workbench/widgets/_esm.py` joins: no import, no export.

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, text, title, onclick) {
  const node = h("button", className, text);
  node.type = "button";
  if (title) node.title = title;
  node.onclick = onclick;
  return node;
}

// The clipboard API exists only in secure contexts (https, localhost); elsewhere (Jupyter served
// over plain http) the older execCommand route copies from a hidden text area.
async function copyText(text, node) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch (err) {
    const area = h("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    copied = document.execCommand("copy");
    area.remove();
  }
  node.textContent = copied ? "Copied" : "Copy failed";
  setTimeout(() => {
    node.textContent = "Copy";
  }, 1200);
}
