"""Module-level games for engine tests (importable by worker processes and subprocesses)."""

import os
import time

import numpy as np

WEIGHTS = np.linspace(-1.0, 1.0, 16)


def additive(masks):
    return masks @ WEIGHTS[: masks.shape[1]]


_SLOW_CALLS = [0]


def slow_additive(masks):
    """``additive``, 50 ms a batch. With ``SPEXKIT_TEST_HOLD_AFTER=k`` set, the call after the k-th
    waits (up to 10 min) until the file named by ``SPEXKIT_TEST_HOLD_FILE`` exists: a test can
    kill the process at a known point, whatever the machine's load."""
    time.sleep(0.05)
    _SLOW_CALLS[0] += 1
    hold_after = os.environ.get("SPEXKIT_TEST_HOLD_AFTER")
    if hold_after is not None and _SLOW_CALLS[0] > int(hold_after):
        deadline = time.time() + 600
        while not os.path.exists(os.environ["SPEXKIT_TEST_HOLD_FILE"]) and time.time() < deadline:
            time.sleep(0.05)
    return masks @ WEIGHTS[: masks.shape[1]]


class Counting:
    """Records every mask it evaluates (in-process only)."""

    def __init__(self, fn=additive):
        self.fn = fn
        self.seen = 0

    def __call__(self, masks):
        self.seen += masks.shape[0]
        return self.fn(masks)
