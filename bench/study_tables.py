#!/usr/bin/env python3
"""Markdown tables for docs/benchmarks.md from a bench/study.sh directory.

Usage: bench/study_tables.py STUDY_DIR [--jouleval PATH]

Reads STUDY_DIR/study.db through `jouleval export --format csv` (so every metric is jouleval's own
definition: EOR, TWEOR, J/question...; the precision comparisons come from `jouleval export --table
precision`, so the reference precision is jouleval's: the cell identical except for the precision)
and the peer runs in STUDY_DIR/peers (llama-bench and llama-perplexity under `jouleval meter`).
Prints the tables; computes nothing that is not in those files except ratios between them, which are
labelled as such. Standard library only.
"""
import argparse
import csv
import glob
import io
import json
import os
import re
import subprocess
import sys


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=3, unit=""):
    if v is None:
        return "unavailable"
    if abs(v) >= 1000:
        s = f"{v:,.0f}"
    elif abs(v) >= 100:
        s = f"{v:.1f}"
    else:
        s = f"{v:.{digits}g}"
    return s + unit


def pct(v):
    return "n/a" if v is None else f"{v:+.1f} %"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def export(jouleval, db, *extra):
    text = subprocess.run([jouleval, "export", db, "--format", "csv", *extra], check=True, capture_output=True,
                          text=True).stdout
    return list(csv.DictReader(io.StringIO(text)))


def base_model(c):
    return c["model_name"]


# Identity columns of `jouleval export` that describe what was asked (the workload); the others
# describe the configuration that answered it.
WORKLOAD = ("task", "limit", "shots", "preset", "seed")
CONFIGURATION = ("machine_id", "model_name", "model_sha256", "file_sha256", "precision", "kv", "placement", "ctx",
                 "batch", "ubatch", "lanes", "parallel", "flash_attn", "threads")


def load_cells(jouleval, db):
    cells = export(jouleval, db)
    # jouleval labels machines uniquely (hostname / GPU, with the id where they coincide).
    machines = sorted({c["machine"] for c in cells})
    for c in cells:
        c["model_name"] = c["model"]
        if len(machines) > 1:  # the same cell measured on several machines: tell them apart in every table
            c["model"] = f'{c["model"]} [{c["machine"]}]'

    one_hz = {r["cell_id"]: r for r in export(jouleval, db, "--columns",
                                              "cell_id,gpu_j_1hz,one_hz_reference,one_hz_error_pct,one_hz_polls")}
    for c in cells:
        c.update(one_hz.get(c["cell_id"], {}))
    return cells


PREC_ORDER = {"fp32": 0, "fp16": 1, "bf16": 2, "int8": 3, "int4": 4}
TASK_ORDER = {"mmlu": 0, "arc_challenge": 1, "hellaswag": 2, "truthfulqa_mc1": 3, "truthfulqa_mc2": 4, "gsm8k": 5}


def key(c):
    return (c["model"], c["placement"], int(c["limit"]), TASK_ORDER.get(c["task"], 9), PREC_ORDER.get(c["precision"], 9))


def main_table(cells):
    rows = []
    for c in sorted(cells, key=key):
        rows.append([c["model"], c["precision"], c["placement"], c["task"], c["items"], c["reps"],
                     f'{fmt(num(c["score"]))} (chance)' if c["random_weights"] == "true" else fmt(num(c["score"])),
                     fmt(num(c["j_per_question"])), fmt(num(c["energy_wh"]), 4), fmt(num(c["eor"])),
                     fmt(num(c["tweor"])), fmt(num(c["eor_item"])), fmt(num(c["tweor_item"])),
                     fmt(num(c["tokens_per_s"])), fmt(num(c["avg_power_w"])), fmt(num(c["seconds"]))])
    return table(["model", "precision", "placement", "task", "items", "reps", "score", "J/question", "Wh",
                  "EOR (1/Wh)", "TWEOR", "EOR/item", "TWEOR/item", "tokens/s", "avg W", "s"], rows)


