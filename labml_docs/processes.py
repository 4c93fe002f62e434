"""
---
title: Stopping a helper process
summary: Close its input, wait for it, kill it if it does not end; no zombie is left.
---

# Stopping a helper process

The build talks to long-lived programs through their pipes: Node.js rendering KaTeX
([`node_engine`](math/node_engine.py)) and Pagefind indexing the notes ([`search`](search.py)).
Both end when their input closes. Stopping one is the same each time: close its input, give it
a few seconds, kill it if it is still there, and always wait for it, so that it leaves no
zombie; then close its output pipes and join the threads that read them.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence

#: How long a process may take to end once its input is closed.
GRACE_SECONDS = 5


def stop_process(proc: subprocess.Popen[bytes], readers: Sequence[threading.Thread] = ()) -> None:
    """Close stdin (the program exits), then wait; kill if it does not. Leaves no zombie."""
    try:
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:  # (a broken pipe: it ended already)
                pass
        try:
            proc.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass
        for reader in readers:
            if reader is not threading.current_thread():
                reader.join(timeout=GRACE_SECONDS)


__all__ = ["GRACE_SECONDS", "stop_process"]
