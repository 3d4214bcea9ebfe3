"""A configurable multi-layer perceptron, the building block of every network here."""

from __future__ import annotations

from typing import Callable, Sequence

from torch import Tensor, nn

__all__ = ["MLP", "ACTIVATIONS", "NORMS", "resolve_activation"]

#: Activation names accepted by :class:`MLP` and the GNNs.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "silu": nn.SiLU,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
}

#: Normalisation names accepted by :class:`MLP` (``None`` for no normalisation).
NORMS: tuple[str, ...] = ("layer", "batch")


def resolve_activation(name: str) -> nn.Module:
    """Return a fresh activation module for ``name``.

    Raises
    ------
    ValueError
        ``could not resolve 'x' among [...]`` for an unknown name.
    """
    try:
        return ACTIVATIONS[name.lower()]()
    except (KeyError, AttributeError):
        raise ValueError(f"activation: could not resolve {name!r} among {sorted(ACTIVATIONS)}") from None


def _norm(kind: str | None, channels: int) -> nn.Module | None:
    if kind is None:
        return None
    if kind == "layer":
        return nn.LayerNorm(channels)
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    raise ValueError(f"norm: could not resolve {kind!r} among {list(NORMS) + [None]}")


class MLP(nn.Sequential):
    r"""Linear layers with normalisation, activation and dropout between them.

    ``channels = [in, h1, ..., out]`` gives ``len(channels) - 1`` linear layers.
    Every hidden layer is ``Linear → Norm → Activation → Dropout``; the last layer is a
    plain ``Linear`` unless ``output_activation`` (then it gets norm and activation too).

    Parameters
    ----------
    channels : sequence of int
        Layer widths including input and output, at least two entries.
    activation : str
        One of :data:`ACTIVATIONS` (default ``"silu"``).
    norm : {"layer", "batch", None}
        Normalisation after every hidden linear layer.
    dropout : float
        Dropout probability after every hidden activation.
    output_activation : bool
        Treat the last layer like a hidden one (useful for encoders feeding residual blocks).

    Shapes
    ------
    input ``(N, channels[0])`` → output ``(N, channels[-1])``.
    """

    def __init__(
        self,
        channels: Sequence[int],
        *,
        activation: str = "silu",
        norm: str | None = "layer",
        dropout: float = 0.0,
        output_activation: bool = False,
    ) -> None:
        channels = [int(c) for c in channels]
        if len(channels) < 2 or min(channels) < 1:
            raise ValueError(f"MLP: channels must list at least input and output widths ≥ 1, got {channels}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        resolve_activation(activation)
        _norm(norm, 1)
        layers: list[nn.Module] = []
        n_linear = len(channels) - 1
        for k in range(n_linear):
            layers.append(nn.Linear(channels[k], channels[k + 1]))
            if k < n_linear - 1 or output_activation:
                norm_layer = _norm(norm, channels[k + 1])
                if norm_layer is not None:
                    layers.append(norm_layer)
                layers.append(resolve_activation(activation))
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.channels = channels
        self.activation = activation
        self.norm = norm
        self.dropout = dropout
        self.output_activation = output_activation

    @property
    def in_channels(self) -> int:
        return self.channels[0]

    @property
    def out_channels(self) -> int:
        return self.channels[-1]

    def reset_parameters(self) -> None:
        """Re-initialise every linear and normalisation layer."""
        for module in self:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102 - nn.Sequential semantics
        if x.shape[0] == 0 and self.norm == "batch":
            # BatchNorm refuses empty batches: return the empty output, still connected to every
            # parameter so that data-parallel gradient reduction sees them all
            anchor = sum(p.sum() for p in self.parameters()) * 0.0
            return x.new_zeros((0, self.out_channels)) + anchor
        return super().forward(x)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.channels}, activation={self.activation!r}, "
            f"norm={self.norm!r}, dropout={self.dropout})"
        )
