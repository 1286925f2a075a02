// The parameter controls, drawn from the `param_info` trait and following `params`; the
// system prompt, the tools, and the header and footer that follow the other traits.

function labelled(text, control, className) {
  const label = h("label", `wb-field ${className || ""}`);
  label.append(h("span", "wb-field-name", text), control);
  return label;
}

function setParam(view, name, value) {
  view.send({ action: "set_param", name, value });
}

const paramClass = (name) => `wb-param-${name} wb-${name.replace(/_/g, "-")}`;

// A number with a known range is a slider; otherwise a number field.
function numberControl(view, name, info) {
  const [low, high] = info.range || [null, null];
  const wrap = h("span", "wb-number");
  const field = h("input", paramClass(name));
  if (low !== null && high !== null && info.type === "number") {
    Object.assign(field, { type: "range", min: String(low), max: String(high) });
    field.step = String((high - low) / 40);
    const shown = h("span", "wb-value");
    field.addEventListener("input", () => {
      shown.textContent = field.value;
    });
    field.addEventListener("change", () => setParam(view, name, Number(field.value)));
    wrap.append(field, shown);
    view.controls[name] = {
      show(value) {
        field.value = String(value ?? (low + high) / 2);
        shown.textContent = value === undefined ? "default" : String(value);
      },
    };
  } else {
    field.type = "number";
    if (info.type === "integer") field.step = "1";
    if (low !== null) field.min = String(low);
    if (high !== null) field.max = String(high);
    field.placeholder = "default";
    field.addEventListener("change", () =>
      setParam(view, name, field.value === "" ? null : Number(field.value)),
    );
    wrap.append(field);
    view.controls[name] = {
      show(value) {
        if (document.activeElement !== field) field.value = value === undefined ? "" : value;
      },
    };
  }
  const reset = button("wb-reset", "×", "Back to the server's default", () =>
    setParam(view, name, null),
  );
  wrap.appendChild(reset);
  return wrap;
}

function fillOptions(select, options) {
  const current = select.value;
  select.replaceChildren();
  for (const [value, text] of options) {
    const option = h("option", "", text);
    option.value = value;
    select.appendChild(option);
  }
  select.value = current;
}

function choiceControl(view, name, choices, toValue, fromValue) {
  const select = h("select", paramClass(name));
  const fill = (options) => fillOptions(select, [["", "default"], ...options]);
  fill(choices.map((c) => [c, c]));
  select.addEventListener("change", () =>
    setParam(view, name, toValue ? toValue(select.value) : select.value || null),
  );
  view.controls[name] = {
    fill,
    show(value) {
      const key = fromValue ? fromValue(value) : value;
      select.value = key === undefined || key === null ? "" : String(key);
    },
  };
  return select;
}

const FORMATS = [
  ["", "default"],
  ["text", "text"],
  ["json_object", "json_object"],
  ["json_schema", "json_schema…"],
];

// response_format: default / text / json_object / json_schema (an editor) / a pydantic model.
function responseFormatControl(view) {
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
      placeError(view, "response_format", `the schema is not valid JSON: ${err.message}`);
      return;
    }
    setParam(view, "response_format", parsed);
  });
  const editor = h("div", "wb-schema-editor");
  editor.append(schema, apply);
  editor.hidden = true;
  const fill = () => {
    const models = view.model.get("response_models") || [];
    fillOptions(select, [...FORMATS, ...models.map((n) => [`pydantic:${n}`, `pydantic: ${n}`])]);
  };
  select.addEventListener("focus", () => askModels(view));
  select.addEventListener("change", () => {
    const value = select.value;
    editor.hidden = value !== "json_schema";
    if (value === "json_schema" || value.startsWith("type:")) return; // Apply / set from code
    if (value.startsWith("pydantic:")) {
      setParam(view, "response_format", { pydantic: value.slice("pydantic:".length) });
    } else {
      setParam(view, "response_format", value || null);
    }
  });
  fill();
  wrap.append(select, editor);
  view.controls.response_format = { fill, show: () => showFormat(view, select, schema, editor) };
  return wrap;
}

