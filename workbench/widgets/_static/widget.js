// The front end of ConversationWidget: a plain ES module for anywidget.
//
// The transcript is drawn from the `messages_html` trait (HTML sanitized in Python): a window of
// the branch's last messages, changed by patches ({type: "transcript"}, see `applyPatch`), with
// older messages fetched on demand ("Show earlier messages") and collapsed again. While a
// reply streams, custom messages carry only what changed: {type: "delta"} appends text,
// {type: "reasoning"} appends a reasoning model's thinking to a collapsed "Thinking" block above
// the reply, {type: "refusal"} appends refusal text, {type: "json"} replaces a structured output's partial
// preview, {type: "tool_call"} and {type: "tool_args"} show a running tool call. Streamed text is
// set with textContent, never as HTML; the sanitized HTML replaces it when the turn ends.
// Every control calls a Python method through model.send({action: ...}); the controls are drawn
// from the `param_info` trait and follow `params` (changed from code or from another view).
// Media never travel in the HTML: a placeholder <span class="wb-media" data-wb-kind
// data-wb-hash> names an image or a recording by the sha256 of its bytes; the view asks the
// kernel for a hash once ({action: "media"}), the answer ({type: "media"}) carries the bytes as a
// binary buffer, and a Blob URL per hash is kept on the model for every view of this page.

const HASH = /^[0-9a-f]{64}$/;
// What a placeholder of each kind may become: the type must agree with the kind.
const PLAYABLE = {
  image: /^image\/(png|jpeg|gif|webp)$/,
  audio: /^audio\/(wav|mpeg|flac|ogg|aac)$/,
};

// The media of a model (shared by its views): hash -> {promise, resolve, done}.
function mediaCache(model) {
  if (!model.wbMedia) model.wbMedia = new Map();
  return model.wbMedia;
}

function receiveMedia(model, msg, buffers) {
  if (typeof msg.hash !== "string") return;
  const item = mediaCache(model).get(msg.hash);
  if (!item || item.done) return; // not asked for here, or another view took it already
  item.done = true;
  const buffer = buffers && buffers[0];
  const type = typeof msg.mime === "string" ? msg.mime : "";
  const allowed = PLAYABLE[msg.kind];
  if (msg.missing || !buffer || !allowed || !allowed.test(type)) return item.resolve(null);
  const url = URL.createObjectURL(new Blob([buffer], { type }));
  item.resolve({ url, type, kind: msg.kind });
}

// An image shown large over the page; a click anywhere or Escape closes it.
function openLightbox(img) {
  const overlay = h("div", "wb-lightbox");
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-label", img.alt || "image");
  overlay.tabIndex = -1;
  const big = h("img", "wb-lightbox-image");
  big.src = img.src;
  big.alt = img.alt;
  overlay.appendChild(big);
  const onKey = (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation(); // not JupyterLab's command mode
    close();
  };
  const close = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey, true);
  };
  overlay.addEventListener("click", close);
  document.addEventListener("keydown", onKey, true);
  document.body.appendChild(overlay);
  overlay.focus();
}

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

