// The front end of GridTable: a progress bar and Stop while the grid runs, a summary when it
// ends, and a table whose cells stream.
//
// The `cells` trait is the durable table (synced about once a second while the grid runs, and
// at the end); custom messages carry what changed in between: {type: "start"} and {type: "end"}
// for a cell's status, {type: "delta", id, text} for its streamed text, {type: "full", i, text}
// for the whole reply of a cell the user opened. A cell shows the start of its reply (CSS
// clamps it with an ellipsis); a click, or Enter/Space on the focused text, opens it fully and
// closes it again; its "Conversation" button shows the cell's transcript below the table.
// A graded cell shows a mark per grader (its score or label, and ✓ pass, ✗ fail, ! failed
// grade); opened, it asks for its whole reply with the graders' reasoning ({type: "full",
// grades}) and shows them under the reply.
// Output is set with textContent only: model output is never parsed as HTML here.
//
// A piece of the ES module that `workbench/widgets/_esm.py` joins after `common.js` (`h`,
// `button`): no import, no export.

const PREVIEW = 400;

// -- the bar: progress and Stop while running, the summary at the end ---------------------------

function drawBar(state) {
  const { model, bar } = state;
  const summary = model.get("summary") || {};
  const ended = !model.get("running") && Object.keys(summary).length > 0;
  bar.meter.hidden = ended;
  bar.stop.hidden = !model.get("running");
  bar.root.dataset.ended = ended ? "true" : "false";
  bar.counts.textContent = ended ? summaryText(summary) : progressText(state);
}

// Counts come from the cells as drawn (exact at every message); rate and ETA from Python's
// `progress` (updated a few times a second).
function progressText(state) {
  const { model, slots, bar } = state;
  const p = model.get("progress") || {};
  const count = { done: 0, running: 0, cut: 0, error: 0, incomplete: 0, stopped: 0 };
  for (const slot of slots.values()) {
    const status = slot.status;
    if (status === "running") count.running += 1;
    else if (status !== "pending") count.done += 1;
    if (status in count && status !== "done") count[status] += 1;
    if (status === "cancelled" || status === "skipped") count.stopped += 1;
  }
  bar.meter.max = slots.size || 1;
  bar.meter.value = count.done;
  // A batch answers its requests long before its cells fill (at the merge): the meter shows
  // whichever has got further.
  const [answered, requests] = p.batch_requests || [0, 0];
  if (requests && answered / requests > count.done / bar.meter.max) {
    bar.meter.max = requests;
    bar.meter.value = answered;
  }
  const parts = [`${count.done}/${slots.size} cells`];
  if (count.running) parts.push(`${count.running} running`);
  if (count.cut) parts.push(`${count.cut} cut`);
  if (count.error) parts.push(`${count.error} error${count.error === 1 ? "" : "s"}`);
  if (count.incomplete) parts.push(`${count.incomplete} incomplete`);
  if (count.stopped) parts.push(`${count.stopped} not run`);
  if (p.rate) parts.push(`${p.rate}/s`);
  if (p.eta !== null && p.eta !== undefined && model.get("running")) parts.push(`ETA ${p.eta} s`);
  if (p.batches) parts.push(p.batches);
  return parts.join(" · ");
}

const STATUS_ORDER = [
  "done", "cut", "incomplete", "error", "cancelled", "skipped", "running", "pending",
];

