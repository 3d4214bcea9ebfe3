"""``trackgnn evaluate``: the whole chain on held-out events with truth; metrics, plots, submissions."""

from __future__ import annotations

import math
from pathlib import Path

import click
import numpy as np

from trackgnn.cli._options import chain_run_options
from trackgnn.ratios import percent

__all__ = ["HARD_CUT_NOTE", "TRUTH_GNN_NOTE", "evaluate", "format_report"]

#: Said on every table of a run whose hits were selected with the truth (``--hard-cuts``).
HARD_CUT_NOTE = " [HARD CUTS: truth removed hits before the chain]"
#: Said on every table of a run whose GNN scores were the truth's (``--truth-gnn``).
TRUTH_GNN_NOTE = " [TRUTH GNN: the truth replaced the GNN's scores; a diagnosis, not a result]"


def _pct(value) -> str:
    return percent(value, 7)


def _rate(pair) -> str:
    value, error = pair
    if value is None or math.isnan(value):
        return f"{'n/a':>16}"
    return f"{100 * value:7.2f} ± {100 * error:5.2f}%"


def _binned_rows(title: str, bins: list[float], binned: dict, unit: str) -> list[str]:
    lines = [f"  {title}"]
    for lo, hi, value, error, count in zip(bins[:-1], bins[1:], binned["value"], binned["error"], binned["count"]):
        if count:
            lines.append(f"    {lo:>6g} - {hi:<6g}{unit:<4}{_rate((value, error)):>18}   (n = {count})")
    return lines


def _budget_rows(budget: dict, score_cut: float, mode: str) -> list[str]:
    """The score budget: per kind of particle, its score weight, what each stage's graph still reaches, what scored."""
    if not budget:
        return []
    columns = [c for c in next(iter(budget.values())) if c != "weight"]
    names = [f"{c} > {score_cut:g}" if c == "gnn" else c for c in columns]
    lines = ["", "Score weight per event that each stage's graph still reaches (> 50 % of a particle's hits in one "
             "connected piece of its edges), and what the tracks scored" + mode,
             f"  {'particles':<24}{'weight':>8}" + "".join(f"{n:>12}" for n in names)]
    total = {c: 0.0 for c in ["weight", *columns]}
    for kind, values in budget.items():
        lines.append(f"  {kind:<24}{values['weight']:>8.4f}" + "".join(f"{values[c]:>12.4f}" for c in columns))
        for c in total:
            total[c] += values[c]
    lines.append(f"  {'all':<24}{total['weight']:>8.4f}" + "".join(f"{total[c]:>12.4f}" for c in columns))
    return lines


def format_report(report, score_cut: float) -> str:
    """The evaluation table (edges per stage, tracks per selection and bin, score, timing)."""
    mode = (HARD_CUT_NOTE if report.hard_cuts else "") + (TRUTH_GNN_NOTE if report.truth_gnn else "")
    if report.hard_cuts:
        seen = f"{mode}; score over all hits"
    elif report.truth_gnn:
        seen = f"{mode}; every hit, scored over all hits"
    else:
        seen = " (complete events: the chain saw every hit and no truth; truth used only to score)"
    lines = [f"Evaluated {len(report.events)} events" + seen]
    lines.append("")
    lines.append("Edges after each stage (efficiency: truth edges kept / all truth edges; purity: same-particle)"
                 + mode)
    bins = next(iter(report.edges.values()), {}).get("pt_bins", [])
    names = [f"pT {b['pt_min']:g}-{b['pt_max']:g}" for b in bins]
    lines.append(f"  {'stage':<12}{'edges/event':>12}{'efficiency %':>14}{'purity %':>10}"
                 + "".join(f"{n + ' eff %':>18}" for n in names))
    for stage, summary in report.edges.items():
        overall = summary["overall"]
        name = f"{stage} > {score_cut:g}" if stage == "gnn" else stage
        lines.append(f"  {name:<12}{overall['edges_per_event']:>12.0f}{_pct(overall['efficiency']):>14}"
                     f"{_pct(overall['purity']):>10}"
                     + "".join(f"{_pct(b['efficiency']):>18}" for b in summary["pt_bins"]))
    lines += _budget_rows(report.budget, score_cut, mode)
    lines.append("")
    first = next(iter(report.rates.values()), None)
    lines.append(f"Tracks: {first.n_tracks if first else 0} with >= {report.min_track_hits} hits{mode}; efficiency: "
                 "double-majority matched particles;")
    lines.append("  duplicate: further tracks > 50 % one already-matched particle; fake: neither matched nor "
                 "duplicate; not matched: fakes + duplicates")
    lines.append(f"  {'particles':<24}{'n':>7}{'efficiency':>18}{'fake rate':>18}{'duplicate rate':>18}"
                 f"{'not matched':>18}")
    for name, rates in report.rates.items():
        lines.append(f"  {name:<24}{rates.n_particles:>7}{_rate(rates.efficiency):>18}{_rate(rates.fake_rate):>18}"
                     f"{_rate(rates.duplicate_rate):>18}{_rate(rates.unmatched_rate):>18}")
    for name, rates in report.rates.items():
        lines.append("")
        lines.append(f"  {name}{mode}")
        lines += _binned_rows("efficiency vs pT", rates.pt_bins, rates.efficiency_pt, "GeV")
        lines += _binned_rows("efficiency vs eta", rates.eta_bins, rates.efficiency_eta, "")
    if report.fakes:
        lines.append("")
        lines.append("Fake rate (all tracks)" + mode)
        for length, rates in report.fakes.items():
            lines.append(f"  tracks >= {length} hits: {rates.n_tracks:>7}{_rate(rates.fake_rate):>18}")
        shortest = report.fakes[min(report.fakes)]
        lines += _binned_rows(f"fake rate vs track eta (tracks >= {min(report.fakes)} hits)", shortest.eta_bins,
                              shortest.fake_rate_eta, "")
    lines.append("")
    per_event = ", ".join(f"{s:.4f}" for s in report.scores[:10]) + (" ..." if len(report.scores) > 10 else "")
    spread = float(np.std(report.scores, ddof=1) / np.sqrt(len(report.scores))) if len(report.scores) > 1 else 0.0
    lines.append(f"TrackML score (exact, all hits): {report.mean_score:.4f} ± {spread:.4f}{mode}   "
                 f"per event: {per_event}")
    seconds = report.median_seconds()
    steps = "  ".join(f"{step} {value:.3f}" for step, value in seconds.items())
    mean_total = sum(report.mean_seconds().values())
    lines.append(f"Time per event [s], median of {len(report.scores)} events (the mean, {mean_total:.3f}, includes the "
                 f"first event's numba compilation): {steps}  total {sum(seconds.values()):.3f}{mode}")
    return "\n".join(lines)