function labelled(text, control, className) {
  const label = h("label", `wb-field ${className || ""}`);
  label.append(h("span", "wb-field-name", text), control);
  return label;
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

function render({ model, el }) {
  const send = (content) => model.send(content);
  const root = h("div", "wb-widget");

  // -- header: badge, model, copy as code ---------------------------------------------------
  const header = h("div", "wb-header");
  const badge = h("span", "wb-badge", "local model");
  badge.title = "Replies come from workbench's offline local model, not a real model.";
  const modelInput = h("input", "wb-model");
  modelInput.type = "text";
  modelInput.placeholder = "model";
  const listId = `wb-models-${Math.random().toString(36).slice(2)}`;
  const modelList = h("datalist");
  modelList.id = listId;
  modelInput.setAttribute("list", listId);
  let modelsAsked = false;
  modelInput.addEventListener("focus", () => {
    if (!modelsAsked) send({ action: "models" });
    modelsAsked = true;
  });
  modelInput.addEventListener("change", () => {
    send({ action: "set_param", name: "model", value: modelInput.value.trim() });
  });
  const codeButton = button("wb-code-button", "Copy as code", "The next request as code", () =>
    send({ action: "code", text: input.value }),
  );
  header.append(badge, labelled("model", modelInput), modelList, codeButton);

  // -- the main area: transcript beside the settings ------------------------------------------
  const main = h("div", "wb-main");
  const left = h("div", "wb-left");
  const transcript = h("div", "wb-transcript");
  const approvals = h("div", "wb-approvals");
  const codePanel = h("div", "wb-code-panel");
  codePanel.hidden = true;
  const error = h("div", "wb-error-line");
  const input = h("textarea", "wb-input");
  input.rows = 2;
  input.placeholder = "Message (Enter sends, Shift+Enter adds a line)";
  const sendButton = button("wb-send", "Send", "Send (Enter)", () => sendInput());
  const stopButton = button("wb-stop", "Stop", "Stop the reply; what arrived stays", () =>
    send({ action: "stop" }),
  );
  const inputRow = h("div", "wb-input-row");
  inputRow.append(input, sendButton, stopButton);
  const footer = h("div", "wb-footer");
  left.append(transcript, approvals, codePanel, error, inputRow, footer);

  const settings = h("details", "wb-settings");
  settings.open = true;
  settings.appendChild(h("summary", "", "Parameters"));
  const settingsBody = h("div", "wb-settings-body");
  settings.appendChild(settingsBody);
  main.append(left, settings);
  root.append(header, main);
  el.appendChild(root);

  // -- the transcript ------------------------------------------------------------------------

  function branchSwitcher(entry) {
    const [i, n] = entry.branch;
    const nav = h("span", "wb-branch");
    const prev = button("", "<", "Previous version", () =>
      send({ action: "switch", index: entry.index, branch: i - 1 }),
    );
    const next = button("", ">", "Next version", () =>
      send({ action: "switch", index: entry.index, branch: i + 1 }),
    );
    prev.disabled = i <= 0;
    next.disabled = i >= n - 1;
    nav.append(prev, h("span", "", ` ${i + 1}/${n} `), next);
    return nav;
  }

  function editor(item, entry) {
    const box = h("div", "wb-edit");
    const area = h("textarea", "wb-edit-text");
    area.value = entry.text || "";
    area.rows = Math.min(10, Math.max(2, area.value.split("\n").length));
    const save = button("wb-edit-save", "Save and send", "Replace the message and ask again", () =>
      send({ action: "edit", index: entry.index, text: area.value }),
    );
    const cancel = button("wb-edit-cancel", "Cancel", "", () => {
      nodes.delete(entry);
      drawTranscript();
    });
    box.append(area, save, cancel);
    item.querySelector(".wb-entry-body").replaceChildren(box);
    area.focus();
  }

  // The window. The kernel sends each change as a patch {base, rev, drop, keep, entries}: the
  // new window is old[drop:drop + keep] + entries. The first view of the model to get it splices
  // the model's array in place, so every view, and one made later in this page, reads the same
  // window without the kernel sending it again; `wbRev` marks the array's revision (a whole copy
  // from the kernel has none: it is `transcript_base`'s). A view that finds the array behind
  // `transcript_rev` (a patch sent while no view was there) asks for the whole window.
  const revision = (entries) => entries.wbRev ?? model.get("transcript_base");

  function currentEntries() {
    const entries = model.get("messages_html") || [];
    if (revision(entries) !== model.get("transcript_rev") && !entries.wbAsked) {
      entries.wbAsked = true; // once per stale array, however many views
      send({ action: "resync" });
    }
    return entries;
  }

  function applyPatch(msg) {
    const entries = model.get("messages_html") || [];
    const rev = revision(entries);
    if (rev === msg.rev) return; // another view of this model applied it
    if (rev !== msg.base) return; // behind: drawing it asks for the whole window
    const kept = entries.slice(msg.drop, msg.drop + msg.keep);
    entries.splice(0, entries.length, ...kept, ...msg.entries);
    entries.wbRev = msg.rev;
  }

  const nodes = new WeakMap(); // entry -> its element, reused while the entry is unchanged
  let earlierEntries = []; // fetched on demand, before the window (this view only)
  let earlierLeft = 0; // messages still before those
  let drawnWindow = [];
  let asked = null; // the id of this view's pending "earlier" request

  const earlierBar = h("div", "wb-earlier");
  const showEarlier = button("wb-show-earlier", "", "Show earlier messages", () => {
    const first = earlierEntries[0] || currentEntries()[0];
    if (!first) return;
    asked = Math.random().toString(36).slice(2);
    send({ action: "earlier", before: first.index, request: asked });
  });
  const hideEarlier = button("wb-hide-earlier", "Hide earlier messages", "", () => {
    earlierEntries = [];
    drawTranscript();
  });
  earlierBar.append(showEarlier, hideEarlier);

  // -- media: placeholders filled with what the kernel sends once per hash ------------------

  function fetchMedia(hash) {
    const cache = mediaCache(model);
    let item = cache.get(hash);
    if (!item) {
      item = { done: false };
      item.promise = new Promise((resolve) => {
        item.resolve = resolve;
      });
      cache.set(hash, item);
      send({ action: "media", hash });
    }
    return item.promise;
  }

  function fillMedia(root) {
    for (const node of root.querySelectorAll(".wb-media[data-wb-hash]")) {
      const kind = node.dataset.wbKind;
      const hash = node.dataset.wbHash;
      if (node.wbFilled || !HASH.test(hash) || !PLAYABLE[kind]) continue;
      if (node.classList.contains("wb-chip")) continue; // not served: a label only
      node.wbFilled = true;
      const label = node.textContent.trim();
      fetchMedia(hash).then((got) => {
        if (!got || got.kind !== kind || !PLAYABLE[kind].test(got.type)) {
          node.classList.add("wb-media-missing");
          return;
        }
        let shown;
        if (kind === "image") {
          shown = h("img", "wb-thumb");
          shown.alt = `image: ${label}`;
          shown.title = `${label} (click to enlarge)`;
        } else {
          shown = h("audio", "wb-audio");
          shown.controls = true;
          shown.preload = "metadata";
          shown.title = label;
        }
        // A transcript scrolled to its end stays there as the media take their room.
        const atEnd = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
        const follow = () => {
          if (atEnd) transcript.scrollTop = transcript.scrollHeight;
        };
        shown.addEventListener(kind === "image" ? "load" : "loadedmetadata", follow, { once: true });
        shown.src = got.url;
        node.prepend(shown);
        follow();
      });
    }
  }

  transcript.addEventListener("click", (event) => {
    const img = event.target instanceof Element ? event.target.closest("img.wb-thumb") : null;
    if (img && transcript.contains(img)) openLightbox(img);
  });

  function entryNode(entry) {
    let item = nodes.get(entry);
    if (item && !(item.wbStreamed && !model.get("streaming"))) return item;
    item = h("div", `wb-entry wb-entry-${entry.role}`);
    item.dataset.id = entry.id;
    item.dataset.status = entry.status;
    const body = h("div", "wb-entry-body");
    // A thinking block the user opened stays open when the entry is drawn again.
    const id = CSS.escape(entry.id);
    const opened = transcript.querySelector(`.wb-entry[data-id="${id}"] details.wb-thinking`);
    body.innerHTML = entry.html; // sanitized in Python (nh3 allow-lists)
    if (opened && opened.open) {
      const thinking = body.querySelector("details.wb-thinking");
      if (thinking) thinking.open = true;
    }
    fillMedia(body);
    item.appendChild(body);
    const actions = h("div", "wb-actions");
    if (entry.branch && entry.branch[1] > 1) actions.appendChild(branchSwitcher(entry));
    const copy = button("wb-copy", "Copy", "Copy the text", () => {
      if (entry.text !== undefined) copyText(entry.text, copy);
      else send({ action: "copy", id: entry.id }); // a reply's text comes back as "copy"
    });
    actions.appendChild(copy);
    if (entry.role === "user") {
      item.wbEdit = button("wb-edit-button", "Edit", "", () => editor(item, entry));
      actions.appendChild(item.wbEdit);
    } else if (entry.role === "assistant") {
      item.wbRegenerate = button(
        "wb-regenerate",
        "Regenerate",
        "Ask again; this reply stays as a version",
        () => send({ action: "regenerate" }),
      );
      actions.appendChild(item.wbRegenerate);
    }
    item.appendChild(actions);
    nodes.set(entry, item);
    return item;
  }

  function drawTranscript(keepScroll) {
    const entries = currentEntries();
    const streaming = model.get("streaming");
    // The window slid: what left it stays with the earlier messages shown, if any are.
    if (earlierEntries.length) {
      const at = entries.length ? drawnWindow.findIndex((e) => e.id === entries[0].id) : -1;
      if (at > 0) earlierEntries = earlierEntries.concat(drawnWindow.slice(0, at));
      else if (at < 0) earlierEntries = []; // another branch: collapse
    }
    drawnWindow = entries.slice();
    const shown = earlierEntries.concat(entries);
    const lastAssistant = shown.map((e) => e.role).lastIndexOf("assistant");
    const left = earlierEntries.length ? earlierLeft : model.get("earlier") || 0;
    showEarlier.textContent = `Show earlier messages (${left})`;
    showEarlier.hidden = left <= 0;
    hideEarlier.hidden = !earlierEntries.length;
    earlierBar.hidden = showEarlier.hidden && hideEarlier.hidden;
    const items = shown.map((entry, k) => {
      const item = entryNode(entry);
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
    const wanted = [earlierBar, ...items, ...live];
    const current = transcript.children;
    if (current.length !== wanted.length || wanted.some((node, i) => current[i] !== node)) {
      const fromBottom = transcript.scrollHeight - transcript.scrollTop;
      transcript.replaceChildren(...wanted);
      if (keepScroll) {
        transcript.scrollTop = transcript.scrollHeight - fromBottom;
        return;
      }
    }
    if (!keepScroll) transcript.scrollTop = transcript.scrollHeight;
  }

  // A reply that is streaming: plain-text elements per message id, created on first use.
  function streamingEntry(id) {
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

  // Streamed text grows one text node: no DOM node per token, however long the reply.
  function appendText(node, text) {
    const last = node.lastChild;
    if (last && last.nodeType === Node.TEXT_NODE) last.appendData(text);
    else node.appendChild(document.createTextNode(text));
  }

  function onCustom(msg, buffers) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "media") return receiveMedia(model, msg, buffers);
    if (msg.type === "code") return showCode(msg);
    if (msg.type === "transcript") return applyPatch(msg); // drawn on change:transcript_rev
    if (msg.type === "earlier") {
      if (msg.request !== asked) return; // another view asked
      asked = null;
      earlierEntries = (msg.entries || []).concat(earlierEntries);
      earlierLeft = msg.earlier || 0;
      return drawTranscript(true);
    }
    if (msg.type === "copy") {
      const item = transcript.querySelector(`.wb-entry[data-id="${CSS.escape(msg.id)}"]`);
      const node = item && item.querySelector(".wb-copy");
      if (node) copyText(msg.text, node);
      return;
    }
    if (!msg.id) return;
    const item = streamingEntry(msg.id);
    if (msg.type === "delta") {
      appendText(part(item, "wb-stream-text wb-plain"), msg.text);
    } else if (msg.type === "reasoning") {
      appendText(thinkingText(item), msg.text);
    } else if (msg.type === "refusal") {
      appendText(part(item, "wb-stream-refusal wb-refusal"), msg.text);
    } else if (msg.type === "json") {
      part(item, "wb-stream-json wb-code", "pre").textContent = msg.text;
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

  // -- tool approval -------------------------------------------------------------------------

  function drawApprovals() {
    approvals.replaceChildren();
    for (const pending of model.get("pending") || []) {
      const box = h("div", "wb-approval");
      box.dataset.callId = pending.call_id;
      box.appendChild(h("div", "wb-approval-title", `Run tool ${pending.name}?`));
      const args = h("textarea", "wb-approval-args");
      args.value = pending.arguments;
      args.rows = Math.min(12, pending.arguments.split("\n").length + 1);
      const answer = h("input", "wb-approval-answer");
      answer.type = "text";
      answer.placeholder = "…or answer for the tool";
      const decide = (decision, value) =>
        send({ action: "decide", call_id: pending.call_id, decision, value });
      const row = h("div", "wb-approval-buttons");
      row.append(
        button("wb-approve", "Approve", "Run it with these arguments", () =>
          decide("approve", args.value),
        ),
        button("wb-deny", "Deny", "Do not run it; the model is told", () => decide("deny")),
        answer,
        button("wb-answer", "Answer", "Do not run it; the model gets this answer", () =>
          decide("answer", answer.value),
        ),
      );
      box.append(args, row);
      approvals.appendChild(box);
    }
  }

  // -- copy as code --------------------------------------------------------------------------

  function showCode(msg) {
    codePanel.replaceChildren();
    const tabs = h("div", "wb-code-tabs");
    const pre = h("pre", "wb-code wb-code-snippet");
    const copy = button("wb-copy", "Copy", "", () => copyText(pre.textContent, copy));
    const close = button("wb-code-close", "Close", "", () => {
      codePanel.hidden = true;
    });
    for (const flavor of ["workbench", "openai", "curl"]) {
      const tab = button("wb-code-tab", flavor, `The request with ${flavor}`, () => {
        pre.textContent = msg[flavor];
        for (const other of tabs.children) other.classList.toggle("wb-active", other === tab);
      });
      tabs.appendChild(tab);
    }
    tabs.append(copy, close);
    codePanel.append(tabs, pre);
    codePanel.hidden = false;
    tabs.firstChild.click();
  }

  // -- parameter controls --------------------------------------------------------------------

  const controls = {}; // name -> {node, show(value)}
  const setParam = (name, value) => send({ action: "set_param", name, value });

  function numberControl(name, info) {
    const [low, high] = info.range || [null, null];
    const wrap = h("span", "wb-number");
    let field;
    if (low !== null && high !== null && info.type === "number") {
      field = h("input", `wb-param-${name} wb-${name.replace(/_/g, "-")}`);
      Object.assign(field, { type: "range", min: String(low), max: String(high) });
      field.step = String((high - low) / 40);
      const shown = h("span", "wb-value");
      field.addEventListener("input", () => {
        shown.textContent = field.value;
      });
      field.addEventListener("change", () => setParam(name, Number(field.value)));
      wrap.append(field, shown);
      controls[name] = {
        show(value) {
          field.value = String(value ?? (low + high) / 2);
          shown.textContent = value === undefined ? "default" : String(value);
        },
      };
    } else {
      field = h("input", `wb-param-${name} wb-${name.replace(/_/g, "-")}`);
      field.type = "number";
      if (info.type === "integer") field.step = "1";
      if (low !== null) field.min = String(low);
      if (high !== null) field.max = String(high);
      field.placeholder = "default";
      field.addEventListener("change", () =>
        setParam(name, field.value === "" ? null : Number(field.value)),
      );
      wrap.append(field);
      controls[name] = {
        show(value) {
          if (document.activeElement !== field) field.value = value === undefined ? "" : value;
        },
      };
    }
    const reset = button("wb-reset", "×", "Back to the server's default", () =>
      setParam(name, null),
    );
    wrap.appendChild(reset);
    return wrap;
  }

  function choiceControl(name, choices, toValue, fromValue) {
    const select = h("select", `wb-param-${name} wb-${name.replace(/_/g, "-")}`);
    const fill = (options) => {
      const current = select.value;
      select.replaceChildren(h("option", "", "default"));
      select.firstChild.value = "";
      for (const [value, text] of options) {
        const option = h("option", "", text);
        option.value = value;
        select.appendChild(option);
      }
      select.value = current;
    };
    fill(choices.map((c) => [c, c]));
    select.addEventListener("change", () =>
      setParam(name, toValue ? toValue(select.value) : select.value || null),
    );
    controls[name] = {
      fill,
      show(value) {
        const key = fromValue ? fromValue(value) : value;
        select.value = key === undefined || key === null ? "" : String(key);
      },
    };
    return select;
  }

  // response_format: default / text / json_object / json_schema (an editor) / a pydantic model.
  function responseFormatControl() {
    const wrap = h("span", "wb-response-format");
    const select = h("select", "wb-param-response_format wb-response-format-kind");
    const schema = h("textarea", "wb-schema");
    schema.rows = 6;
    schema.placeholder = '{"type": "object", "properties": {...}}';
    const apply = button("wb-schema-apply", "Apply schema", "", () => {
      let parsed;
      try {
        parsed = JSON.parse(schema.value);
      } catch (err) {
        error.textContent = `response_format: the schema is not valid JSON: ${err.message}`;
        return;
      }
      setParam("response_format", parsed);
    });
    const editor = h("div", "wb-schema-editor");
    editor.append(schema, apply);
    editor.hidden = true;
    const fill = () => {
      const current = select.value;
      select.replaceChildren();
      for (const [value, text] of [
        ["", "default"],
        ["text", "text"],
        ["json_object", "json_object"],
        ["json_schema", "json_schema…"],
      ]) {
        const option = h("option", "", text);
        option.value = value;
        select.appendChild(option);
      }
      for (const name of model.get("response_models") || []) {
        const option = h("option", "", `pydantic: ${name}`);
        option.value = `pydantic:${name}`;
        select.appendChild(option);
      }
      select.value = current;
    };
    select.addEventListener("focus", () => {
      if (!modelsAsked) send({ action: "models" });
      modelsAsked = true;
    });
    select.addEventListener("change", () => {
      const value = select.value;
      editor.hidden = value !== "json_schema";
      if (value === "json_schema") return; // waits for Apply
      if (value.startsWith("pydantic:")) {
        setParam("response_format", { pydantic: value.slice("pydantic:".length) });
      } else {
        setParam("response_format", value || null);
      }
    });
    fill();
    wrap.append(select, editor);
    controls.response_format = {
      fill,
      show(value) {
        let kind = "";
        if (typeof value === "string") kind = value;
        else if (value && value.type === "json_schema") {
          kind = "json_schema";
          const spec = value.json_schema || {};
          if (document.activeElement !== schema) {
            schema.value = JSON.stringify(spec.schema || {}, null, 2);
          }
        } else if (value && value.type) kind = value.type;
        if (document.activeElement !== select) select.value = kind;
        editor.hidden = kind !== "json_schema";
      },
    };
    return wrap;
  }

  const systemBox = h("textarea", "wb-system");
  systemBox.rows = 3;
  systemBox.placeholder = "system prompt";
  systemBox.addEventListener("change", () => send({ action: "set_system", text: systemBox.value }));
  const toolsBox = h("div", "wb-tools");

  function buildControls() {
    const info = model.get("param_info") || {};
    settingsBody.replaceChildren(labelled("system", systemBox, "wb-field-wide"));
    for (const [name, spec] of Object.entries(info)) {
      if (name === "model") continue; // in the header
      let control;
      if (name === "response_format") control = responseFormatControl();
      else if (name === "tool_choice") {
        control = choiceControl(
          name,
          ["auto", "none", "required"],
          (v) => (v.startsWith("tool:") ? { type: "function", function: { name: v.slice(5) } } : v || null),
          (v) => (v && typeof v === "object" ? `tool:${(v.function || {}).name}` : v),
        );
      } else if (spec.type === "choice") control = choiceControl(name, spec.choices || []);
      else if (spec.type === "number" || spec.type === "integer") {
        control = numberControl(name, spec);
      } else continue;
      const field = labelled(name.replace(/_/g, " "), control);
      field.title = spec.description || "";
      settingsBody.appendChild(field);
    }
    settingsBody.appendChild(labelled("tools", toolsBox, "wb-field-wide"));
  }

  function drawTools() {
    const tools = model.get("tools") || [];
    toolsBox.replaceChildren();
    if (!tools.length) toolsBox.appendChild(h("span", "wb-muted", "none registered"));
    for (const tool of tools) {
      const toggle = h("input", "wb-tool-toggle");
      toggle.type = "checkbox";
      toggle.checked = tool.enabled;
      toggle.dataset.name = tool.name;
      toggle.addEventListener("change", () =>
        send({ action: "set_tool", name: tool.name, enabled: toggle.checked }),
      );
      const row = h("label", "wb-tool-row");
      row.title = tool.description;
      row.append(toggle, h("span", "", ` ${tool.name}`));
      toolsBox.appendChild(row);
    }
    const choice = controls.tool_choice;
    if (choice) choice.fill([["auto", "auto"], ["none", "none"], ["required", "required"],
      ...tools.map((t) => [`tool:${t.name}`, `tool: ${t.name}`])]);
  }

  function drawControls() {
    const compact = model.get("compact");
    header.hidden = compact;
    settings.hidden = compact;
    inputRow.hidden = compact;
    const params = model.get("params") || {};
    if (document.activeElement !== modelInput) modelInput.value = params.model ?? "";
    for (const [name, control] of Object.entries(controls)) control.show(params[name]);
    if (document.activeElement !== systemBox) systemBox.value = model.get("system") || "";
    badge.hidden = !model.get("local_badge");
    const streaming = model.get("streaming");
    sendButton.disabled = streaming;
    stopButton.disabled = !streaming;
    error.textContent = model.get("error") || "";
    footer.textContent = model.get("usage_text") || "";
    if (document.activeElement !== input) input.value = model.get("input_text") || "";
  }

  function drawModels() {
    modelList.replaceChildren(
      ...(model.get("models") || []).map((id) => {
        const option = h("option");
        option.value = id;
        return option;
      }),
    );
    if (controls.response_format) controls.response_format.fill();
    drawControls();
  }

  function sendInput() {
    const text = input.value;
    if (!text.trim() || model.get("streaming")) return;
    input.value = "";
    send({ action: "send", text });
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendInput();
    }
  });
  input.addEventListener("input", () => {
    model.set("input_text", input.value);
    model.save_changes();
  });

  const handlers = [
    ["change:messages_html", () => drawTranscript()],
    ["change:transcript_rev", () => drawTranscript()],
    ["change:earlier", () => drawTranscript()],
    ["change:streaming", () => drawTranscript()],
    ["change:pending", drawApprovals],
    ["change:tools", () => { drawTools(); drawControls(); }],
    ["change:models", drawModels],
    ["change:response_models", drawModels],
    ["change:param_info", () => { buildControls(); drawTools(); drawControls(); }],
  ];
  for (const name of ["params", "system", "local_badge", "streaming", "error", "usage_text",
    "input_text", "compact"]) {
    handlers.push([`change:${name}`, drawControls]);
  }
  handlers.push(["msg:custom", onCustom]);
  for (const [name, handler] of handlers) model.on(name, handler);
  buildControls();
  drawTools();
  drawTranscript();
  drawApprovals();
  drawControls();

  return () => {
    for (const [name, handler] of handlers) model.off(name, handler);
  };
}

export default { render };
