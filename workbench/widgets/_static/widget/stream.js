// A reply that is streaming, and the custom messages that carry it (and the rest: media, code,
// transcript patches, earlier messages, copied text).

// A reply that is streaming: plain-text elements per message id, created on first use.
function streamingEntry(view, id) {
  const { transcript } = view.nodes;
  let item = transcript.querySelector(`.wb-entry[data-id="${CSS.escape(id)}"]`);
  if (item) item.wbStreamed = true; // drawn again once the turn is over
  if (!item) {
    item = h("div", "wb-entry wb-entry-streaming");
    item.dataset.id = id;
    item.dataset.status = "streaming";
    item.appendChild(h("div", "wb-role", "assistant"));
    transcript.appendChild(item);
  }
  return item;
}

function part(item, className, tag) {
  let node = item.querySelector(`.${className.split(" ")[0]}`);
  if (!node) {
    node = h(tag || "div", className);
    item.appendChild(node);
  }
  return node;
}

// A reasoning model's thinking: a collapsed block above the reply's parts, created on first
// use; its text grows as plain text, like the reply's.
function thinkingText(item) {
  let block = item.querySelector(":scope > details.wb-thinking");
  if (!block) {
    block = h("details", "wb-thinking");
    block.append(h("summary", "", "Thinking…"), h("div", "wb-plain wb-thinking-text"));
    const answer = item.querySelector(
      ":scope > .wb-stream-text, :scope > .wb-stream-refusal, :scope > .wb-stream-json," +
        " :scope > .wb-tool-call",
    );
    item.insertBefore(block, answer); // null: last
  }
  return block.querySelector(".wb-thinking-text");
}

function toolCall(item, msg) {
  let call = item.querySelector(`.wb-tool-call[data-index="${msg.index}"]`);
  if (!call) {
    call = streamedToolCall(msg.name, msg.index);
    item.appendChild(call);
  }
  if (msg.type === "tool_args") call.querySelector(".wb-tool-args-text").textContent = msg.text;
}

// One streamed update of the reply with id `msg.id`.
function drawStreamed(view, msg) {
  const item = streamingEntry(view, msg.id);
  if (msg.type === "delta") {
    appendText(part(item, "wb-stream-text wb-plain"), msg.text);
  } else if (msg.type === "reasoning") {
    appendText(thinkingText(item), msg.text);
  } else if (msg.type === "refusal") {
    appendText(part(item, "wb-stream-refusal wb-refusal"), msg.text);
  } else if (msg.type === "json") {
    part(item, "wb-stream-json wb-code", "pre").textContent = msg.text;
  } else if (msg.type === "tool_call" || msg.type === "tool_args") {
    toolCall(item, msg);
  }
  followEnd(view);
}

function onCustom(view, msg, buffers) {
  if (!msg || typeof msg !== "object") return;
  if (msg.type === "media") return receiveMedia(view.model, msg, buffers);
  if (msg.type === "code") return showCode(view, msg);
  if (msg.type === "transcript") return applyPatch(view, msg); // drawn on change:transcript_rev
  if (msg.type === "earlier") return receiveEarlier(view, msg);
  if (msg.type === "diff") return showDiff(view, msg);
  if (msg.type === "copy") {
    const { transcript } = view.nodes;
    const item = transcript.querySelector(`.wb-entry[data-id="${CSS.escape(msg.id)}"]`);
    const node = item && item.querySelector(".wb-copy");
    if (node) copyText(msg.text, node);
    return;
  }
  if (!msg.id) return;
  drawStreamed(view, msg);
}
