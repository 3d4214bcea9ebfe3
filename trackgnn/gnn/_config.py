"""Typed settings of the GNN stage: the network, the triplet step, track building, the loss."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trackgnn.config import check_sizes
from trackgnn.simulation import SimulationConfig
from trackgnn.stages import StageConfig, check_train_sectors

__all__ = ["EDGE_FEATURES", "GNNModelConfig", "GNNStageConfig", "TrackBuildingConfig", "TrackQualityConfig",
           "TripletConfig"]

def _edge_features() -> tuple[str, ...]:
    from trackgnn.graph import EDGE_FEATURES as GEOMETRY

    return (*GEOMETRY, "phi_slope", "filter_score")


#: Per-edge input features a config may name in ``model.edge_features``: the filter's edge
#: geometry (:data:`trackgnn.graph.EDGE_FEATURES`), ``phi_slope`` and ``filter_score``.
EDGE_FEATURES: tuple[str, ...] = _edge_features()


@dataclass
class GNNModelConfig:
    """``model:`` block: the :class:`~trackgnn.models.InteractionGNN` (see its parameters).

    Attributes
    ----------
    edge_features : list of str
        Per-edge inputs among :data:`EDGE_FEATURES` (see :func:`~trackgnn.gnn.edge_feature_matrix`):
        differences ``dr``, ``dphi``, ``dz``, ``deta`` between the two hits, the beam-line
        intercept ``z0``, the ``embedding_distance``, ``phi_slope`` (dφ/dr) and the
        ``filter_score``.
    """

    hidden_channels: int = 64
    num_iterations: int = 8
    aggr: list[str] = field(default_factory=lambda: ["sum", "max"])
    direction: Literal["both", "in"] = "both"
    mlp_layers: int = 2
    head_layers: int = 3
    activation: str = "silu"
    norm: Literal["layer", "batch", "none"] = "layer"
    dropout: float = 0.0
    share_weights: bool = False
    checkpointing: bool = False
    edge_features: list[str] = field(default_factory=lambda: ["dr", "dphi", "dz", "deta", "z0", "phi_slope"])

    def __post_init__(self) -> None:
        import torch

        unknown = [f for f in self.edge_features if f not in EDGE_FEATURES]
        if unknown:
            raise ValueError(f"edge_features: could not resolve {unknown[0]!r} among {list(EDGE_FEATURES)}")
        check_sizes("width", hidden_channels=self.hidden_channels)
        check_sizes("depth", num_iterations=self.num_iterations, mlp_layers=self.mlp_layers,
                    head_layers=self.head_layers)
        with torch.device("meta"):  # no memory: every other value is checked by the network's constructor
            self.build(1)

    def build(self, node_features: int):
        """The network for ``node_features`` inputs per hit."""
        from trackgnn.models import InteractionGNN

        return InteractionGNN(
            node_features,
            edge_features=len(self.edge_features),
            hidden_channels=self.hidden_channels,
            num_iterations=self.num_iterations,
            aggr=self.aggr,
            direction=self.direction,
            mlp_layers=self.mlp_layers,
            head_layers=self.head_layers,
            activation=self.activation,
            norm=None if self.norm == "none" else self.norm,
            dropout=self.dropout,
            share_weights=self.share_weights,
            checkpointing=self.checkpointing,
        )


@dataclass
class TripletConfig:
    """``triplets:`` block: a classifier of edge pairs trained with the GNN (its own loss term).

    Attributes
    ----------
    enabled : bool
        Train and use the triplet classifier.
    loose_cut : float
        Doublet score above which edges form triplets (below the track-building cut).
    hidden_channels, num_layers : int
        The triplet MLP over ``[e_in, e_out, h_middle, geometry, doublet scores]``.
    loss_weight : float
        Weight of the triplet loss relative to the edge loss.
    pos_weight : float
        Weight of true triplets in their binary cross-entropy.
    max_triplets : int or None
        Triplets drawn at random per training event (bounds memory; null: all).
    """

    enabled: bool = True
    loose_cut: float = 0.1
    hidden_channels: int = 64
    num_layers: int = 3
    loss_weight: float = 1.0
    pos_weight: float = 1.0
    max_triplets: int | None = 500_000

    def __post_init__(self) -> None:
        check_sizes("width", hidden_channels=self.hidden_channels)
        check_sizes("depth", num_layers=self.num_layers)
        if not 0 <= self.loose_cut <= 1:
            raise ValueError(f"loose_cut must be in [0, 1], got {self.loose_cut}")
        if self.hidden_channels < 1 or self.num_layers < 1:
            raise ValueError(f"hidden_channels and num_layers must be >= 1, got {self.hidden_channels}, "
                             f"{self.num_layers}")
        if self.loss_weight < 0 or self.pos_weight <= 0:
            raise ValueError(f"loss_weight must be >= 0 and pos_weight > 0, got {self.loss_weight}, "
                             f"{self.pos_weight}")
        if self.max_triplets is not None and self.max_triplets < 1:
            raise ValueError(f"max_triplets must be >= 1 or null, got {self.max_triplets}")


@dataclass
class TrackQualityConfig:
    """``tracking.quality:`` block: the track selection (:class:`~trackgnn.tracking.TrackQualityNet`).

    After the GNN trains, the chain runs on the training events, every track gets its
    :data:`~trackgnn.tracking.TRACK_FEATURES`, and a classifier learns which tracks match a
    particle (double majority); at inference, tracks scoring below ``cut`` lose their hits.

    Attributes
    ----------
    enabled : bool
    cut : float
        Tracks with P(matched) below this are dropped.
    hidden_channels, num_layers : int
        The classifier's MLP.
    epochs, lr, batch_size
        Its training (Adam, cosine schedule).
    high_pt_weight : float
        Loss weight of matched tracks whose particle has pT > 1 GeV (what the efficiency target
        counts); other tracks weigh 1.
    refill : bool
        After the selection, the kept tracks take the freed hits: :func:`~trackgnn.tracking.extend_tracks`
        (tracks of ≥ 5 hits, where their helix crosses a surface), then
        :func:`~trackgnn.tracking.follow_tracks` (tracks of ≥ ``refill_min_hits``, outward).  The hits
        of a dropped track are often another particle's missing ones.
    refill_min_hits : int
    refill_max_dist_xy, refill_max_dist_sz : float
        The extension's tolerances [mm] in the refill (``max_dist_xy``, ``max_dist_sz`` of
        :func:`~trackgnn.tracking.extend_tracks`; 1 and 3 in the builder's own pass): a track that
        already mixes two particles takes more of the other's freed hits with wider ones.

    Fitted on 8 training events and measured on 10 others (chain outputs of the main job's networks):
    no selection: score 0.579, pT > 1 GeV efficiency 94.57 %, fakes (≥ 5 hits) 9.5 %; ``cut`` 0.3,
    weight 4: 0.575, 94.44, 5.4 %; with ``refill``: 0.588, 94.32, 4.6 %; weight 10 and cut 0.4:
    0.586, 94.39, 4.3 %; refill tolerances 0.7 and 2 mm: 0.585, 94.55, 4.2 %.
    """

    enabled: bool = False
    cut: float = 0.4
    hidden_channels: int = 32
    num_layers: int = 3
    epochs: int = 100
    lr: float = 3.0e-3
    batch_size: int = 4096
    high_pt_weight: float = 10.0
    refill: bool = True
    refill_min_hits: int = 3
    refill_max_dist_xy: float = 0.7
    refill_max_dist_sz: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.cut <= 1:
            raise ValueError(f"cut must be in [0, 1], got {self.cut}")
        check_sizes("width", hidden_channels=self.hidden_channels)
        check_sizes("depth", num_layers=self.num_layers)
        if self.refill_min_hits < 3:
            raise ValueError(f"refill_min_hits must be >= 3, got {self.refill_min_hits}")
        if min(self.hidden_channels, self.num_layers, self.epochs, self.batch_size) < 1:
            raise ValueError(f"hidden_channels, num_layers, epochs and batch_size must be >= 1, got "
                             f"{self.hidden_channels}, {self.num_layers}, {self.epochs}, {self.batch_size}")
        if self.refill_max_dist_xy <= 0 or self.refill_max_dist_sz <= 0:
            raise ValueError(f"refill_max_dist_xy and refill_max_dist_sz must be > 0, got {self.refill_max_dist_xy}, "
                             f"{self.refill_max_dist_sz}")
        if self.lr <= 0 or self.high_pt_weight <= 0:
            raise ValueError(f"lr and high_pt_weight must be > 0, got {self.lr}, {self.high_pt_weight}")


@dataclass
class TrackBuildingConfig:
    """``tracking:`` block: a builder of :data:`trackgnn.tracking.TRACK_BUILDERS`, its options
    and the track selection after it (``quality``).

    ``options`` are checked against the builder's keyword arguments (unknown names and
    wrong types are errors listing the allowed ones).
    """

    method: str = "walkthrough"
    options: dict[str, Any] = field(default_factory=dict)
    quality: TrackQualityConfig = field(default_factory=TrackQualityConfig)

    def __post_init__(self) -> None:
        self.builder()

    def builder(self):
        """The configured :class:`trackgnn.tracking.TrackBuilder`."""
        from trackgnn.tracking import TrackBuilder

        return TrackBuilder(self.method, self.options)


@dataclass
class SecondPassConfig:
    """``second_pass:`` block: iterative tracking, as classical trackers run it.

    With ``enabled``, the chain runs a second time on the hits its first pass left without a
    track: the same embedding (its graph now among those hits only), filter, GNN (or, with
    ``train_epochs``, its own fine-tuned GNN), track building and selection, and the tracks found
    join the first pass's.  A complete event's embedding is
    crowded: a low-pT or displaced particle's hits have ~100-200 closer hits of other particles,
    most of them on tracks already found.  Among the free hits its neighbours are its own.

    Attributes
    ----------
    enabled : bool
    filter_cut : float
        The filter's score cut in the second pass (the first pass keeps the filter config's).
        The networks learnt first-pass graphs, where these edges score low.  6 extra events
        (seed 7), main-job chain: no second pass 0.7257; cut 0.1 / 0.05 / 0.03 / 0.02 →
        0.7345 / 0.7373 / 0.7381 / 0.7384, fakes (≥ 5 hits) 3.5-3.8 %, +0.33-0.39 s per event.
    train_epochs : int
        0: the second pass runs the first pass's GNN and track selection.  Otherwise ``trackgnn
        train`` then fine-tunes a copy of the trained GNN for this many epochs on the second
        pass's own graphs (the free hits the trained first pass leaves on the training and
        validation events, their embedding graph and filter cut as at inference) and fits it
        its own track selection; the second pass runs that pair (``<stage_dir>/second_pass/``).
        Second-pass graphs hold few, mostly low-pT and displaced particles among noise and
        fragments: the first pass's GNN scored them with a loss of ~0.5, against ~0.12 on its
        own graphs.
    lr : float
        Fine-tuning learning rate (cosine schedule over ``train_epochs``).
    quality_cut : float or None
        The second pass's track-selection cut (``tracking.quality.cut`` when None).
    filter_epochs : int
        0: the second pass runs the first pass's filter (at ``filter_cut``).  Otherwise ``trackgnn
        train`` first fine-tunes a copy of the trained filter for this many epochs on the second
        pass's embedding graphs (same events and free hits), and the second pass runs it: the
        first pass's filter learnt graphs where displaced and low-pT edges are rare.
    filter_lr : float
        The filter's fine-tuning learning rate (cosine schedule over ``filter_epochs``).
    graph_r, graph_k : float or None, int or None
        The radius and neighbours per hit of the embedding graph among the free hits (None: the
        embedding config's ``graph.r`` / ``graph.k``).  Free hits are sparse in the embedding: a
        wider graph reaches edges the first pass's graph could not afford.  The second pass's
        filter and GNN are tuned on graphs built this way.
    repeats : int
        How many more times the second pass's stages (graph, filter, GNN, track building and
        selection) run on the hits still free after it: a third pass, a fourth, ...  Each finds
        tracks among fewer hits, whose neighbours are more and more their own.
    """

    enabled: bool = False
    filter_cut: float = 0.03
    train_epochs: int = 0
    lr: float = 0.002
    quality_cut: float | None = None
    filter_epochs: int = 0
    filter_lr: float = 0.001
    graph_r: float | None = None
    graph_k: int | None = None
    repeats: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.filter_cut <= 1:
            raise ValueError(f"filter_cut must be in [0, 1], got {self.filter_cut}")
        for name in ("train_epochs", "filter_epochs", "repeats"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        for name in ("lr", "filter_lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.graph_r is not None and not self.graph_r > 0:
            raise ValueError(f"graph_r must be > 0 or null, got {self.graph_r}")
        if self.graph_k is not None and (isinstance(self.graph_k, bool) or self.graph_k < 1):
            raise ValueError(f"graph_k must be an integer >= 1 or null, got {self.graph_k!r}")
        if self.filter_epochs > 0 and self.train_epochs == 0:
            raise ValueError(f"filter_epochs {self.filter_epochs} needs train_epochs > 0: the second pass's GNN "
                             "learns the graphs its tuned filter keeps")
        if self.quality_cut is not None and not 0 <= self.quality_cut <= 1:
            raise ValueError(f"quality_cut must be in [0, 1], got {self.quality_cut}")


#: The window settings of :class:`FinalExtensionConfig` (distances in mm, all > 0).
_EXTENSION_WINDOWS = ("max_dist_xy", "max_dist_sz", "search_radius", "max_rms_xy", "max_rms_sz")


@dataclass
class FinalExtensionConfig:
    """``final_extension:`` block: after the last pass, tracks take the free hits near their helix.

    With ``enabled``, the chain ends with :func:`~trackgnn.tracking.extend_tracks` over every track
    of ``min_hits`` or more, with looser windows than the builder's (1 / 3 mm): a hit left free
    by both passes belongs to no track, so giving it to the nearest helix costs little.  Inside a
    pass the same windows take hits that following or the second pass would give to their own
    particle (6 extra events, windows 3 / 8 mm: per pass 0.7354, at the end 0.7427, none 0.7381).

    Attributes
    ----------
    enabled : bool
    min_hits : int
    max_dist_xy, max_dist_sz, search_radius, max_rms_xy, max_rms_sz : float
        As :func:`~trackgnn.tracking.extend_tracks`.  6 extra events, RMS cuts 4 / 10 mm and a 20 mm
        search: none 0.7381 (pT > 1 GeV efficiency 98.12 %), 1.5 / 4 mm → 0.7410, 2 / 5 → 0.7421
        (98.11 %), 2.5 / 6 → 0.7426 (97.96 %), 3 / 8 → 0.7427 (97.80 %: a foreign hit can cost a
        short track its majority); 8 / 20 → 0.7377 (fakes ≥ 5 hits 4.8 %).
    """

    enabled: bool = False
    min_hits: int = 5
    max_dist_xy: float = 2.0
    max_dist_sz: float = 5.0
    search_radius: float = 20.0
    max_rms_xy: float = 4.0
    max_rms_sz: float = 10.0

    def __post_init__(self) -> None:
        if self.min_hits < 3:
            raise ValueError(f"min_hits must be >= 3, got {self.min_hits}")
        distances = [getattr(self, key) for key in _EXTENSION_WINDOWS]
        if min(distances) <= 0:
            raise ValueError("max_dist_xy, max_dist_sz, search_radius, max_rms_xy and max_rms_sz must be > 0, got "
                             + ", ".join(f"{value:g}" for value in distances))

    def options(self) -> dict[str, float]:
        """Keyword arguments of :func:`~trackgnn.tracking.extend_tracks`."""
        return {key: getattr(self, key) for key in ("min_hits", *_EXTENSION_WINDOWS)}


@dataclass
class GNNStageConfig(StageConfig):
    """GNN stage YAML (``input_dir`` is the filter stage's ``stage_dir``).

    Attributes
    ----------
    upstream : list of Path
        The configs of the earlier stages, in order (embedding, filter).  When the
        input does not exist yet, ``trackgnn train`` simulates the embedding stage's raw
        dataset if it is missing and trains and runs these stages first.
    simulation : SimulationConfig
        The dataset simulated for that bootstrap (default: full pile-up, seed 0).
    pos_weight : float
        Weight of truth edges (consecutive hits of one particle) in the binary cross-entropy,
        as in the filter stage; fake edges weigh 1.
    skip_weight : float
        Weight of edges joining non-consecutive hits of one particle (target 0 here: the GNN
        learns to drop them; 0 leaves them out of the loss).
    pt_weighting : {'none', 'score'}
        ``score``: truth (and skip) edge weights times the TrackML score's pT weight of the
        particle relative to 1 GeV (0.56 below 0.5 GeV up to 2.78 from 3 GeV,
        :func:`trackgnn.graph.score_pt_weight`), in the edge and the triplet loss.
    score_cut : float
        Edge score above which an edge counts as kept in the metrics.
    input_cut : float
        Drop input edges whose filter score is below this (0 keeps all).
    train_sectors : int
        Each training step sees the hits of one random azimuthal sector, 2π / ``train_sectors``
        wide, of its event (and the edges inside it): a complete event's graph costs that much
        less per step.  1: the whole event.  Validation and inference always see whole events.
    second_pass : SecondPassConfig
        The chain again on the hits its first pass left free (inference only).
    final_extension : FinalExtensionConfig
        After the last pass, tracks take the free hits near their helix (inference only).
    """

    upstream: list[Path] = field(default_factory=list)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    model: GNNModelConfig = field(default_factory=GNNModelConfig)
    triplets: TripletConfig = field(default_factory=TripletConfig)
    tracking: TrackBuildingConfig = field(default_factory=TrackBuildingConfig)
    pos_weight: float = 2.0
    skip_weight: float = 0.0
    pt_weighting: Literal["none", "score"] = "none"
    score_cut: float = 0.5
    input_cut: float = 0.0
    train_sectors: int = 1
    second_pass: SecondPassConfig = field(default_factory=SecondPassConfig)
    final_extension: FinalExtensionConfig = field(default_factory=FinalExtensionConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pos_weight <= 0 or self.skip_weight < 0:
            raise ValueError(f"pos_weight must be > 0 and skip_weight >= 0, got {self.pos_weight}, "
                             f"{self.skip_weight}")
        if not 0 <= self.score_cut <= 1 or not 0 <= self.input_cut <= 1:
            raise ValueError(f"score_cut and input_cut must be in [0, 1], got {self.score_cut}, {self.input_cut}")
        check_train_sectors(self.train_sectors)
