// The panels under the transcript: tool calls waiting for approval, and "Copy as code".

function drawApprovals(view) {
  const { approvals } = view.nodes;
  approvals.replaceChildren();
  for (const pending of view.model.get("pending") || []) {
    approvals.appendChild(approvalBox(view, pending));
  }
}

function approvalBox(view, pending) {
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
    view.send({ action: "decide", call_id: pending.call_id, decision, value });
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
  return box;
}

function showCode(view, msg) {
  const { codePanel } = view.nodes;
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