function summaryText(summary) {
  const counts = summary.counts || {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const parts = [`${total} cells ended:`];
  const byStatus = STATUS_ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
  parts.push(byStatus.join(", "));
  if (summary.cost_usd !== null && summary.cost_usd !== undefined) {
    const unpriced = summary.unpriced ? ` (+${summary.unpriced} unpriced)` : "";
    parts.push(`· $${Number(summary.cost_usd).toFixed(4)}${unpriced}`);
  } else {
    parts.push("· cost unknown");
  }
  if (summary.judge_cost_usd !== null && summary.judge_cost_usd !== undefined) {
    parts.push(`(judges $${Number(summary.judge_cost_usd).toFixed(4)})`);
  }
  if (summary.seconds !== null && summary.seconds !== undefined) {
    parts.push(`· ${summary.seconds} s`);
  }
  for (const [name, [passed, graded]] of Object.entries(summary.passes || {})) {
    parts.push(`· ${name} ${passed}/${graded} passed`);
  }
  return parts.join(" ");
}

// -- grades -------------------------------------------------------------------------------------

const MARKS = { pass: "✓", fail: "✗", none: "", error: "!" };

function verdict(grade) {
  if (grade.error) return "error";
  if (grade.passed === true) return "pass";
  if (grade.passed === false) return "fail";
  return "none";
}

function gradeValue(grade) {
  if (grade.label) return grade.label;
  return grade.score === null || grade.score === undefined ? "" : String(grade.score);
}

// The marks under a cell's text: one per grader, its verdict as a symbol and a border colour.
function drawGrades(slot, grades) {
  slot.grades = grades || [];
  slot.marks.replaceChildren();
  slot.marks.hidden = slot.grades.length === 0;
  for (const grade of slot.grades) {
    const kind = verdict(grade);
    const value = kind === "error" ? "failed" : gradeValue(grade);
    const text = [MARKS[kind], grade.name, value].filter(Boolean).join(" ");
    const mark = h("span", "wbg-grade", text);
    mark.dataset.verdict = kind;
    mark.title = grade.error || `${grade.name}: ${value}${kind === "none" ? "" : ` (${kind})`}`;
    slot.marks.appendChild(mark);
  }
}

// An opened cell's verdicts: each grader's score, spread and agreement, reasoning or error.
function drawVerdicts(slot, grades) {
  slot.verdicts.replaceChildren();
  for (const grade of grades || []) {
    const row = h("div", "wbg-verdict");
    row.dataset.verdict = verdict(grade);
    const facts = [gradeValue(grade)];
    if (grade.spread !== null && grade.spread !== undefined && grade.agreement) {
      facts.push(`spread ${Number(grade.spread).toFixed(2)}`);
      facts.push(`agreement ${Math.round(grade.agreement * 100)}%`);
    }
    const head = `${MARKS[verdict(grade)]} ${grade.name} ${facts.filter(Boolean).join(" · ")}`;
    row.append(h("div", "wbg-verdict-head", head.trim()));
    const why = grade.error || grade.reasoning;
    if (why) row.append(h("div", "wbg-verdict-why", why));
    slot.verdicts.appendChild(row);
  }
}

function wantsFull(slot) {
  return slot.open && slot.full === null && (slot.cut || slot.grades.length > 0);
}

// -- one cell -----------------------------------------------------------------------------------

function drawCell(state, slot, cell) {
  slot.status = cell.status;
  slot.node.dataset.status = cell.status;
  slot.node.title = cell.error || "";
  slot.state.textContent = cell.status === "done" ? "" : cell.status;
  if (cell.cut !== undefined) slot.cut = cell.cut;
  // The status is the word in the cell's head: an error shows its message, a cancelled cell
  // the partial reply it kept, a skipped one why it was not sent.
  if (cell.status === "error" || (cell.error && !cell.text && cell.status !== "incomplete")) {
    slot.text.textContent = cell.error || "";
  } else if (cell.text !== undefined && !(slot.open && slot.full !== null)) {
    slot.text.textContent = cell.text;
  }
  if (cell.text !== undefined || cell.grades !== undefined) drawGrades(slot, cell.grades);
  if (wantsFull(slot)) askFull(state, slot);
}

function askFull(state, slot) {
  if (slot.asked) return;
  slot.asked = true;
  state.model.send({ action: "text", i: slot.i });
}

function toggleCell(state, slot) {
  slot.open = !slot.open;
  slot.node.classList.toggle("wbg-open", slot.open);
  slot.text.setAttribute("aria-expanded", slot.open ? "true" : "false");
  if (slot.open && slot.full !== null) slot.text.textContent = slot.full;
  slot.verdicts.hidden = !slot.open || slot.verdicts.childElementCount === 0;
  if (wantsFull(slot)) askFull(state, slot);
}

function makeCell(state, cell, repeats) {
  const node = h("div", "wbg-cell");
  node.dataset.i = cell.i;
  const head = h("div", "wbg-cell-head");
  if (repeats > 1) head.appendChild(h("span", "wbg-repeat", `#${cell.repeat + 1}`));
  const status = h("span", "wbg-state");
  const open = button("wbg-chat", "Conversation", "Show this cell's conversation below", () =>
    state.model.send({ action: "open", i: cell.i }),
  );
  head.append(status);
  const text = h("div", "wbg-text");
  text.tabIndex = 0;
  text.setAttribute("role", "button");
  text.setAttribute("aria-expanded", "false");
  text.title = "Open or close the whole reply (Enter)";
  const marks = h("div", "wbg-grades");
  const verdicts = h("div", "wbg-verdicts");
  verdicts.hidden = true;
  node.append(head, text, marks, verdicts, open);
  const slot = {
    i: cell.i, node, text, marks, verdicts, grades: [],
    state: status, open: false, full: null, asked: false,
  };
  text.onclick = () => toggleCell(state, slot);
  text.onkeydown = (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      toggleCell(state, slot);
    }
  };
  drawCell(state, slot, cell);
  return slot;
}

