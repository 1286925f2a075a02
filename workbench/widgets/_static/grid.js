// The front end of GridTable: a progress bar, Stop, and a table whose cells stream.
//
// The `cells` trait is the durable table (synced about once a second while the grid runs, and
// at the end); custom messages carry what changed in between: {type: "start"} and {type: "end"}
// for a cell's status, {type: "delta", id, text} for its streamed text. Output is set with
// textContent only: model output is never parsed as HTML here.

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const PREVIEW = 400;

function render({ model, el }) {
  const root = h("div", "wbg-grid");
  const bar = h("div", "wbg-bar");
  const meter = h("progress", "wbg-progress");
  const counts = h("span", "wbg-counts");
  const stop = h("button", "wbg-stop", "Stop");
  stop.type = "button";
  stop.title = "Cancel the cells not finished; the finished ones stay";
  stop.onclick = () => model.send({ action: "stop" });
  bar.append(meter, counts, stop);
  const scroller = h("div", "wbg-scroll");
  const table = h("table", "wbg-table");
  scroller.appendChild(table);
  root.append(bar, scroller);
  el.appendChild(root);

  const slots = new Map(); // cell index -> {node, text}

  function setCell(slot, state) {
    slot.node.dataset.status = state.status;
    slot.node.title = state.error || "";
    if (state.text !== undefined) slot.text.textContent = state.text;
    if (state.status === "error") slot.text.textContent = `error: ${state.error}`;
    if (state.status === "cancelled" || state.status === "skipped") {
      slot.text.textContent = `(${state.status})`;
    }
  }

  function drawTable() {
    const rows = model.get("row_labels") || [];
    const columns = model.get("column_labels") || [];
    const cells = model.get("cells") || [];
    table.replaceChildren();
    slots.clear();
    const head = h("tr");
    head.appendChild(h("th", "wbg-corner", ""));
    for (const label of columns) head.appendChild(h("th", "wbg-col", label));
    table.appendChild(head);
    const grid = rows.map(() => columns.map(() => []));
    for (const cell of cells) {
      if (grid[cell.row] && grid[cell.row][cell.column]) grid[cell.row][cell.column].push(cell);
    }
    rows.forEach((label, r) => {
      const tr = h("tr");
      tr.appendChild(h("th", "wbg-row", label));
      columns.forEach((_, c) => {
        const td = h("td", "wbg-td");
        for (const cell of grid[r][c].sort((a, b) => a.repeat - b.repeat)) {
          const node = h("div", "wbg-cell");
          node.dataset.i = cell.i;
          const text = h("div", "wbg-text");
          node.appendChild(text);
          node.onclick = () => model.send({ action: "open", i: cell.i });
          const slot = { node, text };
          slots.set(cell.i, slot);
          setCell(slot, cell);
          td.appendChild(node);
        }
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    drawSelected();
    drawProgress();
  }

  function drawSelected() {
    const selected = model.get("selected");
    for (const [i, slot] of slots) slot.node.classList.toggle("wbg-selected", i === selected);
  }

  // Counts come from the cells as drawn (exact at every message); rate and ETA from Python's
  // `progress` (updated a few times a second).
  function drawProgress() {
    const p = model.get("progress") || {};
    const count = { done: 0, running: 0, error: 0, incomplete: 0, stopped: 0 };
    for (const slot of slots.values()) {
      const status = slot.node.dataset.status;
      if (status === "running") count.running += 1;
      else if (status !== "pending") count.done += 1;
      if (status === "error") count.error += 1;
      if (status === "incomplete") count.incomplete += 1;
      if (status === "cancelled" || status === "skipped") count.stopped += 1;
    }
    meter.max = slots.size || 1;
    meter.value = count.done;
    const parts = [`${count.done}/${slots.size} cells`];
    if (count.running) parts.push(`${count.running} running`);
    if (count.error) parts.push(`${count.error} errors`);
    if (count.incomplete) parts.push(`${count.incomplete} incomplete`);
    if (count.stopped) parts.push(`${count.stopped} not run`);
    if (p.rate) parts.push(`${p.rate}/s`);
    if (p.eta !== null && p.eta !== undefined && model.get("running")) parts.push(`ETA ${p.eta} s`);
    counts.textContent = parts.join(" · ");
    stop.disabled = !model.get("running");
  }

  function onCustom(msg) {
    if (!msg || typeof msg !== "object") return;
    const i = msg.type === "delta" ? Number(msg.id) : msg.i;
    const slot = slots.get(i);
    if (!slot) return;
    if (msg.type === "delta") {
      const text = slot.text.textContent + msg.text;
      slot.text.textContent = text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text;
      slot.node.dataset.status = "running";
    } else if (msg.type === "start") {
      slot.node.dataset.status = "running";
      slot.text.textContent = "";
    } else if (msg.type === "end") {
      setCell(slot, msg);
    }
    if (msg.type !== "delta") drawProgress();
  }

  const handlers = [
    ["change:cells", drawTable],
    ["change:row_labels", drawTable],
    ["change:column_labels", drawTable],
    ["change:selected", drawSelected],
    ["change:progress", drawProgress],
    ["change:running", drawProgress],
    ["msg:custom", onCustom],
  ];
  for (const [name, fn] of handlers) model.on(name, fn);
  drawTable();
  drawProgress();
  return () => {
    for (const [name, fn] of handlers) model.off(name, fn);
  };
}

export default { render };
