"""Settings of the event simulator, checked once when the object is built."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

__all__ = ["SimulationConfig"]


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high) or (isinstance(value, float) and math.isnan(value)):
        raise ValueError(f"SimulationConfig.{name} must be in [{low}, {high}], got {value!r}")


@dataclass(frozen=True)
class SimulationConfig:
    """Physics and detector settings of one simulated dataset.

    The defaults are calibrated so that a full event resembles TrackML
    ``event000001000`` (REFERENCE §3): about 12k particles and 110k hits.

    Attributes
    ----------
    seed : int
        Master seed; event ``N`` is seeded from ``(seed, N)`` only, so an event
        is the same whatever the number of workers or the events around it.
    pileup : float
        Mean number of proton-proton vertices per event (Poisson-distributed,
        at least one).
    particles_per_vertex : float
        Mean number of primary charged particles per vertex (negative-binomial).
    multiplicity_shape : float
        Shape ``k`` of the negative-binomial multiplicity (smaller = broader).
    vertex_sigma_z, vertex_sigma_xy : float
        Gaussian spread of the vertices along z and in x, y [mm].
    decay_fraction : float
        Fraction of primaries produced by the decay of a neutral parent, away
        from their vertex.
    decay_length : float
        Mean flight distance of those neutral parents [mm], along the daughter.
    secondary_fraction : float
        Fraction of all particles that are secondaries (generation 1), made by
        inelastic interactions of primaries in the modules they cross (the
        interacting primary is absorbed there).
    noise_fraction : float
        Fraction of all hits that are noise (particle_id 0), spread uniformly
        over the modules.
    efficiency : float
        Probability that a particle crossing a module leaves a hit.
    bfield : float
        Solenoid field along z [T].
    support_x0 : tuple of float
        Extra material (fraction of a radiation length) per module crossing for
        pixel, short-strip and long-strip modules, added to the silicon.
    max_turning : float
        Largest total turning angle of a helix [rad]: a looping particle is
        followed out to its largest radius (pi) and stopped there.
    max_crossings : int
        Largest number of layer crossings followed per particle.
    """

    seed: int = 0
    pileup: float = 200.0
    particles_per_vertex: float = 45.0
    multiplicity_shape: float = 1.5
    vertex_sigma_z: float = 6.0
    vertex_sigma_xy: float = 0.015
    decay_fraction: float = 0.08
    decay_length: float = 100.0
    secondary_fraction: float = 0.23
    noise_fraction: float = 0.12
    efficiency: float = 0.97
    bfield: float = 2.0
    support_x0: tuple[float, float, float] = (0.010, 0.015, 0.020)
    max_turning: float = math.pi
    max_crossings: int = 40

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"SimulationConfig.seed must be an integer >= 0, got {self.seed!r}")
        _check_range("pileup", self.pileup, 0.0, 1000.0)
        _check_range("particles_per_vertex", self.particles_per_vertex, 0.0, 5000.0)
        _check_range("multiplicity_shape", self.multiplicity_shape, 0.01, 1e6)
        _check_range("vertex_sigma_z", self.vertex_sigma_z, 0.0, 500.0)
        _check_range("vertex_sigma_xy", self.vertex_sigma_xy, 0.0, 10.0)
        _check_range("decay_fraction", self.decay_fraction, 0.0, 1.0)
        _check_range("decay_length", self.decay_length, 0.0, 500.0)
        _check_range("secondary_fraction", self.secondary_fraction, 0.0, 0.9)
        _check_range("noise_fraction", self.noise_fraction, 0.0, 0.9)
        _check_range("efficiency", self.efficiency, 0.0, 1.0)
        _check_range("bfield", self.bfield, 0.1, 10.0)
        _check_range("max_turning", self.max_turning, 0.0, 100.0)
        _check_range("max_crossings", self.max_crossings, 1, 1000)
        if len(self.support_x0) != 3:
            raise ValueError(
                "SimulationConfig.support_x0 must hold 3 values (pixel, short strip, long strip), "
                f"got {self.support_x0!r}"
            )
        for value in self.support_x0:
            _check_range("support_x0", value, 0.0, 0.5)

    def replace(self, **changes: object) -> "SimulationConfig":
        """Return a copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)