// The menu names the format that is set, as the kernel describes it (`response_format_menu`):
// a pydantic model by its name (an entry is added for one the notebook's list lacks), a JSON
// schema as json_schema with its schema in the editor.
function showFormat(view, select, schema, editor) {
  const menu = view.model.get("response_format_menu") || {};
  const choice = menu.choice || "";
  if (choice && ![...select.options].some((option) => option.value === choice)) {
    const option = h("option", "", menu.label || choice);
    option.value = choice;
    select.appendChild(option);
  }
  if (choice === "json_schema" && document.activeElement !== schema) {
    schema.value = JSON.stringify(menu.schema || {}, null, 2);
  }
  if (document.activeElement !== select) select.value = choice;
  editor.hidden = select.value !== "json_schema";
}

function settingsNodes(view) {
  const { nodes } = view;
  nodes.systemBox = h("textarea", "wb-system");
  nodes.systemBox.rows = 3;
  nodes.systemBox.placeholder = "system prompt";
  nodes.systemBox.addEventListener("change", () =>
    view.send({ action: "set_system", text: nodes.systemBox.value }),
  );
  nodes.toolsBox = h("div", "wb-tools");
}

function buildControls(view) {
  const { settingsBody, systemBox, toolsBox } = view.nodes;
  const info = view.model.get("param_info") || {};
  view.fields.system = labelled("system", systemBox, "wb-field-wide");
  settingsBody.replaceChildren(view.fields.system, apiControl(view));
  for (const [name, spec] of Object.entries(info)) {
    if (name === "model") continue; // in the header
    let control;
    if (name === "response_format") control = responseFormatControl(view);
    else if (name === "tool_choice") {
      control = choiceControl(
        view,
        name,
        ["auto", "none", "required"],
        (v) => (v.startsWith("tool:") ? { type: "function", function: { name: v.slice(5) } } : v || null),
        (v) => (v && typeof v === "object" ? `tool:${(v.function || {}).name}` : v),
      );
    } else if (spec.type === "choice") control = choiceControl(view, name, spec.choices || []);
    else if (spec.type === "number" || spec.type === "integer") {
      control = numberControl(view, name, spec);
    } else continue;
    const field = (view.fields[name] = labelled(name.replace(/_/g, " "), control));
    field.title = spec.description || "";
    settingsBody.appendChild(field);
  }
  view.fields.tools = labelled("tools", toolsBox, "wb-field-wide");
  settingsBody.appendChild(view.fields.tools);
}

function drawTools(view) {
  const { toolsBox } = view.nodes;
  const tools = view.model.get("tools") || [];
  toolsBox.replaceChildren();
  if (!tools.length) toolsBox.appendChild(h("span", "wb-muted", "none registered"));
  for (const tool of tools) {
    const toggle = h("input", "wb-tool-toggle");
    toggle.type = "checkbox";
    toggle.checked = tool.enabled;
    toggle.dataset.name = tool.name;
    toggle.addEventListener("change", () =>
      view.send({ action: "set_tool", name: tool.name, enabled: toggle.checked }),
    );
    const row = h("label", "wb-tool-row");
    row.title = tool.description;
    row.append(toggle, h("span", "", ` ${tool.name}`));
    toolsBox.appendChild(row);
  }
  const choice = view.controls.tool_choice;
  if (choice) choice.fill([["auto", "auto"], ["none", "none"], ["required", "required"],
    ...tools.map((t) => [`tool:${t.name}`, `tool: ${t.name}`])]);
}

function drawControls(view) {
  const { model, nodes } = view;
  const compact = model.get("compact");
  nodes.header.hidden = compact;
  nodes.settings.hidden = compact;
  nodes.inputRow.hidden = compact;
  const params = model.get("params") || {};
  if (document.activeElement !== nodes.modelInput) nodes.modelInput.value = params.model ?? "";
  for (const [name, control] of Object.entries(view.controls)) control.show(params[name]);
  drawApi(view);
  if (document.activeElement !== nodes.systemBox) nodes.systemBox.value = model.get("system") || "";
  nodes.badge.hidden = !model.get("local_badge");
  const streaming = model.get("streaming");
  nodes.sendButton.disabled = streaming;
  nodes.stopButton.disabled = !streaming;
  drawError(view);
  nodes.footer.textContent = model.get("usage_text") || "";
  if (document.activeElement !== nodes.input) nodes.input.value = model.get("input_text") || "";
}

function drawModels(view) {
  view.nodes.modelList.replaceChildren(
    ...(view.model.get("models") || []).map((id) => {
      const option = h("option");
      option.value = id;
      return option;
    }),
  );
  if (view.controls.response_format) view.controls.response_format.fill();
  drawControls(view);
}
