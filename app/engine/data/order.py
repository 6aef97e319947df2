"""The order in which mini-batches visit the data (api-v1.md, "Surfaces from data").

Epoch e (0-based) visits the data in the order `numpy.random.default_rng([seed, e])
.permutation(n)` (in data order when shuffle is false), cut into consecutive batches of
`size`, the last one smaller when `size` does not divide n.  Step j + 1 (0-based j) uses
batch j mod B of epoch j div B, B = ceil(n / size): one fresh generator per epoch, so
any step's batch can be found without replaying the ones before it, and a PyTorch
script can feed the same order to a DataLoader.
"""

from __future__ import annotations

import numpy as np


class BatchOrder:
    """Which data points each step's batch holds."""

    __slots__ = ("n", "size", "seed", "shuffle", "per_epoch", "_epoch", "_perm")

    def __init__(self, n: int, size: int, seed: int = 0, shuffle: bool = True):
        if n < 1 or size < 1 or seed < 0:
            raise ValueError("a batch order needs n >= 1, size >= 1 and seed >= 0")
        self.n, self.size, self.seed, self.shuffle = int(n), int(size), int(seed), bool(shuffle)
        self.per_epoch = -(-self.n // self.size)        # B = ceil(n / size)
        self._epoch = -1
        self._perm = np.arange(self.n)

    def __repr__(self) -> str:
        return (f"BatchOrder(n={self.n}, size={self.size}, seed={self.seed}, "
                f"shuffle={self.shuffle})")

    def epoch(self, e: int) -> np.ndarray:
        """The order in which epoch e visits the data (the last epoch asked is kept:
        steps ask in order, and one generator costs tens of microseconds)."""
        if e != self._epoch:
            if self.shuffle and self.n > 1:
                self._perm = np.random.default_rng([self.seed, e]).permutation(self.n)
            self._epoch = e
        return self._perm

    def indices(self, j: int) -> np.ndarray:
        """The data indices of the batch that step j + 1 (0-based j) uses."""
        e, i = divmod(j, self.per_epoch)
        return self.epoch(e)[i * self.size:(i + 1) * self.size]

    def epoch_of(self, j: int) -> int:
        """The epoch (0-based) of step j + 1's batch."""
        return j // self.per_epoch

    def to_dict(self) -> dict:
        return {"size": self.size, "seed": self.seed, "shuffle": self.shuffle,
                "per_epoch": self.per_epoch}
