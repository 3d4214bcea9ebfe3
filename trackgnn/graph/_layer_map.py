"""Which detector layers hold consecutive hits of one particle: a layer-pair map learned from training truth.

Half of a hit's nearest neighbours in embedding space sit on its own layer, where no truth edge
can be (consecutive hits of a particle are on different layers).  The map, counted on the
training events' truth edges and stored with the embedding network, lets graph construction skip
the layer pairs that never hold a truth edge (hard-negative mining still pushes every pair apart:
unpushed same-layer hits collapse together and crowd the neighbour search).  At inference it reads
only each hit's ``volume_id`` and ``layer_id``: no truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["MIN_PAIR_COUNT", "LayerPairMap", "PairFilter", "detector_layer_codes"]

#: Truth edges a layer pair needs in the training events to be allowed (one-off oddities,
#: e.g. a looper's hit order, do not open a pair).
MIN_PAIR_COUNT = 2


@lru_cache(maxsize=1)
def detector_layer_codes() -> np.ndarray:
    """Sorted layer codes ``100 * volume_id + layer_id`` of the TrackML detector (48 layers)."""
    from trackgnn.data import load_detectors
    from trackgnn.processing import layer_key

    detectors = load_detectors()
    return np.unique(layer_key(detectors["volume_id"].to_numpy(), detectors["layer_id"].to_numpy()))


@dataclass(frozen=True)
class PairFilter:
    """The layer pairs one event's hits may form: hits ``i``, ``j`` pair when ``table[rows[i], rows[j]]``.

    Attributes
    ----------
    rows : ndarray of shape (n_hits,), int64
        Row of each hit in ``table``.
    table : ndarray of shape (L, L), bool
    """

    rows: np.ndarray
    table: np.ndarray

    def __call__(self, src: Tensor, dst: Tensor) -> Tensor:
        """(E,) bool: whether each pair ``src[e], dst[e]`` is allowed."""
        return torch.from_numpy(self.table[self.rows[src.cpu().numpy()], self.rows[dst.cpu().numpy()]])


class LayerPairMap(nn.Module):
    """Truth-edge counts per (layer, layer) pair; a buffer, so it travels in the checkpoint.

    Layers are :func:`trackgnn.processing.layer_key` codes.  A hit on a layer the detector does
    not have is allowed to pair with any layer.  Until :meth:`update` has seen truth, every
    pair is allowed.
    """

    def __init__(self) -> None:
        super().__init__()
        codes = torch.from_numpy(detector_layer_codes())
        self.register_buffer("codes", codes, persistent=False)
        self.register_buffer("counts", torch.zeros(len(codes), len(codes), dtype=torch.long))

    @property
    def trained(self) -> bool:
        return bool(self.counts.sum() > 0)

    def index(self, layer: Tensor) -> Tensor:
        """Row of each layer code in :attr:`counts` (−1 for a code the detector does not have)."""
        layer = layer.to(self.codes.device, torch.long)
        pos = torch.searchsorted(self.codes, layer).clamp(max=len(self.codes) - 1)
        return torch.where(self.codes[pos] == layer, pos, torch.full_like(pos, -1))

    @torch.no_grad()
    def update(self, layer: Tensor, track_edges: Tensor) -> None:
        """Count the layer pairs of one event's truth edges (both orders)."""
        a, b = self.index(layer[track_edges[0]]), self.index(layer[track_edges[1]])
        known = (a >= 0) & (b >= 0)
        ones = torch.ones(int(known.sum()), dtype=torch.long, device=self.counts.device)
        self.counts.index_put_((a[known], b[known]), ones, accumulate=True)
        self.counts.index_put_((b[known], a[known]), ones, accumulate=True)

    @torch.no_grad()
    def allowed(self, layer: Tensor, src: Tensor, dst: Tensor) -> Tensor:
        """(E,) bool: the pair of hits ``src[i], dst[i]`` lies on a layer pair seen in training."""
        if not self.trained:
            return torch.ones(src.shape[0], dtype=torch.bool)
        row = self._table_rows(layer)  # per hit, then gathered per pair: pairs outnumber hits 50 to 1
        flat = self._table().flatten()
        return flat[row[src.to(row.device)] * (len(self.codes) + 1) + row[dst.to(row.device)]].cpu()

    @torch.no_grad()
    def pair_filter(self, layer: Tensor) -> PairFilter:
        """:meth:`allowed` in table form for the hits of one event (layer codes ``layer``), for
        the compiled neighbour selection (:func:`trackgnn.graph.radius_graph`)."""
        if not self.trained:
            return PairFilter(np.zeros(len(layer), np.int64), np.ones((1, 1), np.bool_))
        return PairFilter(self._table_rows(layer).cpu().numpy().astype(np.int64), self._table().cpu().numpy())

    def _table_rows(self, layer: Tensor) -> Tensor:
        """Row of each hit in :meth:`_table`: its layer's, or the last (unknown layers) one."""
        row = self.index(layer)
        return torch.where(row >= 0, row, torch.full_like(row, len(self.codes)))

    def _table(self) -> Tensor:
        """(L + 1, L + 1) bool allowed layer pairs; the extra row and column (unknown layers) allow all."""
        unknown = len(self.codes)
        table = torch.ones(unknown + 1, unknown + 1, dtype=torch.bool, device=self.counts.device)
        table[:unknown, :unknown] = self.counts >= MIN_PAIR_COUNT
        return table

    def n_pairs(self) -> int:
        """Allowed unordered layer pairs."""
        return int(torch.triu(self.counts >= MIN_PAIR_COUNT).sum())

    def extra_repr(self) -> str:
        return f"layers={len(self.codes)}, allowed_pairs={self.n_pairs()}"
