"""Inference of an :class:`MLP` over concatenated, gathered rows, without building the concatenation.

The networks here read edges (and triplets) as ``MLP([x[src], x[dst], edge_attr])``.  Written
that way, a full event materialises several (E, width) tensors, and every normalisation and
activation streams hundreds of megabytes through memory.  :func:`gathered_mlp` computes the same
function exactly (up to float rounding) for inference:

* the first linear layer is split by input block, ``W [a, b, c] = W_a a + W_b b + W_c c``;
  a block gathered from a table (hits, edges) is projected once per table row and the
  projection gathered per output row (``(W_a x)[src]``), which is cheaper whenever the table
  has fewer rows than the output or is not wider than the layer;
* the output rows are processed in chunks that stay in the CPU caches, each through the
  first layer's sum, then the MLP's remaining modules, then an optional residual.

Only for modules in eval mode without gradient (:func:`inference_ready`).
"""

from __future__ import annotations

import functools
from typing import ContextManager, NamedTuple, Sequence

import torch
from torch import Tensor, nn

from trackgnn.models._dense_linear import dense_linear
from trackgnn.models._row_threads import chunked_rows
from trackgnn.models._switch import Switch

__all__ = ["DEFAULT_CHUNK_ROWS", "GatheredInput", "chunk_rows_for", "fast_inference", "fast_paths_enabled",
           "gathered_forward", "gathered_mlp", "inference_ready", "row_kernels", "split_first_layer"]

#: Output rows per chunk: a (rows, 64) float32 activation is 2 MiB, about a core's L2.
DEFAULT_CHUNK_ROWS: int = 8_192