def reductions(comparisons, cells):
    """Energy per question of each precision against jouleval's reference precision: the cell identical
    to it except for the precision (rows of `jouleval export --table precision`), for `cells` only."""
    ids = {c["cell_id"]: c for c in cells}
    rows = []
    for p in sorted((p for p in comparisons if p["cell_id"] in ids), key=lambda p: key(ids[p["cell_id"]])):
        c = ids[p["cell_id"]]
        reduction = num(p["energy_reduction_pct"])
        t, tr = num(p["seconds"]), num(p["reference_seconds"])
        rows.append([c["model"], c["placement"], c["task"], c["limit"], c["shots"], p["precision"], p["reference"],
                     fmt(num(p["reference_j_per_question"])), fmt(num(p["j_per_question"])),
                     pct(None if reduction is None else -reduction),
                     pct(None if t is None or not tr else (t / tr - 1) * 100)])
    return table(["model", "placement", "task", "limit", "shots", "precision", "reference", "J/q reference", "J/q",
                  "energy change", "time change"], rows)


def gsm8k_ratio(cells):
    """GSM8K against MMLU energy per question of the same configuration (every identity field but the
    workload ones equal)."""
    mmlu = {}
    for c in cells:
        if c["task"] == "mmlu":
            mmlu.setdefault(tuple(c[k] for k in CONFIGURATION), []).append(c)
    rows = []
    for c in sorted(cells, key=key):
        if c["task"] != "gsm8k":
            continue
        for m in mmlu.get(tuple(c[k] for k in CONFIGURATION), []):
            g, mm = num(c["j_per_question"]), num(m["j_per_question"])
            rows.append([c["model"], c["placement"], c["precision"], f'{m["limit"]} / {m["shots"]}',
                         f'{c["limit"]} / {c["shots"]}', fmt(mm), fmt(g),
                         fmt(None if g is None or not mm else g / mm)])
    return table(["model", "placement", "precision", "MMLU limit / shots", "GSM8K limit / shots", "MMLU J/q",
                  "GSM8K J/q", "ratio"], rows)


def one_hz(cells):
    rows = []
    for c in sorted(cells, key=key):
        if "gpu_j_1hz" not in c or not c.get("gpu_j_1hz"):
            continue
        rows.append([c["model"], c["precision"], c["placement"], c["task"], fmt(num(c["seconds"])),
                     fmt(num(c["gpu_j"])), fmt(num(c["gpu_j_1hz"])), pct(num(c.get("one_hz_error_pct")))])
    if not rows:
        return "(no cell with a stored power timeline)"
    return table(["model", "precision", "placement", "task", "window s", "GPU J (counter)", "GPU J (1 Hz)",
                  "1 Hz error"], rows)


def meter_of(path):
    with open(path) as f:
        j = json.load(f)
    rep = j["repetitions"][0]
    gpu = [m for m in rep["meters"] if m.get("kind") == "gpu" and m.get("available")]
    return rep["seconds"], (gpu[0]["total_joules"] if gpu else None), (gpu[0]["avg_watts"] if gpu else None)


def llama_bench_rates(path):
    """(pp, tg) tokens/s from `llama-bench -o json` output, or Nones."""
    try:
        with open(path) as f:
            res = json.load(f)
    except (OSError, ValueError):
        return None, None
    pp = next((r["avg_ts"] for r in res if r["n_prompt"] > 0 and r["n_gen"] == 0), None)
    tg = next((r["avg_ts"] for r in res if r["n_gen"] > 0 and r["n_prompt"] == 0), None)
    return pp, tg


