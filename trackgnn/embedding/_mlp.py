"""A configurable multilayer perceptron (shared by the embedding and filter networks)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

__all__ = ["MLP", "ACTIVATIONS"]

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh,
                                           "gelu": nn.GELU}


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "layer":
        return nn.LayerNorm(width)
    if kind == "batch":
        return nn.BatchNorm1d(width)
    return nn.Identity()


class MLP(nn.Module):
    """``in_dim → hidden × n_layers → out_dim``: Linear, normalisation, activation per hidden layer.

    Parameters
    ----------
    in_dim, hidden, out_dim : int
        Widths.
    n_layers : int
        Number of hidden layers (>= 1).
    norm : {'layer', 'batch', 'none'}
        Normalisation after each hidden Linear.
    activation : {'relu', 'silu', 'tanh', 'gelu'}
    """

    def __init__(self, in_dim: int, hidden: int, out_dim: int, n_layers: int = 3,
                 norm: Literal["layer", "batch", "none"] = "layer", activation: str = "silu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"could not resolve activation {activation!r} among {sorted(ACTIVATIONS)}")
        layers: list[nn.Module] = []
        width = in_dim
        for _ in range(n_layers):
            layers += [nn.Linear(width, hidden), _norm(norm, hidden), ACTIVATIONS[activation]()]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.net = nn.Sequential(*layers)
        self.in_dim, self.hidden, self.out_dim, self.n_layers = in_dim, hidden, out_dim, n_layers
        self.norm, self.activation = norm, activation

    def reset_parameters(self) -> None:
        for module in self.net:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """``(n, in_dim) → (n, out_dim)``."""
        return self.net(x)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_dim}, hidden={self.hidden}x{self.n_layers}, "
                f"out={self.out_dim}, norm={self.norm}, act={self.activation})")
