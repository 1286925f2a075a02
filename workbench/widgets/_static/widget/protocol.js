// The protocol switch (`chat.api`: chat / responses / auto), following the `api` trait, and
// the parameters with no equivalent in the Responses API marked while the next turn goes
// there (`api_next`): struck through, with a title saying why (`param_info[name].responses`).

function apiControl(view) {
  const info = view.model.get("api_info") || {};
  const select = h("select", "wb-api");
  for (const choice of info.choices || []) {
    const option = h("option", "", choice);
    option.value = choice;
    select.appendChild(option);
  }
  select.addEventListener("change", () => view.send({ action: "set_api", value: select.value }));
  view.nodes.apiSelect = select;
  const field = (view.fields.api = labelled("api", select, "wb-field-api"));
  field.title = info.description || "";
  return field;
}

function drawApi(view) {
  const { model, nodes, fields } = view;
  if (!nodes.apiSelect) return;
  if (document.activeElement !== nodes.apiSelect) nodes.apiSelect.value = model.get("api") || "chat";
  const responses = model.get("api_next") === "responses";
  nodes.apiSelect.dataset.next = model.get("api_next") || "chat";
  for (const [name, spec] of Object.entries(model.get("param_info") || {})) {
    const field = fields[name];
    if (!field || !spec.responses) continue;
    field.classList.toggle("wb-unmapped", responses);
    field.title = responses ? spec.responses : spec.description || "";
  }
}
