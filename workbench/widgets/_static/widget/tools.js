// Tool calls while their arguments stream (the final HTML comes from Python,
// `widgets/_tool_view.py`, with the same classes: a head with the name and the status in words,
// then labelled parts), and the collapsible parts of an entry (the thinking block, long tool
// arguments and results) kept open or closed as the user left them when the entry is redrawn.

function streamedToolCall(name, index) {
  const call = h("div", "wb-tool-call wb-tool-running");
  call.dataset.index = index;
  const head = h("div", "wb-tool-head");
  head.append(h("span", "wb-tool-name", name || "tool"), " ");
  head.appendChild(h("span", "wb-tool-state wb-tool-active", "streaming"));
  const args = h("div", "wb-tool-section wb-tool-args");
  args.append(h("div", "wb-tool-label", "arguments"), h("pre", "wb-code wb-tool-args-text"));
  call.append(head, args);
  return call;
}

// A <details> by its class and its rank among those of that class in the entry.
function detailsKeys(node) {
  const seen = {};
  return [...node.querySelectorAll("details")].map((details) => {
    const kind = details.className;
    seen[kind] = (seen[kind] || 0) + 1;
    return [`${kind}#${seen[kind]}`, details];
  });
}

function openDetails(node) {
  return new Map(node ? detailsKeys(node).map(([key, details]) => [key, details.open]) : []);
}

function restoreDetails(body, opened) {
  for (const [key, details] of detailsKeys(body)) {
    if (opened.has(key)) details.open = opened.get(key);
  }
}
