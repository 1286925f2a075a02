// "Diff" on a message with an earlier version: what changed from the version before it, word
// by word, drawn under the message. The kernel computes it (`ConversationWidget.diff`) and
// answers {type: "diff", id, from, to, ops, request}; each run becomes a text node, never HTML (model
// text is untrusted). A second click closes it; another version drawn drops it.

function diffButton(view, item, entry) {
  return button("wb-diff-button", "Diff", "Show what changed from the previous version", () => {
    const open = item.querySelector(".wb-diff-panel");
    if (open) open.remove();
    else {
      view.diffAsked = `${entry.id}:${Date.now()}`; // only the view that asked opens it
      view.send({ action: "diff", id: entry.id, request: view.diffAsked });
    }
  });
}

function showDiff(view, msg) {
  if (msg.request !== undefined && msg.request !== view.diffAsked) return; // another view's
  view.diffAsked = null;
  const { transcript } = view.nodes;
  const item = transcript.querySelector(`.wb-entry[data-id="${CSS.escape(msg.id)}"]`);
  if (!item) return;
  const panel = h("div", "wb-diff-panel");
  panel.setAttribute("role", "region");
  const title = `Changes from version ${msg.from} to ${msg.to}`;
  panel.setAttribute("aria-label", title);
  panel.appendChild(h("div", "wb-diff-title", `${title} (struck: removed, underlined: added)`));
  const text = h("div", "wb-diff");
  for (const [op, run] of msg.ops || []) {
    if (op === "insert") text.appendChild(h("ins", "", run));
    else if (op === "delete") text.appendChild(h("del", "", run));
    else text.appendChild(document.createTextNode(String(run)));
  }
  panel.appendChild(text);
  const old = item.querySelector(".wb-diff-panel");
  if (old) old.replaceWith(panel);
  else item.appendChild(panel);
}
