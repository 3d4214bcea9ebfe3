"""Hard cuts on hits (training and metric evaluation only; inference keeps every hit).

Attribute convention of event ``Data`` (used to subset them consistently):

* ``edge_index`` (2, E) with per-edge attributes named ``y`` or ``edge_*`` (first dim E);
* ``track_edges`` (2, T) with per-truth-edge attributes named ``track_*`` (first dim T);
* every other tensor whose first dimension is the number of hits is a node attribute;
* anything else (event id, flags, strings) is kept as is.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HardCuts", "hard_cut_mask", "apply_hard_cuts", "subset_nodes"]

_EDGE_SETS = {"edge_index": ("y", "edge_"), "track_edges": ("track_",)}


@dataclass
class HardCuts:
    """Which hits enter training and evaluation.

    Attributes
    ----------
    pt_min : float
        Remove hits of particles with pT below this (GeV); 0 keeps all.
    remove_noise : bool
        Remove noise hits (particle_id 0).
    min_hits : int
        Remove hits of particles with fewer hits than this in the event.
    eta_max : float or None
        Remove hits of particles with |eta| above this.
    """

    pt_min: float = 0.0
    remove_noise: bool = False
    min_hits: int = 0
    eta_max: float | None = None

    def __post_init__(self) -> None:
        if self.pt_min < 0:
            raise ValueError(f"pt_min must be >= 0 GeV, got {self.pt_min}")
        if self.min_hits < 0:
            raise ValueError(f"min_hits must be >= 0, got {self.min_hits}")
        if self.eta_max is not None and self.eta_max <= 0:
            raise ValueError(f"eta_max must be > 0, got {self.eta_max}")

    @property
    def active(self) -> bool:
        return self.pt_min > 0 or self.remove_noise or self.min_hits > 0 or self.eta_max is not None


def hard_cut_mask(data, cuts: HardCuts):
    """Boolean tensor of shape ``(n_hits,)``: hits that pass ``cuts``."""
    import torch

    noise = data.particle_id == 0
    keep = torch.ones(data.num_nodes, dtype=torch.bool)
    particle_ok = data.pt >= cuts.pt_min
    if cuts.min_hits > 0:
        particle_ok &= data.particle_nhits >= cuts.min_hits
    if cuts.eta_max is not None:
        particle_ok &= data.particle_eta.abs() <= cuts.eta_max
    keep &= noise | particle_ok
    if cuts.remove_noise:
        keep &= ~noise
    return keep


def apply_hard_cuts(data, cuts: HardCuts):
    """A copy of ``data`` restricted to the hits passing ``cuts`` (edges re-indexed)."""
    if not cuts.active:
        return data
    return subset_nodes(data, hard_cut_mask(data, cuts))


def subset_nodes(data, keep):
    """Restrict an event ``Data`` to the hits where ``keep`` is true.

    Node attributes are indexed, edges with a removed end are dropped together
    with their per-edge attributes, and the surviving edges are re-indexed.
    """
    import torch

    n = data.num_nodes
    new_index = torch.full((n,), -1, dtype=torch.long)
    new_index[keep] = torch.arange(int(keep.sum()))
    out = data.__class__()
    edge_attrs = {}
    for key, prefixes in _EDGE_SETS.items():
        if key in data:
            edge_attrs[key] = [k for k in data.keys() if k != key and k.startswith(prefixes)]
    owned = {k for ks in edge_attrs.values() for k in ks}
    for key in data.keys():
        value = data[key]
        if key in edge_attrs:
            mapped = new_index[value]
            ok = (mapped >= 0).all(dim=0)
            out[key] = mapped[:, ok]
            for attr in edge_attrs[key]:
                out[attr] = data[attr][ok]
        elif key in owned:
            continue
        elif torch.is_tensor(value) and value.dim() > 0 and value.shape[0] == n:
            out[key] = value[keep]
        else:
            out[key] = value
    out.num_nodes = int(keep.sum())
    return out


def random_sector(data, n_sectors: int, generator):
    """The hits of ``data`` in one random azimuthal sector, 2π / ``n_sectors`` wide, and the
    edges inside it (:func:`subset_nodes`); ``n_sectors`` 1 returns ``data`` itself.

    The sector's centre is uniform in φ (one draw from ``generator``), so every hit is seen
    equally often over many draws.  Needs ``data.phi``.
    """
    import math

    import torch

    from trackgnn.geometry import wrap_angle

    if n_sectors <= 1:
        return data
    centre = (torch.rand(1, generator=generator).item() * 2 - 1) * math.pi
    return subset_nodes(data, wrap_angle(data.phi.double() - centre).abs() < math.pi / n_sectors)
