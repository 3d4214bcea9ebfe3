"""Where the TrackML score is lost: the score's weight each stage's graph still lets the chain find.

A track scores its particle's weight when it holds more than half of the particle's hits (and is
more than half that particle).  A stage's graph can therefore still lead to that track only if
more than half of the particle's hits lie in one connected piece of the graph's edges between
them: the particle is *reachable* there.  Summed with the score's weights per kind of particle
(primaries by pT, secondaries), stage after stage and next to what was scored, this says which
stage loses which part of the score: a stage can only lose weight, and the track builder's
repair passes (stitching, extension, following) may win some back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

__all__ = ["BUDGET_KINDS", "ScoreBudget", "reachable_particles", "score_budget"]

#: Kinds of particle in the budget: name → (primary, pT min, pT max) [GeV].
BUDGET_KINDS: dict[str, tuple[bool, float, float]] = {
    "primaries pT < 0.3 GeV": (True, 0.0, 0.3),
    "primaries 0.3-0.5 GeV": (True, 0.3, 0.5),
    "primaries 0.5-1 GeV": (True, 0.5, 1.0),
    "primaries pT > 1 GeV": (True, 1.0, np.inf),
    "secondaries": (False, 0.0, np.inf),
}


def reachable_particles(edge_index: np.ndarray, particle_id: np.ndarray) -> np.ndarray:
    """Particle ids (sorted) with more than half of their rows in one connected piece of the
    edges of ``edge_index`` (2, E) that join two of their rows; ``particle_id`` (n_rows,), 0: noise."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    particle_id = np.asarray(particle_id, dtype=np.int64)
    n = particle_id.shape[0]
    a, b = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    own = (particle_id[a] == particle_id[b]) & (particle_id[a] != 0)
    graph = coo_matrix((np.ones(int(own.sum()), np.int8), (a[own], b[own])), shape=(n, n))
    _, piece = connected_components(graph, directed=False)
    rows = particle_id != 0
    pieces = pd.DataFrame({"particle": particle_id[rows], "piece": piece[rows]})
    largest = pieces.value_counts().groupby(level="particle").max()
    n_hits = pieces.groupby("particle").size()
    return np.sort(largest.index[(largest / n_hits.reindex(largest.index)).to_numpy() > 0.5].to_numpy())


@dataclass
class ScoreBudget:
    """Summed score weights per kind of particle (:data:`BUDGET_KINDS`, in that order).

    Attributes
    ----------
    weight : ndarray
        (K,) the score's weight of every particle of the kind.
    reachable : dict
        Stage → (K,) weight of the particles reachable in that stage's graph.
    scored : ndarray
        (K,) weight the tracks scored.
    n_events : int
    """

    weight: np.ndarray = field(default_factory=lambda: np.zeros(len(BUDGET_KINDS)))
    reachable: dict[str, np.ndarray] = field(default_factory=dict)
    scored: np.ndarray = field(default_factory=lambda: np.zeros(len(BUDGET_KINDS)))
    n_events: int = 0

    def __add__(self, other: "ScoreBudget") -> "ScoreBudget":
        stages = list(dict.fromkeys([*self.reachable, *other.reachable]))
        zero = np.zeros(len(BUDGET_KINDS))
        return ScoreBudget(self.weight + other.weight,
                           {s: self.reachable.get(s, zero) + other.reachable.get(s, zero) for s in stages},
                           self.scored + other.scored, self.n_events + other.n_events)

    def per_event(self) -> dict[str, dict[str, float]]:
        """Kind → {"weight", each stage, "scored"}: score weight per event."""
        n = max(self.n_events, 1)
        return {kind: {"weight": float(self.weight[k] / n),
                       **{stage: float(values[k] / n) for stage, values in self.reachable.items()},
                       "scored": float(self.scored[k] / n)}
                for k, kind in enumerate(BUDGET_KINDS)}


def score_budget(weighted_truth: pd.DataFrame, particle_table: pd.DataFrame, row_particle: np.ndarray | None,
                 graphs: Mapping[str, Any], scored_tracks: pd.DataFrame) -> ScoreBudget:
    """One event's :class:`ScoreBudget`.

    Parameters
    ----------
    weighted_truth : DataFrame
        Truth with the score's ``weight`` per hit (:func:`trackgnn.evaluation.weight_hits`).
    particle_table, scored_tracks : DataFrame
        :func:`trackgnn.evaluation.match_tracks` of the submission: its particles (``particle_id``,
        ``pt``) and tracks (``is_matched``, ``majority_particle_id``, ``majority_weight``).
    row_particle : ndarray or None
        (n_rows,) particle id of each row the graphs index (0: noise); may be None without graphs.
    graphs : mapping
        Stage → (2, E) edges between rows (e.g. :attr:`trackgnn.pipeline.ChainResult.graphs`).
    """
    from trackgnn.evaluation._weights import is_primary

    truth = weighted_truth.loc[weighted_truth["particle_id"] != 0]
    weight = truth.groupby("particle_id")["weight"].sum()
    pt = particle_table.set_index("particle_id")["pt"].reindex(weight.index).to_numpy(np.float64)
    primary = np.asarray(is_primary(weight.index.to_numpy()), dtype=bool)
    kinds = [(primary == want) & (pt >= low) & (pt < high) for want, low, high in BUDGET_KINDS.values()]
    by_kind = lambda values: np.array([float(values[k].sum()) for k in kinds])  # noqa: E731

    reachable = {}
    for stage, edges in graphs.items():
        edges = edges.cpu().numpy() if hasattr(edges, "cpu") else np.asarray(edges)
        found = np.isin(weight.index.to_numpy(), reachable_particles(edges, row_particle))
        reachable[stage] = by_kind(np.where(found, weight.to_numpy(), 0.0))
    matched = scored_tracks.loc[scored_tracks["is_matched"]]
    scored = matched.groupby("majority_particle_id")["majority_weight"].sum().reindex(weight.index, fill_value=0.0)
    return ScoreBudget(by_kind(weight.to_numpy()), reachable, by_kind(scored.to_numpy()), 1)
