"""Sanity bounds on sizes in a config, checked at load time.

A typo such as ``hidden_channels: 100000000000`` becomes a :class:`~trackgnn.errors.ConfigError`
naming the key instead of an allocator failure deep inside model building.  The bounds are
far above any published tracking GNN (Exa.TrkX and acorn use widths of 64-1024, up to ~10
message-passing steps and k ≤ 1000), so they only catch values that cannot be meant.
"""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "MAX_NEIGHBOURS", "MAX_WIDTH", "check_sizes"]

#: Largest hidden width (features per hit or edge) of any layer.
MAX_WIDTH = 16_384
#: Most layers of one MLP, or message-passing iterations.
MAX_DEPTH = 128
#: Most neighbours per hit (k of a kNN or radius graph, hard negatives mined per hit).
MAX_NEIGHBOURS = 10_000

_KINDS = {
    "width": ("MAX_WIDTH", "a layer width"),
    "depth": ("MAX_DEPTH", "a number of layers or iterations"),
    "neighbours": ("MAX_NEIGHBOURS", "a number of neighbours per hit"),
}


def check_sizes(kind: str, **sizes: int) -> None:
    """Raise ``ValueError`` naming the first of ``sizes`` above the bound of ``kind``.

    Parameters
    ----------
    kind : {'width', 'depth', 'neighbours'}
    **sizes : int
        Setting name → value, e.g. ``check_sizes("width", hidden_channels=64)``.
    """
    attribute, what = _KINDS[kind]
    limit = globals()[attribute]
    for name, value in sizes.items():
        if value > limit:
            raise ValueError(f"{name} must be <= {limit} (the sanity bound on {what}), got {value}")
