"""Turn one sequence's token bytes into text that is safe to show as it streams.

* Multi-byte UTF-8 characters split across tokens are held until complete (no broken pieces);
  bytes that never complete a character (a model can emit those) are dropped.
* Text that might be the start of a stop text is held back until it is known not to be one; when a
  stop text appears the sequence's text is cut just before it.
"""

from __future__ import annotations

import codecs


class TextStream:
    def __init__(self, stops: tuple[str, ...] = ()) -> None:
        self._stops = tuple(s for s in stops if s)
        self._longest = max((len(s) for s in self._stops), default=0)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        self._text = ""
        self._emitted = 0
        self.stopped = False
        """True once a stop text was found; feed nothing more."""

    @property
    def text(self) -> str:
        """Everything so far (cut at a stop text), including what is still held back."""
        return self._text

    def feed(self, data: bytes) -> str:
        """Add a token's bytes; return the text that can be shown now (maybe empty)."""
        if self.stopped:
            return ""
        self._text += self._decoder.decode(data)
        return self._release(final=False)

    def finish(self) -> str:
        """No more tokens: flush incomplete bytes and held-back text."""
        if not self.stopped:
            self._text += self._decoder.decode(b"", final=True)
        return self._release(final=True)

    def _release(self, *, final: bool) -> str:
        if self._stops and not self.stopped:
            # held-back text starts at or after _emitted, so a stop text cannot begin earlier
            found = (self._text.find(s, self._emitted) for s in self._stops)
            cut = min((at for at in found if at >= 0), default=-1)
            if cut >= 0:
                self._text = self._text[:cut]
                self.stopped = True
                final = True
        end = len(self._text) if final else len(self._text) - self._held_back()
        piece = self._text[self._emitted : end]
        self._emitted = max(self._emitted, end)
        return piece

    def _held_back(self) -> int:
        """Length of the longest tail of the text that is a proper prefix of some stop text."""
        tail = self._text[-self._longest :] if self._longest else ""
        for k in range(min(len(tail), self._longest), 0, -1):
            suffix = tail[-k:]
            if any(s.startswith(suffix) and len(s) > k for s in self._stops):
                return k
        return 0
