"""The TrackML detector's sensitive surfaces as a track-following pass sees them: barrel
cylinders and endcap disks, with their extents."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

__all__ = ["DetectorSurfaces", "detector_surfaces"]

_BARREL_VOLUMES = (8, 13, 17)


class DetectorSurfaces(NamedTuple):
    """One entry per detector layer [mm].

    Attributes
    ----------
    barrel_r, barrel_z_max : ndarray of shape (10,)
        Mean radius of each barrel layer's module centres, and the |z| its modules reach.
    disk_z, disk_r_min, disk_r_max : ndarray of shape (38,)
        Mean z of each endcap layer's module centres, and the radii its modules span.
    """

    barrel_r: np.ndarray
    barrel_z_max: np.ndarray
    disk_z: np.ndarray
    disk_r_min: np.ndarray
    disk_r_max: np.ndarray


@lru_cache(maxsize=1)
def detector_surfaces() -> DetectorSurfaces:
    """The layers of the packaged TrackML ``detectors.csv`` as cylinders and disks; a module's
    extent is its centre ± its half length ``module_hv``."""
    from trackgnn.data import load_detectors

    modules = load_detectors()
    modules = modules.assign(r=np.hypot(modules["cx"], modules["cy"]), abs_z=modules["cz"].abs())
    barrel = modules["volume_id"].isin(_BARREL_VOLUMES)
    layers = ["volume_id", "layer_id"]
    cylinders = modules[barrel].groupby(layers).agg(r=("r", "mean"), z_max=("abs_z", "max"), hv=("module_hv", "max"))
    disks = modules[~barrel].groupby(layers).agg(z=("cz", "mean"), r_min=("r", "min"), r_max=("r", "max"),
                                                 hv=("module_hv", "max"))
    return DetectorSurfaces(
        barrel_r=cylinders["r"].to_numpy(np.float64),
        barrel_z_max=(cylinders["z_max"] + cylinders["hv"]).to_numpy(np.float64),
        disk_z=disks["z"].to_numpy(np.float64),
        disk_r_min=(disks["r_min"] - disks["hv"]).to_numpy(np.float64),
        disk_r_max=(disks["r_max"] + disks["hv"]).to_numpy(np.float64),
    )