@click.command("evaluate")
@click.option("--config", "config_path", default="configs/gnn.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="The GNN stage config (its upstream stages come with it).")
@click.option("--data", "data_dir", default=None, type=click.Path(file_okay=False),
              help="TrackML events with truth (csv or csv.gz). Default: the simulated test split.")
@click.option("--checkpoint-dir", default=None, type=click.Path(file_okay=False),
              help="Read checkpoints from DIR/<stage>/best.pt instead of each stage_dir.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Output directory. Default: <gnn stage_dir>/evaluation (evaluation_truth_gnn with --truth-gnn).")
@click.option("--events", "n_events", default=None, type=click.IntRange(min=1), help="Evaluate at most N events.")
@click.option("--hard-cuts/--all-hits", default=False, show_default=True,
              help="Benchmark mode: the truth removes the hits failing the first stage's hard cuts before "
                   "the chain runs (every table says so). Default: every hit, no truth in the chain.")
@click.option("--truth-gnn", is_flag=True, default=False,
              help="Diagnosis: the truth replaces the GNN's edge and triplet scores (1 for consecutive hits of "
                   "one particle, else 0) in every pass, so the score is what the embedding, filter and track "
                   "building reach around a perfect GNN (every table says so). Not a result.")
@click.option("--min-track-hits", default=3, show_default=True, type=click.IntRange(min=1),
              help="Shortest track counted in efficiency, fake and duplicate rates.")
@chain_run_options
def evaluate(config_path, data_dir, checkpoint_dir, out_dir, n_events, hard_cuts, truth_gnn, min_track_hits, device,
             precision, progress) -> None:
    """Run the whole chain on held-out events and report edge, track and timing metrics.

    Prints a table; writes metrics.json, PNG plots (efficiency vs pT and eta, fake and duplicate
    rates, the score budget per stage, an event display) with a JSON of their numbers, and one
    submission CSV per event.
    """
    import json

    from tqdm import tqdm

    from trackgnn.evaluation import plot_efficiency, plot_event_display, plot_fake_duplicate, plot_score_budget
    from trackgnn.pipeline import InferenceChain, default_test_events, evaluate_chain, iter_raw_events
    from trackgnn.io import atomic_path

    chain = InferenceChain(config_path, checkpoint_dir=checkpoint_dir, device=device, precision=precision)
    if data_dir is None:
        raw_dir, ids = default_test_events(chain)
    else:
        raw_dir, ids = Path(data_dir), None
    events = iter_raw_events(raw_dir, ids, need_truth=True)
    default_out = "evaluation_truth_gnn" if truth_gnn else "evaluation"  # a diagnosis never overwrites results
    out = Path(out_dir) if out_dir is not None else Path(chain.config.stage_dir) / default_out
    displayed: list[int] = []
    bar = tqdm(desc="evaluate", unit="event", total=len(ids) if ids is not None else None, disable=not progress)

    def on_event(event_id, hits, result, submission):
        with atomic_path(out / "submissions" / f"event{event_id:09d}-submission.csv") as tmp:
            submission.to_csv(tmp, index=False)
        if not displayed:
            plot_event_display(hits["x"].to_numpy(), hits["y"].to_numpy(), hits["z"].to_numpy(), result.labels,
                               out / "event_display.png", title=f"event {event_id}: found tracks")
            displayed.append(event_id)
        bar.update(1)

    def limited():
        for k, event in enumerate(events):
            if n_events is not None and k >= n_events:
                return
            yield event

    report = evaluate_chain(chain, limited(), hard_cuts=hard_cuts, truth_gnn=truth_gnn,
                            min_track_hits=min_track_hits, on_event=on_event)
    bar.close()
    if not report.events:
        click.echo("no events evaluated")
        return
    plot_efficiency(report.rates, out / "efficiency.png")
    plot_fake_duplicate(report.rates, out / "fake_duplicate.png")
    if report.budget:
        plot_score_budget(report.budget, out / "score_budget.png")
    record = report.to_dict()
    record["config"] = str(config_path)
    record["data"] = str(raw_dir)
    with atomic_path(out / "metrics.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1, allow_nan=False) + "\n")
    click.echo(format_report(report, chain.config.score_cut))
    click.echo(f"metrics, plots and submissions in {out}")