// -- the table ----------------------------------------------------------------------------------

function drawTable(state) {
  const { model, table, slots } = state;
  const rows = model.get("row_labels") || [];
  const columns = model.get("column_labels") || [];
  const repeats = model.get("repeats") || 1;
  const opened = new Map([...slots].filter(([, s]) => s.open).map(([i, s]) => [i, s]));
  table.replaceChildren();
  slots.clear();
  const head = h("tr");
  head.appendChild(h("th", "wbg-corner", ""));
  for (const label of columns) head.appendChild(h("th", "wbg-col", label));
  table.appendChild(h("thead")).appendChild(head);
  const grid = rows.map(() => columns.map(() => []));
  for (const cell of model.get("cells") || []) {
    if (grid[cell.row] && grid[cell.row][cell.column]) grid[cell.row][cell.column].push(cell);
  }
  const body = table.appendChild(h("tbody"));
  rows.forEach((label, r) => {
    const tr = h("tr");
    tr.appendChild(h("th", "wbg-row")).appendChild(h("div", "wbg-label", label));
    columns.forEach((_, c) => {
      const td = h("td", "wbg-td");
      for (const cell of grid[r][c].sort((a, b) => a.repeat - b.repeat)) {
        const slot = makeCell(state, cell, repeats);
        const before = opened.get(cell.i);
        if (before) Object.assign(slot, { full: before.full, asked: before.asked });
        if (before) slot.verdicts.replaceChildren(...before.verdicts.childNodes);
        if (before) toggleCell(state, slot);
        slots.set(cell.i, slot);
        td.appendChild(slot.node);
      }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  drawSelected(state);
  drawBar(state);
}

function drawSelected(state) {
  const selected = state.model.get("selected");
  for (const [i, slot] of state.slots) slot.node.classList.toggle("wbg-selected", i === selected);
}

function onCustom(state, msg) {
  if (!msg || typeof msg !== "object") return;
  const i = msg.type === "delta" ? Number(msg.id) : msg.i;
  const slot = state.slots.get(i);
  if (!slot) return;
  if (msg.type === "delta") {
    const text = (slot.full ?? slot.text.textContent) + msg.text;
    if (slot.full !== null) slot.full = text;
    slot.cut = slot.cut || text.length > PREVIEW;
    const shown = slot.full === null && text.length > PREVIEW;
    slot.text.textContent = shown ? `${text.slice(0, PREVIEW - 1)}…` : text;
    slot.status = slot.node.dataset.status = "running";
    if (wantsFull(slot)) askFull(state, slot);
  } else if (msg.type === "start") {
    Object.assign(slot, { full: null, asked: false, cut: false });
    drawVerdicts(slot, []);
    slot.verdicts.hidden = true;
    drawCell(state, slot, { status: "running", text: "" });
  } else if (msg.type === "end") {
    Object.assign(slot, { full: null, asked: false });
    drawCell(state, slot, msg);
  } else if (msg.type === "full") {
    slot.full = msg.text;
    drawVerdicts(slot, msg.grades);
    slot.verdicts.hidden = !slot.open || !(msg.grades || []).length;
    if (slot.open) slot.text.textContent = msg.text;
  }
  if (msg.type !== "delta") drawBar(state);
}

function render({ model, el }) {
  const root = h("div", "wbg-grid");
  const bar = { root: h("div", "wbg-bar"), meter: h("progress", "wbg-progress") };
  bar.counts = h("span", "wbg-counts");
  bar.counts.setAttribute("aria-live", "polite");
  bar.stop = button("wbg-stop", "Stop", "Cancel the cells not finished; the finished ones stay", () =>
    model.send({ action: "stop" }),
  );
  bar.root.append(bar.meter, bar.counts, bar.stop);
  const scroller = h("div", "wbg-scroll");
  const table = h("table", "wbg-table");
  scroller.appendChild(table);
  root.append(bar.root, scroller);
  el.appendChild(root);
  const state = { model, bar, table, slots: new Map() };

  const handlers = [
    ["change:cells", () => drawTable(state)],
    ["change:row_labels", () => drawTable(state)],
    ["change:column_labels", () => drawTable(state)],
    ["change:repeats", () => drawTable(state)],
    ["change:selected", () => drawSelected(state)],
    ["change:progress", () => drawBar(state)],
    ["change:running", () => drawBar(state)],
    ["change:summary", () => drawBar(state)],
    ["msg:custom", (msg) => onCustom(state, msg)],
  ];
  for (const [name, fn] of handlers) model.on(name, fn);
  drawTable(state);
  return () => {
    for (const [name, fn] of handlers) model.off(name, fn);
  };
}
