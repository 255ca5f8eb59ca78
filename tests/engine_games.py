"""Module-level games for engine tests (importable by worker processes and subprocesses)."""

import time

import numpy as np

WEIGHTS = np.linspace(-1.0, 1.0, 16)


def additive(masks):
    return masks @ WEIGHTS[: masks.shape[1]]


def slow_additive(masks):
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
