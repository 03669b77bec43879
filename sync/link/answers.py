"""What a server sent for a document, kept for the next link that asks the same.

After a burst of offline edits, fifty villages pull every other village's document
from the same heads: without this, the server would compute the same changes and
read the same vouchers fifty times over. An answer is named by the document's heads
here and the heads the peer holds: a change hash names a change and everything it
builds on, so equal names mean equal changes to send, whoever asks, and an answer
for heads that have since moved is never found again (it ages out).

Only answers that depend on nothing else are kept: every head the peer holds is
known here (the changes since them are exactly what it lacks); an answer computed
from peer records (a peer holding changes this home lacks) is not.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

Key = tuple[str, tuple[bytes, ...], tuple[bytes, ...]]


class Answers:
    """A bounded memory of (document, its heads, the peer's heads) -> the changes to
    send and the credentials that went with them; least recently used goes first."""

    def __init__(self, max_bytes: int = 16 << 20) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Key, tuple[list[bytes], list[bytes]]] = OrderedDict()
        self._size = 0
        self.hits = 0

    @staticmethod
    def key(doc: str, here: Sequence[bytes], theirs: Sequence[bytes]) -> Key:
        return doc, tuple(sorted(here)), tuple(sorted(theirs))

    def get(self, key: Key) -> tuple[list[bytes], list[bytes]] | None:
        found = self._kept.get(key)
        if found is None:
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return list(found[0]), list(found[1])

    def put(self, key: Key, changes: Sequence[bytes], credentials: Sequence[bytes]) -> None:
        size = _size(changes, credentials)
        if size > self.max_bytes // 4:
            return  # one huge answer would push out every other
        old = self._kept.pop(key, None)
        if old is not None:
            self._size -= _size(*old)
        self._kept[key] = (list(changes), list(credentials))
        self._size += size
        while self._size > self.max_bytes and self._kept:
            _, dropped = self._kept.popitem(last=False)
            self._size -= _size(*dropped)

    def clear(self) -> None:
        self._kept.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._kept)


def _size(changes: Sequence[bytes], credentials: Sequence[bytes]) -> int:
    return sum(len(c) for c in changes) + sum(len(c) for c in credentials) + 64
