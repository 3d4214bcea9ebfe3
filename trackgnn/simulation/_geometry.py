"""The TrackML detector as arrays, with a fast "which module is here" lookup.

Each of the 48 sensitive layers is represented by a nominal surface (a
cylinder of the layer's mean module radius in the barrel, a plane at the
layer's mean module z in the endcaps) and a table that bins the layer's
modules in (phi, z) for barrels and (phi, r) for endcaps.  Every module is
entered in every bin that its outline (grown by a margin) touches, so the
modules a particle may cross near a point on the nominal surface are the few
entries of one bin.  The exact crossing with each candidate module plane is
then found by the propagator.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Geometry", "load_geometry", "KIND_NAMES", "BARREL_VOLUMES"]

# detector technology of each volume: 0 pixel, 1 short strip, 2 long strip
_VOLUME_KIND = {7: 0, 8: 0, 9: 0, 12: 1, 13: 1, 14: 1, 16: 2, 17: 2, 18: 2}
KIND_NAMES = ("pixel", "short strip", "long strip")
BARREL_VOLUMES = (8, 13, 17)

# a module is registered in the bins its outline touches, grown by this much [mm]
_BIN_MARGIN = 6.0


@dataclass(frozen=True)
class Geometry:
    """Module and layer arrays of the detector (all lengths in mm).

    Module arrays have one row per module (``n_modules`` = 18,728 for
    TrackML); layer arrays one row per sensitive layer (48).
    """

    volume_id: np.ndarray  # (n_modules,) int32
    layer_id: np.ndarray  # (n_modules,) int32
    module_id: np.ndarray  # (n_modules,) int32
    layer_index: np.ndarray  # (n_modules,) int32, row in the layer arrays
    center: np.ndarray  # (n_modules, 3) float64
    rotation: np.ndarray  # (n_modules, 3, 3) float64, columns = local u, v, w axes
    thickness: np.ndarray  # (n_modules,)
    min_hu: np.ndarray  # (n_modules,) half-width in u at v = -hv
    max_hu: np.ndarray  # (n_modules,) half-width in u at v = +hv
    hv: np.ndarray  # (n_modules,) half-length in v
    pitch_u: np.ndarray  # (n_modules,)
    pitch_v: np.ndarray  # (n_modules,)
    kind: np.ndarray  # (n_modules,) int8, 0 pixel / 1 short strip / 2 long strip
    layer_volume: np.ndarray  # (n_layers,) int32
    layer_layer: np.ndarray  # (n_layers,) int32
    layer_barrel: np.ndarray  # (n_layers,) bool
    layer_position: np.ndarray  # (n_layers,) radius (barrel) or z (endcap) of the surface
    layer_low: np.ndarray  # (n_layers,) z (barrel) or r (endcap) lower edge of the modules
    layer_high: np.ndarray  # (n_layers,) upper edge
    layer_kind: np.ndarray  # (n_layers,) int8
    bin_phi: np.ndarray  # (n_layers,) int32, number of phi bins
    bin_s: np.ndarray  # (n_layers,) int32, number of z (barrel) / r (endcap) bins
    bin_s_low: np.ndarray  # (n_layers,) lower edge of the s binning
    bin_s_width: np.ndarray  # (n_layers,) width of one s bin
    bin_offset: np.ndarray  # (n_layers,) int64, first row of the layer in ``bin_table``
    bin_table: np.ndarray  # (n_bins_total, max_candidates) int32 module rows, -1 padded
    detectors: pd.DataFrame  # the detectors.csv table the arrays came from

    @property
    def n_layers(self) -> int:
        return len(self.layer_volume)

    def half_width_u(self, module: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Half-width in u of ``module`` at local ``v`` (trapezoids in the endcaps) [mm]."""
        hv = self.hv[module]
        frac = np.clip((v + hv) / (2.0 * hv), 0.0, 1.0)
        return self.min_hu[module] + (self.max_hu[module] - self.min_hu[module]) * frac

    def to_local(self, module: np.ndarray, xyz: np.ndarray) -> np.ndarray:
        """Global points ``(n, 3)`` to the local (u, v, w) frame of ``module`` ``(n,)``."""
        delta = xyz - self.center[module]
        return np.einsum("nij,ni->nj", self.rotation[module], delta)

    def to_global(self, module: np.ndarray, uvw: np.ndarray) -> np.ndarray:
        """Local points ``(n, 3)`` of ``module`` ``(n,)`` to global x, y, z."""
        return self.center[module] + np.einsum("nij,nj->ni", self.rotation[module], uvw)

    def candidates(self, layer: np.ndarray, phi: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Modules near points of the nominal surfaces.

        Parameters
        ----------
        layer : (n,) int
            Layer rows.
        phi : (n,) float
            Azimuth of the points [rad].
        s : (n,) float
            z [mm] for barrel layers, r [mm] for endcap layers.

        Returns
        -------
        (n, max_candidates) int32 module rows, -1 where there is none.
        """
        n_phi = self.bin_phi[layer]
        i_phi = np.floor((phi + np.pi) / (2.0 * np.pi) * n_phi).astype(np.int64) % n_phi
        i_s = np.floor((s - self.bin_s_low[layer]) / self.bin_s_width[layer]).astype(np.int64)
        inside = (i_s >= 0) & (i_s < self.bin_s[layer])
        rows = self.bin_offset[layer] + np.clip(i_s, 0, self.bin_s[layer] - 1) * n_phi + i_phi
        out = self.bin_table[rows]
        out[~inside] = -1
        return out


def _outline(center: np.ndarray, rot: np.ndarray, min_hu, max_hu, hv, thickness) -> np.ndarray:
    """Sample points of each module's outline and thickness: ``(n_modules, 18, 3)``."""
    pts = []
    for w in (-0.5, 0.5):
        for v_sign in (-1.0, 0.0, 1.0):
            for u_sign in (-1.0, 0.0, 1.0):
                v = v_sign * hv
                hu = min_hu + (max_hu - min_hu) * (v + hv) / (2.0 * hv)
                local = np.stack([u_sign * hu, v, w * thickness], axis=1)
                pts.append(center + np.einsum("nij,nj->ni", rot, local))
    return np.stack(pts, axis=1)


def _build_bins(geo: dict, n_layers: int) -> tuple[np.ndarray, ...]:
    """Register every module in the (phi, s) bins its grown outline touches."""
    layer_index = geo["layer_index"]
    pts = _outline(geo["center"], geo["rotation"], geo["min_hu"], geo["max_hu"], geo["hv"], geo["thickness"])
    r_pts = np.hypot(pts[..., 0], pts[..., 1])
    phi_c = np.arctan2(geo["center"][:, 1], geo["center"][:, 0])
    dphi = np.angle(np.exp(1j * (np.arctan2(pts[..., 1], pts[..., 0]) - phi_c[:, None])))
    r_c = np.hypot(geo["center"][:, 0], geo["center"][:, 1])
    phi_lo = phi_c + dphi.min(axis=1) - _BIN_MARGIN / np.maximum(r_pts.min(axis=1), 1.0)
    phi_hi = phi_c + dphi.max(axis=1) + _BIN_MARGIN / np.maximum(r_pts.min(axis=1), 1.0)
    barrel_mod = geo["layer_barrel"][layer_index]
    s_pts = np.where(barrel_mod[:, None], pts[..., 2], r_pts)
    # the smallest r of an endcap module is on its inner edge, not at a corner
    s_lo = np.where(barrel_mod, s_pts.min(axis=1), np.minimum(s_pts.min(axis=1), r_c - geo["hv"])) - _BIN_MARGIN
    s_hi = s_pts.max(axis=1) + _BIN_MARGIN

    bin_phi = np.zeros(n_layers, np.int32)
    bin_s = np.zeros(n_layers, np.int32)
    bin_s_low = np.zeros(n_layers)
    bin_s_width = np.zeros(n_layers)
    entries: list[list[int]] = []
    offsets = np.zeros(n_layers, np.int64)
    for lay in range(n_layers):
        mods = np.flatnonzero(layer_index == lay)
        width_u = 2.0 * geo["max_hu"][mods].max()
        r_min = max(r_c[mods].min() - geo["hv"][mods].max(), 20.0)
        # phi bins about half a module wide at the inner edge of the layer
        bin_phi[lay] = max(8, int(2.0 * np.pi * r_min / (0.5 * width_u)))
        bin_s_low[lay] = s_lo[mods].min()
        span = s_hi[mods].max() - bin_s_low[lay]
        bin_s_width[lay] = geo["hv"][mods].max() * 0.5
        bin_s[lay] = int(np.ceil(span / bin_s_width[lay])) + 1
        offsets[lay] = len(entries)
        cells: list[list[int]] = [[] for _ in range(bin_phi[lay] * bin_s[lay])]
        step = 2.0 * np.pi / bin_phi[lay]
        for m in mods:
            p0 = int(np.floor((phi_lo[m] + np.pi) / step))
            p1 = int(np.floor((phi_hi[m] + np.pi) / step))
            s0 = int(np.floor((s_lo[m] - bin_s_low[lay]) / bin_s_width[lay]))
            s1 = int(np.floor((s_hi[m] - bin_s_low[lay]) / bin_s_width[lay]))
            for i_s in range(max(s0, 0), min(s1, bin_s[lay] - 1) + 1):
                base = i_s * bin_phi[lay]
                for i_p in range(p0, p1 + 1):
                    cells[base + i_p % bin_phi[lay]].append(int(m))
        entries.extend(cells)
    width = max(len(c) for c in entries)
    table = np.full((len(entries), width), -1, np.int32)
    for row, cell in enumerate(entries):
        table[row, : len(cell)] = cell
    return bin_phi, bin_s, bin_s_low, bin_s_width, offsets, table


def build_geometry(detectors: pd.DataFrame) -> Geometry:
    """Arrays and lookup tables of a TrackML ``detectors.csv`` table."""
    det = detectors.sort_values(["volume_id", "layer_id", "module_id"], kind="stable").reset_index(drop=True)
    keys = det[["volume_id", "layer_id"]].to_numpy()
    layers, layer_index = np.unique(keys, axis=0, return_inverse=True)
    layer_index = layer_index.reshape(-1).astype(np.int32)
    rot = det[[f"rot_{a}{b}" for a in "xyz" for b in "uvw"]].to_numpy(np.float64).reshape(-1, 3, 3)
    center = det[["cx", "cy", "cz"]].to_numpy(np.float64)
    geo = {
        "center": center,
        "rotation": rot,
        "thickness": det["module_t"].to_numpy(np.float64),
        "min_hu": det["module_minhu"].to_numpy(np.float64),
        "max_hu": det["module_maxhu"].to_numpy(np.float64),
        "hv": det["module_hv"].to_numpy(np.float64),
        "layer_index": layer_index,
    }
    n_layers = len(layers)
    layer_volume = layers[:, 0].astype(np.int32)
    layer_barrel = np.isin(layer_volume, BARREL_VOLUMES)
    geo["layer_barrel"] = layer_barrel
    r_c = np.hypot(center[:, 0], center[:, 1])
    position = np.zeros(n_layers)
    low = np.zeros(n_layers)
    high = np.zeros(n_layers)
    for lay in range(n_layers):
        sel = layer_index == lay
        hv = geo["hv"][sel].max()
        if layer_barrel[lay]:
            position[lay] = r_c[sel].mean()
            low[lay] = center[sel, 2].min() - hv
            high[lay] = center[sel, 2].max() + hv
        else:
            position[lay] = center[sel, 2].mean()
            low[lay] = r_c[sel].min() - hv
            high[lay] = np.hypot(r_c[sel] + geo["hv"][sel], geo["max_hu"][sel]).max()
    bins = _build_bins(geo, n_layers)
    kind = np.array([_VOLUME_KIND[int(v)] for v in det["volume_id"]], np.int8)
    return Geometry(
        volume_id=det["volume_id"].to_numpy(np.int32),
        layer_id=det["layer_id"].to_numpy(np.int32),
        module_id=det["module_id"].to_numpy(np.int32),
        layer_index=layer_index,
        center=center,
        rotation=rot,
        thickness=geo["thickness"],
        min_hu=geo["min_hu"],
        max_hu=geo["max_hu"],
        hv=geo["hv"],
        pitch_u=det["pitch_u"].to_numpy(np.float64),
        pitch_v=det["pitch_v"].to_numpy(np.float64),
        kind=kind,
        layer_volume=layer_volume,
        layer_layer=layers[:, 1].astype(np.int32),
        layer_barrel=layer_barrel,
        layer_position=position,
        layer_low=low,
        layer_high=high,
        layer_kind=np.array([_VOLUME_KIND[int(v)] for v in layer_volume], np.int8),
        bin_phi=bins[0],
        bin_s=bins[1],
        bin_s_low=bins[2],
        bin_s_width=bins[3],
        bin_offset=bins[4],
        bin_table=bins[5],
        detectors=detectors,
    )


def _read_detectors() -> pd.DataFrame:
    try:
        from trackgnn.data import load_detectors
    except ImportError:  # the loader of trackgnn.data is not there: read the package file
        load_detectors = None
    if load_detectors is not None:
        return load_detectors()
    from importlib import resources

    with resources.files("trackgnn.data").joinpath("resources/detectors.csv.gz").open("rb") as fh:
        return pd.read_csv(fh, compression="gzip")


@functools.lru_cache(maxsize=1)
def load_geometry() -> Geometry:
    """The packaged TrackML geometry, built once per process."""
    return build_geometry(_read_detectors())
