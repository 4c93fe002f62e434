"""
---
title: Pausing the cycle collector
summary: A build makes millions of long-lived objects and few cycles; the cycle collector waits until it ends.
---

# Pausing the cycle collector

A build makes millions of long-lived objects (syntax trees, pages, the search index's notes)
and few reference cycles. Python's cycle collector runs whenever enough objects have been made,
and walks all of them each time: for up to half of a build's time, for almost nothing. So it
waits while a build runs, and runs once when it ends. Worker processes turn it off for their
whole life: their memory goes with them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector waits until the block ends (blocks may nest)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


__all__ = ["collector_paused"]