def peer_rows(study, cells):
    peers = os.path.join(study, "peers")
    rows, bench = [], []
    for mj in sorted(glob.glob(os.path.join(peers, "*.meter.json"))):
        name = os.path.basename(mj)[: -len(".meter.json")]
        m = re.match(r"(.+)\.(fp16|int8|int4|fp32|bf16)\.(llama-bench|perplexity-(\w+))$", name)
        if not m:
            continue
        base, prec, tool, task = m.group(1), m.group(2), m.group(3), m.group(4)
        secs, joules, watts = meter_of(mj)
        if tool == "llama-bench":
            pp, tg = llama_bench_rates(os.path.join(peers, name + ".stdout"))
            ours = [c for c in cells if c["precision"] == prec and c["placement"] == "gpu" and base == base_model(c)]
            mmlu = next((num(c["tokens_per_s"]) for c in ours if c["task"] == "mmlu"), None)
            hs = next((num(c["tokens_per_s"]) for c in ours if c["task"] == "hellaswag"), None)
            gen = next((num(c["gen_tokens_per_s"]) for c in ours if c["task"] == "gsm8k"), None)
            bench.append([base, prec, fmt(pp), fmt(tg), fmt(mmlu),
                          "n/a" if not pp or mmlu is None else f"{mmlu / pp * 100:.0f} %", fmt(hs),
                          "n/a" if not pp or hs is None else f"{hs / pp * 100:.0f} %", fmt(gen)])
            continue
        acc = None
        log = ""
        for ext in (".log", ".stdout"):
            try:
                with open(os.path.join(peers, name + ext), errors="replace") as f:
                    log += f.read()
            except OSError:
                pass
        finals = re.findall(r"Final (?:result|score)[^0-9]*([0-9.]+)", log)
        if finals:
            acc = float(finals[-1]) / 100
        else:  # hellaswag prints "<n>\t<running acc_norm>%\t[ci]" per task: the last line's value
            lines = re.findall(r"^(\d+)\t([0-9.]+)%", log, re.M)
            acc = float(lines[-1][1]) / 100 if lines else None
        ours = next((c for c in cells if c["precision"] == prec and c["placement"] == "gpu" and c["task"] == task
                     and base == base_model(c)), None)
        n = int(ours["items"]) if ours else None
        o_s, o_j = (num(ours["seconds"]), num(ours["gpu_j"])) if ours else (None, None)
        rows.append([base, prec, task, n, fmt(secs), fmt(joules), fmt(None if not n or joules is None else joules / n),
                     fmt(o_s), fmt(o_j), fmt(None if not n or o_j is None else o_j / n),
                     fmt(None if not o_s else secs / o_s), fmt(None if not o_j or joules is None else joules / o_j),
                     fmt(acc), fmt(num(ours["score"])) if ours else "n/a"])
    t1 = table(["model", "precision", "task", "items", "llama-perplexity s", "J", "J/q", "jouleval s", "J", "J/q",
                "time ratio", "energy ratio", "peer acc", "jouleval score"], rows) if rows else "(no peer runs)"
    t2 = table(["model", "precision", "llama-bench pp512 tok/s", "tg128 tok/s", "jouleval MMLU prompt tok/s",
                "% of pp512", "jouleval HellaSwag tok/s", "% of pp512", "jouleval GSM8K gen tok/s"],
               bench) if bench else "(no llama-bench runs)"
    return t1, t2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("study")
    ap.add_argument("--jouleval", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin", "jouleval"))
    a = ap.parse_args()
    db = os.path.join(a.study, "study.db")
    cells = [c for c in load_cells(a.jouleval, db) if c.get("score") not in (None, "")]
    comparisons = export(a.jouleval, db, "--table", "precision")
    big = [c for c in cells if "7b" in c["model_name"] or "8b" in c["model_name"]]
    small = [c for c in cells if c not in big]
    limits = sorted({int(c["limit"]) for c in small if c["placement"] == "cpu"})
    platform = [c for c in small if int(c["limit"]) in limits]
    sweep = [c for c in small if int(c["limit"]) not in limits]
    print("### 7B-class models on the GPU\n\n" + main_table(big) + "\n")
    print("### Energy per question relative to the reference precision (7B)\n\n" + reductions(comparisons, big) + "\n")
    print("### 1.5B sweep (GPU)\n\n" + main_table(sweep) + "\n")
    print("### Energy per question relative to the reference precision (1.5B, GPU)\n\n" + reductions(comparisons, sweep)
          + "\n")
    print("### GSM8K vs MMLU energy per question\n\n" + gsm8k_ratio(big + sweep) + "\n")
    print("### Platform: the same items on the host CPU and on the GPU (1.5B)\n\n" + main_table(platform) + "\n")
    t1, t2 = peer_rows(a.study, big)
    print("### jouleval vs llama-perplexity (same model files, same items; peer figures are whole processes, "
          "model load included)\n\n" + t1 + "\n")
    print("### Throughput against llama-bench\n\n" + t2 + "\n")
    print("### The study's 1 Hz method vs the energy counter\n\n" + one_hz(cells) + "\n")


if __name__ == "__main__":
    sys.exit(main())
