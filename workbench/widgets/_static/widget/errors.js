// An error beside what caused it: the `error` trait's one line goes beside the control named by
// `error_field` (a parameter, "system", "tools"; "approval": the tool call waiting; "edit": the
// message being edited), or on the line above the input when it names none. It is gone with the
// next action (the kernel clears the trait).

function errorPlace(view, field) {
  if (!field) return null;
  if (field === "approval") return view.nodes.approvals.querySelector(".wb-approval");
  if (field === "edit") return view.nodes.transcript.querySelector(".wb-edit");
  return view.fields[field] || null;
}

// Show `text` beside `field` (or on the error line); "" takes every shown error away.
function placeError(view, field, text) {
  for (const old of view.nodes.root.querySelectorAll(".wb-field-error")) old.remove();
  const place = text ? errorPlace(view, field) : null;
  view.nodes.error.textContent = place ? "" : text;
  if (!place) return;
  const note = h("div", "wb-field-error", text);
  note.setAttribute("role", "alert");
  place.appendChild(note);
}

function drawError(view) {
  placeError(view, view.model.get("error_field") || "", view.model.get("error") || "");
}
