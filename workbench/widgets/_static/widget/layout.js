// The front end of ConversationWidget: a plain ES module for anywidget, joined from the pieces
// in `_static/widget/` by `workbench/widgets/_esm.py` (this one first after `common.js`).
//
// The transcript is drawn from the `messages_html` trait (HTML sanitized in Python): a window of
// the branch's last messages, changed by patches ({type: "transcript"}, see `applyPatch`), with
// older messages fetched on demand ("Show earlier messages") and collapsed again. While a
// reply streams, custom messages carry only what changed: {type: "delta"} appends text,
// {type: "reasoning"} appends a reasoning model's thinking to a collapsed "Thinking" block above
// the reply, {type: "refusal"} appends refusal text, {type: "json"} replaces a structured
// output's partial preview, {type: "tool_call"} and {type: "tool_args"} show a tool call whose
// arguments stream (`tools.js`). Streamed text is set as text nodes in blocks of about 2 KB
// (`follow.js`), never as HTML; the sanitized HTML replaces it when the reply ends. The
// transcript follows its end unless the user scrolled up. Errors show beside their cause
// (`errors.js`).
// Every control calls a Python method through model.send({action: ...}); the controls are drawn
// from the `param_info` trait and follow `params` (changed from code or from another view).
// Media never travel in the HTML: a placeholder <span class="wb-media" data-wb-kind
// data-wb-hash> names an image or a recording by the sha256 of its bytes; the view asks the
// kernel for a hash once ({action: "media"}), the answer ({type: "media"}) carries the bytes as a
// binary buffer, and a Blob URL per hash is kept on the model for every view of this page.
//
// A view is one state object passed to every function: `view.nodes` holds its elements,
// `view.controls` the parameter controls (name -> {show(value), fill?}), `view.entryNodes` the
// element of each transcript entry, `view.earlier` the messages fetched before the window,
// `view.follow` whether the transcript follows its end.

function createView(model, el) {
  const view = {
    model,
    send: (content) => model.send(content),
    nodes: {},
    controls: {},
    fields: {}, // name -> the labelled field an error about it is shown beside
    entryNodes: new WeakMap(), // entry -> its element, reused while the entry is unchanged
    // Fetched on demand, before the window (this view only): the entries, how many messages
    // are still before them, and the id of this view's pending "earlier" request.
    earlier: { entries: [], left: 0, asked: null },
    drawnWindow: [],
    diffAsked: null, // this view's pending "diff" request (`diff.js`)
    modelsAsked: false,
    // Following the transcript's end (`follow.js`): pinned there, the scrollTop the view
    // last set, the animation frame asked for.
    follow: { pinned: true, top: 0, frame: 0 },
  };
  const root = h("div", "wb-widget");
  root.append(headerNodes(view), mainNodes(view));
  el.appendChild(root);
  view.nodes.root = root;
  return view;
}

// The model list is asked for once per view, when a control that offers it gets the focus.
function askModels(view) {
  if (!view.modelsAsked) view.send({ action: "models" });
  view.modelsAsked = true;
}

// -- header: badge, model, copy as code ---------------------------------------------------------

function headerNodes(view) {
  const { nodes, send } = view;
  const header = (nodes.header = h("div", "wb-header"));
  const badge = (nodes.badge = h("span", "wb-badge", "local model"));
  badge.title = "Replies come from workbench's offline local model, not a real model.";
  const modelInput = (nodes.modelInput = h("input", "wb-model"));
  modelInput.type = "text";
  modelInput.placeholder = "model";
  const listId = `wb-models-${Math.random().toString(36).slice(2)}`;
  const modelList = (nodes.modelList = h("datalist"));
  modelList.id = listId;
  modelInput.setAttribute("list", listId);
  modelInput.addEventListener("focus", () => askModels(view));
  modelInput.addEventListener("change", () => {
    send({ action: "set_param", name: "model", value: modelInput.value.trim() });
  });
  const codeButton = button("wb-code-button", "Copy as code", "The next request as code", () =>
    send({ action: "code", text: nodes.input.value }),
  );
  view.fields.model = labelled("model", modelInput);
  header.append(badge, view.fields.model, modelList, codeButton);
  return header;
}

// -- the main area: transcript beside the settings ----------------------------------------------

function mainNodes(view) {
  const { nodes, send } = view;
  const main = h("div", "wb-main");
  const left = h("div", "wb-left");
  const transcript = (nodes.transcript = h("div", "wb-transcript"));
  nodes.approvals = h("div", "wb-approvals");
  nodes.codePanel = h("div", "wb-code-panel");
  nodes.codePanel.hidden = true;
  nodes.error = h("div", "wb-error-line");
  const input = (nodes.input = h("textarea", "wb-input"));
  input.rows = 2;
  input.placeholder = "Message (Enter sends, Shift+Enter adds a line)";
  nodes.sendButton = button("wb-send", "Send", "Send (Enter)", () => sendInput(view));
  nodes.stopButton = button("wb-stop", "Stop", "Stop the reply; what arrived stays", () =>
    send({ action: "stop" }),
  );
  nodes.inputRow = h("div", "wb-input-row");
  nodes.inputRow.append(input, nodes.sendButton, nodes.stopButton);
  nodes.footer = h("div", "wb-footer");
  left.append(transcript, nodes.approvals, nodes.codePanel, nodes.error, nodes.inputRow);
  left.append(nodes.footer);

  const settings = (nodes.settings = h("details", "wb-settings"));
  settings.open = true;
  settings.appendChild(h("summary", "", "Parameters"));
  nodes.settingsBody = h("div", "wb-settings-body");
  settings.appendChild(nodes.settingsBody);
  main.append(left, settings);
  earlierBarNodes(view);
  transcript.addEventListener("click", (event) => {
    const img = event.target instanceof Element ? event.target.closest("img.wb-thumb") : null;
    if (img && transcript.contains(img)) openLightbox(img);
  });
  transcript.addEventListener("scroll", () => onTranscriptScroll(view), { passive: true });
  return main;
}

function sendInput(view) {
  const { input } = view.nodes;
  const text = input.value;
  if (!text.trim() || view.model.get("streaming")) return;
  input.value = "";
  view.follow.pinned = true; // the reply to this is what the user wants to see
  view.send({ action: "send", text });
}

function wireInput(view) {
  const { model } = view;
  const { input } = view.nodes;
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendInput(view);
    }
  });
  input.addEventListener("input", () => {
    model.set("input_text", input.value);
    model.save_changes();
  });
}
