"""``trackgnn roofline``: machine ceilings (ERT), application roofline, report directory.

``trackgnn roofline`` runs ``machine`` then ``app``; ``--quick`` (short sweeps,
one cold profiled run per stage) keeps the whole command under ~30 s on 2 CPU
cores with a trained CPU pipeline.  ``app`` profiles the chain ``trackgnn reconstruct``
runs (same steps, same order, same track builder), by default on the hits passing
the training hard cuts, as ``trackgnn evaluate`` does (``--all-hits``: every hit).  Machine results are cached per
machine (``$TRACKGNN_CACHE_DIR`` or ``~/.cache/trackgnn``) and reused by ``app``.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["roofline"]

_PRECISIONS = ["fp32", "fp64", "bf16", "fp16"]


_COMMON = [
    click.option("--device", type=click.Choice(["cpu", "cuda"]), default=None,
                 help="Device to characterise [default: cuda when visible, else cpu]."),
    click.option("--precision", type=click.Choice(_PRECISIONS), default="fp32", show_default=True,
                 help="Precision of the bandwidth sweep and of the application's roofs."),
    click.option("--quick", is_flag=True, help="Short sweeps (< 30 s on 2 CPU cores)."),
    click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("roofline"),
                 show_default=True, help="Report directory (JSON, PNG, markdown)."),
    click.option("--refresh", is_flag=True, help="Re-measure the machine even if it is cached."),
    click.option("--no-progress", is_flag=True, help="Hide progress bars."),
]
_APP = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False), default="configs/gnn.yaml",
                 show_default=True, help="The GNN stage config of the trained chain (its upstream stages come with it)."),
    click.option("--event", "event_index", type=int, default=0, show_default=True,
                 help="Index of the test event to run."),
    click.option("--repeats", type=click.IntRange(1), default=None,
                 help="Timed runs per stage, median reported [default: 3; with --quick one cold run, timed "
                      "under the profiler]."),
    click.option("--ncu", is_flag=True, help="Re-run the pipeline under Nsight Compute (CUDA only)."),
    click.option("--hard-cuts/--all-hits", default=True, show_default=True,
                 help="Run on the hits passing the training hard cuts (as `trackgnn evaluate`), or on every hit."),
]


def _apply(options):
    def decorate(fn):
        for option in reversed(options):  # click lists options in decoration order
            fn = option(fn)
        return fn

    return decorate


_options = _apply(_COMMON)
_app_options = _apply(_APP)


def _device(device: str | None) -> str:
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _log(line: str) -> None:
    click.echo(line, err=True)


def _machine(device, precision, quick, out, refresh, no_progress):
    from trackgnn.profiling import cached_or_measure, write_machine_outputs

    machine = cached_or_measure(device, quick, precision, not no_progress, refresh=refresh, log=_log)
    paths = write_machine_outputs(machine, out)
    roofs = machine["roofs"]
    click.echo("compute roofs (GFLOP/s): " + ", ".join(f"{k} {v:.1f}" for k, v in roofs["compute"].items()))
    click.echo("memory roofs (GB/s):     " + ", ".join(f"{k} {v:.1f}" for k, v in roofs["memory"].items()))
    click.echo(f"machine report: {', '.join(str(p) for p in paths)}")
    return machine


def _app(device, precision, quick, out, refresh, no_progress, config_path, event_index, repeats, ncu, hard_cuts):
    from trackgnn.profiling import app_roofline, cached_or_measure, profile_chain, profile_under_ncu

    if ncu and device != "cuda":
        raise click.UsageError("--ncu needs --device cuda")
    repeats, single_run = repeats or (1 if quick else 3), quick and repeats is None
    chain = profile_chain(config_path, device, event_index, hard_cuts, repeats=repeats, warmup=not quick,
                          single_run=single_run, progress=lambda name: _log(f"profiling step {name}"))
    click.echo(f"{chain.event}: {chain.n_hits} hits ({chain.hits}); track builder {chain.track_builder}")
    machine = cached_or_measure(device, quick, precision, not no_progress, refresh=refresh, log=_log,
                                accept_quick=True)
    ncu_stages = None
    if ncu:
        ncu_stages = profile_under_ncu(config_path, event_index, chain.step_names, log=_log, hard_cuts=hard_cuts)
    app = app_roofline(chain.profiles, machine, out, device=device, precision=precision,
                       config=str(config_path), event=chain.event, n_hits=chain.n_hits, hits=chain.hits,
                       repeats=repeats, warmup=not quick, single_run=single_run,
                       track_builder=chain.track_builder, ncu_stages=ncu_stages)
    click.echo(f"stage times: {app['timing']}")
    for v in app["verdicts"]:
        ge, le = ("≥", "≤") if v.get("lower_bound") else ("", "")
        click.echo(f"{v['stage']:>16}: {v['time_s'] * 1e3:9.2f} ms, {v['bound']}, "
                   f"{ge}{v['fraction_of_roof']:.3f} of roof, {le}{v['speedup_available']:.1f}x available"
                   + (f" ({v['lower_bound']})" if v.get("lower_bound") else ""))
    click.echo(f"application report: {out / 'app.md'}")
    return app


@click.group("roofline", invoke_without_command=True)
@_options
@_app_options
@click.pass_context
def roofline(ctx, device, precision, quick, out, refresh, no_progress, config_path, event_index, repeats,
             ncu, hard_cuts) -> None:
    """Hierarchical roofline of this machine and of the tracking pipeline.

    Without a sub-command: `machine`, then `app`, into --out.
    """
    if ctx.invoked_subcommand is not None:
        return
    device = _device(device)
    _machine(device, precision, quick, out, refresh, no_progress)
    _app(device, precision, quick, out, False, no_progress, config_path, event_index, repeats, ncu, hard_cuts)


@roofline.command("machine")
@_options
def machine(device, precision, quick, out, refresh, no_progress) -> None:
    """Empirical Roofline Toolkit-style ceilings: bandwidth per memory level, FMA and GEMM peaks."""
    _machine(_device(device), precision, quick, out, refresh, no_progress)


@roofline.command("app")
@_options
@_app_options
def app(device, precision, quick, out, refresh, no_progress, config_path, event_index, repeats, ncu,
        hard_cuts) -> None:
    """Per-stage time, FLOPs, bytes, intensity and bound of the trained pipeline on one event."""
    _app(_device(device), precision, quick, out, refresh, no_progress, config_path, event_index, repeats, ncu,
         hard_cuts)
