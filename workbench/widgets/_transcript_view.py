"""``TranscriptView``: a conversation's transcript window, synced to the front end as patches.

The base of ``ConversationWidget``: what every view of a conversation shows, a ``compact`` one
(``%%chat``) too, without the input, the controls or the turns.

* Durable state is in synced traits. ``messages_html`` holds a window of the current branch,
  one dict per shown message of its last ``window`` messages (``earlier`` counts those before
  it, fetched on demand with ``earlier_messages``), rebuilt when a turn starts, when a tool
  finishes and when a turn ends. A view created later (a re-render, a page reload) draws from
  it, because custom messages are not replayed to new views.
* A rebuild travels as a patch that carries only the entries that changed, ``{"type":
  "transcript", "base", "rev", "drop", "keep", "entries"}``: the front end splices the model's
  array in place, so every view of the model reads the same window, and the trait itself is not
  sent again. ``transcript_rev`` (synced) is the latest revision and ``transcript_base`` the one
  of the last whole copy sent, so a view whose array is behind (a patch it never saw) asks for
  the whole window (``resync``). A window that shares nothing with the last one goes whole.
  So a turn costs the same bytes at turn 2,000 as at turn 10 (``bench/bench_long.py``).
* Media (images, recordings, spoken replies, files) are never in the synced state: the
  transcript's HTML refers to each by the sha256 of its bytes, and the front end asks for the
  hashes it lacks (``{"action": "media", "hash"}``); ``send_media`` answers once with the bytes
  as a binary buffer, and the front end keeps a Blob URL per hash for the page's life.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from ._media_view import HASH
from ._plain_text import transcript_text, turn_text
from ._transcript_window import WINDOW, TranscriptWindow, patch

if TYPE_CHECKING:
    from ..conversation import Conversation
    from ..conversation._text_diff import TextDiff

__all__ = ["TranscriptView"]


class TranscriptView(anywidget.AnyWidget):
    """The synced transcript window of a conversation (a base class: it has no front end of
    its own; ``ConversationWidget`` is the widget to display).

    Args:
        chat: the conversation to show.
        start: show the current branch from this message on (``%%chat`` shows one turn).
        compact: only the transcript and its footer: no controls, no input (``%%chat``).
        window: how many of the branch's last messages the synced transcript holds (older
            ones are shown on demand, "Show earlier messages").
        one_turn: show only the turn that begins at ``start``: its messages up to the next
            user message (its tool rounds, and a regenerated or edited version of it, too), not
            the turns sent after it. ``%%chat`` shows its cell's turn so: a later cell's turn
            does not change an earlier cell's output.
    """

    messages_html = traitlets.List(traitlets.Dict()).tag(sync=True)
    earlier = traitlets.Int(0).tag(sync=True)
    transcript_rev = traitlets.Int(0).tag(sync=True)
    transcript_base = traitlets.Int(0).tag(sync=True)
    start = traitlets.Int(0).tag(sync=True)
    compact = traitlets.Bool(False).tag(sync=True)

    _quiet = False  # while a patch stands in for the transcript's update

    def __init__(
        self,
        chat: Conversation,
        *,
        start: int = 0,
        compact: bool = False,
        window: int = WINDOW,
        one_turn: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(start=start, compact=compact, **kwargs)
        self._chat = chat
        self._transcript = TranscriptWindow(chat, start=start, size=window, one_turn=one_turn)

    @property
    def chat(self) -> Conversation:
        """The conversation this widget shows."""
        return self._chat

    @traitlets.observe("start")
    def _start_changed(self, change: dict[str, Any]) -> None:
        transcript = getattr(self, "_transcript", None)
        if transcript is not None:  # (not yet while the traits are first set)
            transcript.start = int(change["new"])

    def earlier_messages(
        self, before: int, count: int = WINDOW, request: str | None = None
    ) -> list[dict[str, Any]]:
        """The entries of up to ``count`` messages before message ``before`` of the branch
        ("Show earlier messages"), also sent to the front end as ``{"type": "earlier",
        "request", "entries", "earlier"}`` (``earlier``: how many messages come before them)."""
        entries, earlier = self._transcript.before(before, count, self._base_url())
        self._send_custom(
            {"type": "earlier", "request": request, "entries": entries, "earlier": earlier}
        )
        return entries

    def send_media(self, digest: str) -> bool:
        """Send the bytes of the media item ``digest`` (a sha256 in hex) that the transcript
        shows: ``{"type": "media", "hash", "kind", "mime", "size"}`` with the bytes as one
        binary buffer. A hash the transcript does not show, or whose bytes are not of a type a
        page may get, is answered with ``{"type": "media", "hash", "missing": True}`` and no
        bytes; anything that is not a hash is ignored. Returns whether bytes were sent."""
        if not isinstance(digest, str) or not HASH.match(digest):
            return False
        found = self._transcript.media.payload(digest)
        if found is None:
            self._send_custom({"type": "media", "hash": digest, "missing": True})
            return False
        media, data, mime = found
        content = {"type": "media", "hash": digest, "kind": media.kind, "mime": mime}
        self._send_custom({**content, "size": len(data)}, [data])
        return True

    def diff(self, message_id: str, request: str | None = None) -> TextDiff | None:
        """Show what changed in message ``message_id`` from its previous version (the sibling
        before it: a reply before ``regenerate``, a message before ``edit``), word by word, as
        ``Conversation.diff`` gives it: sent as ``{"type": "diff", "id", "from", "to", "ops"}``
        (versions counted from 1, and the asking view's ``request`` so that only it opens the
        diff) and returned. None for a message with no earlier version."""
        message = self._chat.history.messages.get(message_id)
        if message is None:
            return None
        ids = [m.id for m in self._chat.history.siblings(message)]
        at = ids.index(message_id) if message_id in ids else 0
        if at == 0:
            return None
        diff = self._chat.diff(message)
        ops = [list(op) for op in diff.ops]
        content = {"type": "diff", "id": message_id, "from": at, "to": at + 1, "ops": ops}
        self._send_custom(content if request is None else {**content, "request": request})
        return diff

    def resync(self) -> None:
        """Send the whole transcript window again (a view that missed a patch asks for it)."""
        self.send_state(["messages_html", "transcript_base", "transcript_rev", "earlier"])

    def _base_url(self) -> str | None:
        url = getattr(self._chat.client, "base_url", None)
        return str(url) if url is not None else None

    # -- the durable transcript --------------------------------------------------------------

    def _send_custom(self, content: dict[str, Any], buffers: Any = None) -> None:
        super().send(content, buffers)

    def _should_send_property(self, key: str, value: Any) -> bool:
        if self._quiet and key in ("messages_html", "transcript_base"):
            return False  # a transcript patch has carried the change
        return bool(super()._should_send_property(key, value))

    def _rebuild(self) -> None:
        """The transcript's window from the conversation's current branch, sent as a patch of
        what changed (or whole, when nothing of the last window is kept)."""
        entries, earlier = self._transcript.window(self._base_url())
        old = self.messages_html
        with self.hold_sync():
            self.earlier = earlier
            if entries == old:
                return
            rev = self.transcript_rev + 1
            change = patch(old, entries)
            if change is None:
                self.messages_html = entries
                self.transcript_base = rev
                self.transcript_rev = rev
                return
            drop, keep = change
            self._send_custom(
                {"type": "transcript", "base": rev - 1, "rev": rev, "drop": drop, "keep": keep}
                | {"entries": entries[keep:]}
            )
            self._quiet = True
            try:
                self.messages_html = entries
                self.transcript_base = rev
            finally:
                self._quiet = False
            self.transcript_rev = rev

    # -- display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget, with the clean text transcript as ``text/plain`` (what nbconvert, nbval
        and terminals show) and the replies' provenance in the output's metadata."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        if self.compact:
            end = self._transcript.end(self._chat.history.path_view())
            text = turn_text(self._chat, self.start, end=end)
        else:
            text = transcript_text(self._chat)
        data = {**data, "text/plain": text}
        provenance = self._transcript.provenance(self._base_url())
        return data, {**metadata, "workbench": {"replies": provenance}}
