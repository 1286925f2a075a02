// The front end of ConversationWidget: a plain ES module for anywidget.
//
// The transcript is drawn from the `messages_html` trait (HTML sanitized in Python). While a
// reply streams, custom messages carry only what changed: {type: "delta"} appends text,
// {type: "tool_call"} and {type: "tool_args"} show a running tool call. Streamed text is set
// with textContent, never as HTML; the sanitized HTML replaces it when the turn ends.
// Every control calls a Python method through model.send({action: ...}).

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  const root = h("div", "wb-widget");
  const header = h("div", "wb-controls");
  const badge = h("span", "wb-badge", "local model");
  const modelInput = h("input", "wb-model");
  modelInput.type = "text";
  modelInput.placeholder = "model";
  const temperature = h("input", "wb-temperature");
  Object.assign(temperature, { type: "range", min: "0", max: "2", step: "0.05" });
  const temperatureValue = h("span", "wb-temperature-value");
  const temperatureLabel = h("label", "", "temperature ");
  temperatureLabel.append(temperature, temperatureValue);
  header.append(badge, modelInput, temperatureLabel);

  const transcript = h("div", "wb-transcript");
  const error = h("div", "wb-error-line");
  const input = h("textarea", "wb-input");
  input.rows = 2;
  input.placeholder = "Message (Enter sends, Shift+Enter adds a line)";
  const sendButton = h("button", "wb-send", "Send");
  const stopButton = h("button", "wb-stop", "Stop");
  const inputRow = h("div", "wb-input-row");
  inputRow.append(input, sendButton, stopButton);
  const footer = h("div", "wb-footer");
  root.append(header, transcript, error, inputRow, footer);
  el.appendChild(root);

  // -- the transcript ----------------------------------------------------------------------

  function branchSwitcher(entry) {
    const [i, n] = entry.branch;
    const nav = h("span", "wb-branch");
    const prev = h("button", "", "<");
    const next = h("button", "", ">");
    prev.disabled = i <= 0;
    next.disabled = i >= n - 1;
    prev.onclick = () => model.send({ action: "switch", index: entry.index, branch: i - 1 });
    next.onclick = () => model.send({ action: "switch", index: entry.index, branch: i + 1 });
    nav.append(prev, h("span", "", ` ${i + 1}/${n} `), next);
    return nav;
  }

  function drawTranscript() {
    const entries = model.get("messages_html") || [];
    transcript.replaceChildren();
    const lastAssistant = entries.map((e) => e.role).lastIndexOf("assistant");
    entries.forEach((entry, k) => {
      const item = h("div", "wb-entry");
      item.dataset.id = entry.id;
      item.dataset.status = entry.status;
      const body = h("div", "wb-entry-body");
      body.innerHTML = entry.html; // sanitized in Python (nh3 allow-lists)
      item.appendChild(body);
      const actions = h("div", "wb-actions");
      if (entry.branch && entry.branch[1] > 1) actions.appendChild(branchSwitcher(entry));
      if (k === lastAssistant && !model.get("streaming")) {
        const again = h("button", "wb-regenerate", "Regenerate");
        again.onclick = () => model.send({ action: "regenerate" });
        actions.appendChild(again);
      }
      if (actions.childElementCount) item.appendChild(actions);
      transcript.appendChild(item);
    });
    transcript.scrollTop = transcript.scrollHeight;
  }

  // A reply that is streaming: a plain-text element per message id, created on first use.
  function streamingEntry(id) {
    let item = transcript.querySelector(`.wb-entry[data-id="${CSS.escape(id)}"]`);
    if (!item) {
      item = h("div", "wb-entry wb-entry-streaming");
      item.dataset.id = id;
      item.appendChild(h("div", "wb-role", "assistant"));
      transcript.appendChild(item);
    }
    let text = item.querySelector(".wb-stream-text");
    if (!text) {
      text = h("div", "wb-stream-text wb-plain");
      item.appendChild(text);
    }
    return item;
  }

  function onCustom(msg) {
    if (!msg || typeof msg !== "object") return;
    const item = msg.id ? streamingEntry(msg.id) : null;
    if (msg.type === "delta") {
      item.querySelector(".wb-stream-text").append(msg.text);
    } else if (msg.type === "tool_call" || msg.type === "tool_args") {
      let call = item.querySelector(`.wb-tool-call[data-index="${msg.index}"]`);
      if (!call) {
        call = h("div", "wb-tool-call wb-tool-running");
        call.dataset.index = msg.index;
        call.append(h("div", "wb-tool-name", msg.name || "tool"), h("pre", "wb-tool-args"));
        call.appendChild(h("div", "wb-tool-state", "running…"));
        item.appendChild(call);
      }
      if (msg.type === "tool_args") call.querySelector(".wb-tool-args").textContent = msg.text;
    }
    transcript.scrollTop = transcript.scrollHeight;
  }

  // -- controls ----------------------------------------------------------------------------

  function drawControls() {
    const params = model.get("params") || {};
    if (document.activeElement !== modelInput) modelInput.value = params.model ?? "";
    const t = params.temperature ?? 1;
    temperature.value = String(t);
    temperatureValue.textContent = params.temperature === undefined ? "default" : String(t);
    badge.hidden = !model.get("local_badge");
    const streaming = model.get("streaming");
    sendButton.disabled = streaming;
    stopButton.disabled = !streaming;
    error.textContent = model.get("error") || "";
    footer.textContent = model.get("usage_text") || "";
    if (document.activeElement !== input) input.value = model.get("input_text") || "";
  }

  function send() {
    const text = input.value;
    if (!text.trim() || model.get("streaming")) return;
    input.value = "";
    model.send({ action: "send", text });
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => {
    model.set("input_text", input.value);
    model.save_changes();
  });
  sendButton.onclick = send;
  stopButton.onclick = () => model.send({ action: "stop" });
  temperature.addEventListener("input", () => {
    temperatureValue.textContent = temperature.value;
  });
  temperature.addEventListener("change", () => {
    model.send({ action: "set_param", name: "temperature", value: Number(temperature.value) });
  });
  modelInput.addEventListener("change", () => {
    model.send({ action: "set_param", name: "model", value: modelInput.value.trim() });
  });

  const traits = ["params", "local_badge", "streaming", "error", "usage_text", "input_text"];
  const onTranscript = () => drawTranscript();
  const onControls = () => drawControls();
  model.on("change:messages_html", onTranscript);
  model.on("change:streaming", onTranscript);
  for (const name of traits) model.on(`change:${name}`, onControls);
  model.on("msg:custom", onCustom);
  drawTranscript();
  drawControls();

  return () => {
    model.off("change:messages_html", onTranscript);
    model.off("change:streaming", onTranscript);
    for (const name of traits) model.off(`change:${name}`, onControls);
    model.off("msg:custom", onCustom);
  };
}

export default { render };
