"""The cyclic garbage collector during a read.

A read builds a tree of long-lived objects (models, their sources, lazy arrays)
and no reference cycles (a closed file's models are freed by counting: see
``tests/io/entry/test_read.py``). While the tree grows, Python's collector
passes over it again and again: each young object once or twice, and the whole
tree in every full collection, which comes each time the old generation has
grown by a quarter. On a file of 24,000 objects that was a tenth of the read
(630 ms of a 6 s read; measured with ``gc.callbacks``), work that finds nothing.

So the outermost read pauses the collector, and when it has made many objects
moves what is young into the oldest generation (``gc.freeze()`` then
``gc.unfreeze()``: a splice of lists, no pass over the objects), where they are
looked at in the next full collection, as the objects of any long-lived tree
are. A read that made few objects (one member of a lazy tree) just lets the
collector go on. Nothing is moved when the program has frozen objects of its own
(``gc.freeze()`` before a fork): unfreezing would give those back.
"""

from __future__ import annotations

import gc

#: objects a read makes before they go straight to the oldest generation
PROMOTE_AFTER = 10_000


class collector_paused:  # used as a function: ``with collector_paused():``
    """The collector off inside (unless it was off already: nested reads, or a
    program that turned it off), back on after; the objects made meanwhile moved
    to the oldest generation when there are at least :data:`PROMOTE_AFTER`."""

    __slots__ = ("paused",)

    def __enter__(self) -> None:
        self.paused = gc.isenabled()
        if self.paused:
            gc.disable()

    def __exit__(self, *_: object) -> None:
        if not self.paused:
            return
        if gc.get_count()[0] >= PROMOTE_AFTER and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()
