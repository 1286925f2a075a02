// Streamed text in blocks, and a transcript that follows its end.
//
// Streamed text (a reply, its thinking, a refusal) goes into block elements of about
// BLOCK_CHARS characters: appending to the last block lays out that block only, where one
// growing text node made every update lay out the whole reply again. A block ends after a
// newline once it holds BLOCK_CHARS, after a space once it holds BLOCK_CHARS + BLOCK_SLACK
// (a long paragraph), and anywhere at BLOCK_MAX (never inside a UTF-16 surrogate pair); where
// the blocks break does not depend on how the text arrived in pieces.
// The transcript is scrolled to its end at most once per animation frame, and only while it
// is pinned there: a user who scrolls up to read is not moved; scrolling back to the end, or
// sending, pins it again.

const BLOCK_CHARS = 2048;
const BLOCK_SLACK = 256;
const BLOCK_MAX = 3072;
const PINNED_PX = 40; // this close to the end counts as at the end

// Where the block (holding `filled` characters) ends in `text`: an index, or -1 (not in it).
function blockEnd(filled, text) {
  const after = (found) => (found < 0 ? Infinity : found + 1);
  const newline = after(text.indexOf("\n", Math.max(0, BLOCK_CHARS - filled - 1)));
  const space = after(text.indexOf(" ", Math.max(0, BLOCK_CHARS + BLOCK_SLACK - filled - 1)));
  let end = Math.min(newline, space, Math.max(1, BLOCK_MAX - filled));
  if (end >= text.length) return end === text.length ? end : -1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end = end > 1 ? end - 1 : end + 1; // keep the pair
  return end;
}

// Streamed text grows the last block's one text node: no DOM node per token.
function appendText(node, text) {
  while (text) {
    let block = node.lastChild;
    if (!block || block.wbFull) {
      block = node.appendChild(h("div", "wb-stream-block"));
      block.appendChild(document.createTextNode(""));
    }
    const run = block.firstChild;
    const end = blockEnd(run.length, text);
    if (end < 0) return run.appendData(text);
    run.appendData(text.slice(0, end));
    block.wbFull = true;
    text = text.slice(end);
  }
}

function atEnd(transcript) {
  return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < PINNED_PX;
}

// A scroll the view made leaves it pinned; one by the user pins it only at the end.
function onTranscriptScroll(view) {
  const { follow } = view;
  const { transcript } = view.nodes;
  follow.pinned = (follow.pinned && transcript.scrollTop >= follow.top - 1) || atEnd(transcript);
}

function scrollToEnd(view) {
  const { transcript } = view.nodes;
  transcript.scrollTop = transcript.scrollHeight;
  view.follow.top = transcript.scrollTop;
}

// The transcript grew: follow its end in the next animation frame, if it is pinned there.
function followEnd(view) {
  const { follow } = view;
  if (!follow.pinned || follow.frame) return;
  follow.frame = requestAnimationFrame(() => {
    follow.frame = 0;
    if (follow.pinned) scrollToEnd(view);
  });
}
