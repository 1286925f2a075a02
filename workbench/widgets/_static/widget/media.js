// Media of the transcript: placeholders filled with what the kernel sends once per hash, and
// the lightbox that shows an image large.

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

function fetchMedia(view, hash) {
  const cache = mediaCache(view.model);
  let item = cache.get(hash);
  if (!item) {
    item = { done: false };
    item.promise = new Promise((resolve) => {
      item.resolve = resolve;
    });
    cache.set(hash, item);
    view.send({ action: "media", hash });
  }
  return item.promise;
}

function mediaElement(kind, label) {
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
  return shown;
}

function fillMedia(view, root) {
  const { transcript } = view.nodes;
  for (const node of root.querySelectorAll(".wb-media[data-wb-hash]")) {
    const kind = node.dataset.wbKind;
    const hash = node.dataset.wbHash;
    if (node.wbFilled || !HASH.test(hash) || !PLAYABLE[kind]) continue;
    if (node.classList.contains("wb-chip")) continue; // not served: a label only
    node.wbFilled = true;
    const label = node.textContent.trim();
    fetchMedia(view, hash).then((got) => {
      if (!got || got.kind !== kind || !PLAYABLE[kind].test(got.type)) {
        node.classList.add("wb-media-missing");
        return;
      }
      const shown = mediaElement(kind, label);
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
