// The transcript: the synced window of entries, the earlier messages shown on demand, one
// element per entry (reused while the entry is unchanged), branch switchers and the editor.

// The window. The kernel sends each change as a patch {base, rev, drop, keep, entries}: the
// new window is old[drop:drop + keep] + entries. The first view of the model to get it splices
// the model's array in place, so every view, and one made later in this page, reads the same
// window without the kernel sending it again; `wbRev` marks the array's revision (a whole copy
// from the kernel has none: it is `transcript_base`'s). A view that finds the array behind
// `transcript_rev` (a patch sent while no view was there) asks for the whole window.
function revision(view, entries) {
  return entries.wbRev ?? view.model.get("transcript_base");
}

function currentEntries(view) {
  const entries = view.model.get("messages_html") || [];
  if (revision(view, entries) !== view.model.get("transcript_rev") && !entries.wbAsked) {
    entries.wbAsked = true; // once per stale array, however many views
    view.send({ action: "resync" });
  }
  return entries;
}

function applyPatch(view, msg) {
  const entries = view.model.get("messages_html") || [];
  const rev = revision(view, entries);
  if (rev === msg.rev) return; // another view of this model applied it
  if (rev !== msg.base) return; // behind: drawing it asks for the whole window
  const kept = entries.slice(msg.drop, msg.drop + msg.keep);
  entries.splice(0, entries.length, ...kept, ...msg.entries);
  entries.wbRev = msg.rev;
}

function earlierBarNodes(view) {
  const { nodes, earlier } = view;
  nodes.earlierBar = h("div", "wb-earlier");
  nodes.showEarlier = button("wb-show-earlier", "", "Show earlier messages", () => {
    const first = earlier.entries[0] || currentEntries(view)[0];
    if (!first) return;
    earlier.asked = Math.random().toString(36).slice(2);
    view.send({ action: "earlier", before: first.index, request: earlier.asked });
  });
  nodes.hideEarlier = button("wb-hide-earlier", "Hide earlier messages", "", () => {
    earlier.entries = [];
    drawTranscript(view);
  });
  nodes.earlierBar.append(nodes.showEarlier, nodes.hideEarlier);
}

// The kernel's answer to this view's "Show earlier messages".
function receiveEarlier(view, msg) {
  const { earlier } = view;
  if (msg.request !== earlier.asked) return; // another view asked
  earlier.asked = null;
  earlier.entries = (msg.entries || []).concat(earlier.entries);
  earlier.left = msg.earlier || 0;
  drawTranscript(view, true);
}

function branchSwitcher(view, entry) {
  const [i, n] = entry.branch;
  const nav = h("span", "wb-branch");
  const prev = button("", "<", "Previous version", () =>
    view.send({ action: "switch", index: entry.index, branch: i - 1 }),
  );
  const next = button("", ">", "Next version", () =>
    view.send({ action: "switch", index: entry.index, branch: i + 1 }),
  );
  prev.disabled = i <= 0;
  next.disabled = i >= n - 1;
  nav.append(prev, h("span", "", ` ${i + 1}/${n} `), next);
  return nav;
}

function editor(view, item, entry) {
  const box = h("div", "wb-edit");
  const area = h("textarea", "wb-edit-text");
  area.value = entry.text || "";
  area.rows = Math.min(10, Math.max(2, area.value.split("\n").length));
  const save = button("wb-edit-save", "Save and send", "Replace the message and ask again", () => {
    view.follow.pinned = true;
    view.send({ action: "edit", index: entry.index, text: area.value });
  });
  const cancel = button("wb-edit-cancel", "Cancel", "", () => {
    view.entryNodes.delete(entry);
    drawTranscript(view);
  });
  box.append(area, save, cancel);
  item.querySelector(".wb-entry-body").replaceChildren(box);
  area.focus();
}