def chunk_rows_for(width: int) -> int:
    """Rows per chunk whose (rows, ``width``) float32 activation is as large as the default's at width 64."""
    return max(256, DEFAULT_CHUNK_ROWS * 64 // max(1, width))


class GatheredInput(NamedTuple):
    """One block of an MLP's input: ``table[index]`` (or ``table`` itself, row by row, when ``index`` is None).

    ``grouping``: ``index`` grouped by value, ``(order, ptr)`` as :class:`~trackgnn.models._segment_aggregate.Adjacency`
    holds a graph's sources and targets; training passes the gradient back through the gather with it (else
    the gather groups ``index`` itself).
    """

    table: Tensor
    index: Tensor | None = None
    grouping: tuple | None = None


_FAST_PATHS = Switch()
_ROW_KERNELS = Switch()


def fast_inference(enabled: bool = True) -> ContextManager[None]:
    """Within this context, the networks' fast CPU paths are used (default) or not: ``enabled=False``
    runs the plain PyTorch / PyG modules, in inference and in training (the reference; tests and
    benchmarks compare the two in one process)."""
    return _FAST_PATHS.turned(enabled)


def row_kernels(enabled: bool = True) -> ContextManager[None]:
    """Within this context the float32 inference chunks use the numba row kernels (default) or
    ATen's modules only (``bench/reconstruct.py --compare kernels`` measures one against the other)."""
    return _ROW_KERNELS.turned(enabled)


def fast_paths_enabled() -> bool:
    """Whether :func:`fast_inference` allows the fast CPU paths (the default)."""
    return bool(_FAST_PATHS)


def inference_ready(module: nn.Module) -> bool:
    """Whether ``module`` may take its inference path: it runs as a pure function (eval mode, no
    gradient being recorded) on the CPU (the paths are cache-sized chunks on CPU worker threads and
    numba kernels over NumPy views; a GPU runs the reference forward) and :func:`fast_inference`
    is not disabled."""
    if not _FAST_PATHS or module.training or torch.is_grad_enabled():
        return False
    parameter = next(module.parameters(), None)
    return parameter is None or parameter.device.type == "cpu"


def _first_linear(mlp: nn.Sequential) -> nn.Linear:
    first = mlp[0]
    if not isinstance(first, nn.Linear):
        raise TypeError(f"gathered_mlp: the MLP must start with nn.Linear, got {type(first).__name__}")
    return first


def gathered_mlp(mlp: nn.Sequential, inputs: Sequence[GatheredInput], n_rows: int, *,
                 residual: Tensor | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                 out: Tensor | None = None) -> Tensor:
    """``mlp(torch.cat([t[i] for t, i in inputs], dim=1)) (+ residual)`` evaluated chunk by chunk.

    Parameters
    ----------
    mlp : nn.Sequential
        Starts with an ``nn.Linear`` whose input width is the sum of the blocks' widths; every
        later module must act row by row (linear, LayerNorm, activation, eval-mode BatchNorm or
        Dropout).
    inputs : sequence of GatheredInput
        The blocks, in the order of the concatenation.  Blocks with an ``index`` of length
        ``n_rows`` are gathered; those without have ``n_rows`` rows.
    n_rows : int
        Output rows.
    residual : Tensor, optional
        (n_rows, out) added to the output.
    chunk_rows : int
        Rows per chunk.
    out : Tensor, optional
        Written and returned when its shape and dtype fit (:func:`chunked_rows`); it may be
        ``residual`` or an ungathered input (each chunk reads its own rows first): an update in place.

    Returns
    -------
    Tensor
        (n_rows, out), the dtype of the MLP's output (BF16 under BF16 autocast).
    """
    if n_rows == 0:
        first = inputs[0].table
        empty = first.new_zeros((0, sum(block.table.shape[1] for block in inputs)))
        out = mlp(empty)
        return out if residual is None else residual + out
    linear = _first_linear(mlp)
    # each block's columns of the first layer made contiguous once here, not by every chunk's product
    weights = [weight.contiguous() for weight in
               torch.split(linear.weight, [block.table.shape[1] for block in inputs], dim=1)]
    # a gathered block is projected per table row first: one small matmul instead of one per output row, in one
    # product (autocast applies as to nn.Linear; products by chunks of rows joined by torch.cat wrote the result twice)
    blocks = [(block.table if block.index is None else dense_linear(block.table, weight), block.index,
               weight if block.index is None else None) for block, weight in zip(inputs, weights)]
    rest = list(mlp)[1:]
    if _kernels_apply(blocks, linear):
        return _kernel_rows(blocks, linear, rest, n_rows, residual, chunk_rows, out)

    def rows(start: int, stop: int) -> Tensor:
        z = None
        for table, index, weight in blocks:
            term = (nn.functional.linear(table[start:stop], weight) if index is None
                    else table.index_select(0, index[start:stop]))
            z = term if z is None else z.add_(term) if z.dtype == term.dtype else z + term
        if linear.bias is not None:
            z = z.add_(linear.bias) if z.dtype == linear.bias.dtype else z + linear.bias
        for module in rest:
            z = module(z)
        return z if residual is None else residual[start:stop] + z

    return chunked_rows(rows, n_rows, chunk_rows, out)


def _kernels_apply(blocks: list, linear: nn.Linear) -> bool:
    """Whether :func:`_kernel_rows` computes these blocks: float32 throughout (not under autocast),
    contiguous tables and int64 indices."""
    if not _ROW_KERNELS or torch.is_autocast_enabled("cpu") or linear.weight.dtype != torch.float32:
        return False
    return all(table.dtype == torch.float32 and table.is_contiguous()
               and (index is None or (index.dtype == torch.int64 and index.is_contiguous()))
               for table, index, _ in blocks)


def _row_steps(rest: Sequence[nn.Module]) -> list:
    """The modules after the first linear layer, each ``LayerNorm`` followed by ``SiLU`` or ``Tanh`` as
    one ``(kernel, gamma, beta, eps)`` step (:func:`~trackgnn.models._row_kernels.layer_norm_silu`,
    :func:`~trackgnn.models._row_kernels.layer_norm_tanh`), each ``nn.Linear`` as its
    :func:`~trackgnn.models._dense_linear.dense_linear`."""
    from trackgnn.models import _row_kernels as kernels

    fused = {nn.SiLU: kernels.layer_norm_silu, nn.Tanh: kernels.layer_norm_tanh}
    steps: list = []
    k = 0
    while k < len(rest):
        module, following = rest[k], rest[k + 1] if k + 1 < len(rest) else None
        if (isinstance(module, nn.LayerNorm) and type(following) in fused and module.elementwise_affine
                and len(module.normalized_shape) == 1 and module.bias is not None):
            steps.append((fused[type(following)], module.weight.detach().contiguous().numpy(),
                          module.bias.detach().contiguous().numpy(), float(module.eps)))
            k += 2
        elif isinstance(module, nn.Linear):
            steps.append(functools.partial(dense_linear, weight=module.weight, bias=module.bias))
            k += 1
        else:
            steps.append(module)
            k += 1
    return steps


def _kernel_rows(blocks: list, linear: nn.Linear, rest: Sequence[nn.Module], n_rows: int,
                 residual: Tensor | None, chunk_rows: int, out: Tensor | None) -> Tensor:
    """:func:`gathered_mlp`'s chunks with the numba row kernels (:mod:`trackgnn.models._row_kernels`):
    gathered blocks added straight into the chunk, ``LayerNorm → SiLU`` / ``Tanh`` in one in-place pass."""
    from trackgnn.models._row_kernels import add_gathered_rows

    steps = _row_steps(rest)
    width = linear.weight.shape[0]
    gathered = [(table.numpy(), index.numpy()) for table, index, _ in blocks if index is not None]
    direct = [(table, weight) for table, index, weight in blocks if index is None]

    def rows(start: int, stop: int) -> Tensor:
        z = None
        for table, weight in direct:  # the bias joins the first product (one GEMM with beta = 1)
            term = dense_linear(table[start:stop], weight, linear.bias if z is None else None)
            z = term if z is None else z.add_(term)
        if z is None:
            z = torch.zeros((stop - start, width), dtype=torch.float32)
            if linear.bias is not None:
                z.add_(linear.bias)
        for table, index in gathered:
            add_gathered_rows(z.numpy(), table, index, start)
        for step in steps:
            if isinstance(step, tuple):
                step[0](z.numpy(), *step[1:])
            else:
                z = step(z).contiguous()
        if residual is None:
            return z
        return z.add_(residual[start:stop]) if residual.dtype == z.dtype else residual[start:stop] + z

    return chunked_rows(rows, n_rows, chunk_rows, out)


def split_first_layer(mlp: nn.Sequential, inputs: Sequence[GatheredInput], n_rows: int) -> Tensor:
    """``mlp(torch.cat([t[i] for t, i in inputs], dim=1))`` with gradients, for training on the CPU:
    the first linear layer split by block as in :func:`gathered_mlp`, without the concatenation.

    A gathered block is projected per table row and the projection gathered when the table has fewer
    rows than the output (a graph's hits for its edges: fewer products, a narrower gather), else
    gathered and then projected.  The gathers pass their gradient back with the segment-sum kernel
    (:func:`~trackgnn.models._segment_aggregate.gather_rows`), grouped by ``GatheredInput.grouping``.
    """
    from trackgnn.models._segment_aggregate import gather_rows  # numba: imported when first needed

    linear = _first_linear(mlp)
    weights = torch.split(linear.weight, [block.table.shape[1] for block in inputs], dim=1)
    z, bias = None, linear.bias
    for block, weight in sorted(zip(inputs, weights), key=lambda pair: pair[0].index is not None):
        if block.index is None:  # the bias joins the first direct product
            term = nn.functional.linear(block.table, weight, bias)
            bias = None
        elif block.table.shape[0] < n_rows:
            term = gather_rows(nn.functional.linear(block.table, weight), block.index, block.grouping)
        else:
            term = nn.functional.linear(gather_rows(block.table, block.index, block.grouping), weight)
        z = term if z is None else z + term
    if bias is not None:
        z = z + bias
    for module in list(mlp)[1:]:
        z = module(z)
    return z


def gathered_forward(module: nn.Module, mlp: nn.Sequential, inputs: Sequence[GatheredInput], n_rows: int, *,
                     chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Tensor:
    """``mlp`` over the concatenated ``inputs``: :func:`gathered_mlp` (``chunk_rows`` per chunk) when
    ``module`` (the network that owns ``mlp``) is :func:`inference_ready`; with gradients on the CPU,
    :func:`split_first_layer` when a block is gathered; else (a GPU, :func:`fast_inference` disabled)
    the reference forward that gathers each block (``table[index]``) and concatenates them."""
    if inference_ready(module):
        return gathered_mlp(mlp, inputs, n_rows, chunk_rows=chunk_rows)
    if (_FAST_PATHS and n_rows > 0 and any(block.index is not None for block in inputs)
            and all(block.table.device.type == "cpu" for block in inputs)):
        return split_first_layer(mlp, inputs, n_rows)
    return mlp(torch.cat([block.table if block.index is None else block.table[block.index] for block in inputs],
                         dim=-1))
