// The view's entry point: build the state, follow the model's traits and messages.

function render({ model, el }) {
  const view = createView(model, el);
  settingsNodes(view);
  wireInput(view);
  const transcript = () => drawTranscript(view);
  const controls = () => drawControls(view);
  const models = () => drawModels(view);
  const handlers = [
    ["change:messages_html", transcript],
    ["change:transcript_rev", transcript],
    ["change:earlier", transcript],
    ["change:streaming", transcript],
    ["change:pending", () => { drawApprovals(view); drawError(view); }],
    ["change:tools", () => { drawTools(view); drawControls(view); }],
    ["change:models", models],
    ["change:response_models", models],
    ["change:param_info", () => { buildControls(view); drawTools(view); drawControls(view); }],
  ];
  for (const name of ["params", "system", "local_badge", "streaming", "error", "error_field",
    "usage_text", "input_text", "compact", "response_format_menu", "api", "api_next"]) {
    handlers.push([`change:${name}`, controls]);
  }
  handlers.push(["msg:custom", (msg, buffers) => onCustom(view, msg, buffers)]);
  for (const [name, handler] of handlers) model.on(name, handler);
  buildControls(view);
  drawTools(view);
  drawTranscript(view);
  drawApprovals(view);
  drawControls(view);

  return () => {
    cancelAnimationFrame(view.follow.frame);
    for (const [name, handler] of handlers) model.off(name, handler);
  };
}