function entryNode(view, entry) {
  const { transcript } = view.nodes;
  let item = view.entryNodes.get(entry);
  if (item && !(item.wbStreamed && !view.model.get("streaming"))) return item;
  item = h("div", `wb-entry wb-entry-${entry.role}`);
  item.dataset.id = entry.id;
  item.dataset.status = entry.status;
  const body = h("div", "wb-entry-body");
  // What the user opened or closed (thinking, long tool parts) stays so when drawn again.
  const id = CSS.escape(entry.id);
  const opened = openDetails(transcript.querySelector(`.wb-entry[data-id="${id}"]`));
  body.innerHTML = entry.html; // sanitized in Python (nh3 allow-lists)
  restoreDetails(body, opened);
  fillMedia(view, body);
  item.appendChild(body);
  item.appendChild(entryActions(view, item, entry));
  view.entryNodes.set(entry, item);
  return item;
}

function entryActions(view, item, entry) {
  const actions = h("div", "wb-actions");
  if (entry.branch && entry.branch[1] > 1) actions.appendChild(branchSwitcher(view, entry));
  if (entry.branch && entry.branch[0] > 0) actions.appendChild(diffButton(view, item, entry));
  const copy = button("wb-copy", "Copy", "Copy the text", () => {
    if (entry.text !== undefined) copyText(entry.text, copy);
    else view.send({ action: "copy", id: entry.id }); // a reply's text comes back as "copy"
  });
  actions.appendChild(copy);
  if (entry.role === "user") {
    item.wbEdit = button("wb-edit-button", "Edit", "", () => editor(view, item, entry));
    actions.appendChild(item.wbEdit);
  } else if (entry.role === "assistant") {
    item.wbRegenerate = button(
      "wb-regenerate",
      "Regenerate",
      "Ask again; this reply stays as a version",
      () => {
        view.follow.pinned = true;
        view.send({ action: "regenerate" });
      },
    );
    actions.appendChild(item.wbRegenerate);
  }
  return actions;
}

// The entries to show: the earlier messages fetched, then the window; the earlier bar follows.
function shownEntries(view, entries) {
  const { earlier, nodes } = view;
  // The window slid: what left it stays with the earlier messages shown, if any are.
  if (earlier.entries.length) {
    const at = entries.length ? view.drawnWindow.findIndex((e) => e.id === entries[0].id) : -1;
    if (at > 0) earlier.entries = earlier.entries.concat(view.drawnWindow.slice(0, at));
    else if (at < 0) earlier.entries = []; // another branch: collapse
  }
  view.drawnWindow = entries.slice();
  const left = earlier.entries.length ? earlier.left : view.model.get("earlier") || 0;
  nodes.showEarlier.textContent = `Show earlier messages (${left})`;
  nodes.showEarlier.hidden = left <= 0;
  nodes.hideEarlier.hidden = !earlier.entries.length;
  nodes.earlierBar.hidden = nodes.showEarlier.hidden && nodes.hideEarlier.hidden;
  return earlier.entries.concat(entries);
}

function drawTranscript(view, keepScroll) {
  const { transcript } = view.nodes;
  const streaming = view.model.get("streaming");
  const shown = shownEntries(view, currentEntries(view));
  const lastAssistant = shown.map((e) => e.role).lastIndexOf("assistant");
  const items = shown.map((entry, k) => {
    const item = entryNode(view, entry);
    if (item.wbEdit) item.wbEdit.hidden = streaming;
    if (item.wbRegenerate) item.wbRegenerate.hidden = streaming || k !== lastAssistant;
    return item;
  });
  // A reply still streaming keeps its element until the window holds its entry.
  const ids = new Set(shown.map((e) => e.id));
  const live = streaming
    ? [...transcript.querySelectorAll(":scope > .wb-entry-streaming")].filter(
        (node) => !ids.has(node.dataset.id),
      )
    : [];
  const wanted = [view.nodes.earlierBar, ...items, ...live];
  const current = transcript.children;
  if (current.length !== wanted.length || wanted.some((node, i) => current[i] !== node)) {
    const fromBottom = transcript.scrollHeight - transcript.scrollTop;
    transcript.replaceChildren(...wanted);
    if (keepScroll) {
      transcript.scrollTop = transcript.scrollHeight - fromBottom;
      return;
    }
  }
  if (!keepScroll) followEnd(view);
}
