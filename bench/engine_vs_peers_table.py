#!/usr/bin/env python3
"""Tables of bench/engine_vs_peers.sh: jouleval against llama.cpp's tools, model file by model file.

Usage: engine_vs_peers_table.py DIR

DIR holds one folder per model file (its stem), each with llama-bench.*, perplexity-{mmlu5,mmlu0,
hellaswag}.* (peer runs under `jouleval meter`) and jouleval/ (bench/engine_speed.sh results and
databases), and DIR/tasks/ with the exported items. Prints Markdown tables; computes nothing that is
not in those files, except ratios. A missing run shows as "n/a".
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from study_tables import fmt, llama_bench_rates, meter_of, table  # noqa: E402

# jouleval setting, peer run, task label, items file (for agreement)
TASKS = [("mmlu5", "perplexity-mmlu5", "MMLU 5-shot", "mmlu5.bin"),
         ("mmlu0", "perplexity-mmlu0", "MMLU 0-shot", "mmlu0.bin"),
         ("hs", "perplexity-hellaswag", "HellaSwag", "hellaswag.txt")]
GEN_PROMPTS = 64


def num(v):
    """A number of jouleval run --json: plain, or the mean of {"mean", "n", ...}."""
    return v.get("mean") if isinstance(v, dict) else v


def ours(d, setting):
    """The first result of jouleval run --json for a setting, or None."""
    try:
        with open(os.path.join(d, "jouleval", setting + ".json")) as f:
            results = json.load(f).get("results", [])
        return results[0] if results else None
    except (OSError, ValueError):
        return None


def peer(d, name):
    """(seconds, GPU joules, average watts) of a peer run, or Nones."""
    path = os.path.join(d, name + ".meter.json")
    return meter_of(path) if os.path.exists(path) else (None, None, None)


def agreement(d, tasks_dir, setting, peer_name, items):
    """peer_agreement.py's result for one task, or None."""
    db = os.path.join(d, "jouleval", f"engine-{setting}.db")
    sidecar = os.path.join(tasks_dir, items + ".items.jsonl")
    if not (os.path.exists(db) and os.path.exists(sidecar)):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        for ext in (".stdout", ".log"):
            try:
                with open(os.path.join(d, peer_name + ext), errors="replace") as f:
                    log.write(f.read())
            except OSError:
                return None
        log.flush()
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_agreement.py")
        p = subprocess.run([sys.executable, script, "--log", log.name, "--items", sidecar, "--db", db, "--json"],
                           capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def times(x):
    return "n/a" if x is None else f"{x:.2f}×"


def pct(x):
    return "n/a" if x is None else f"{x * 100:.1f} %"


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) == 2 else 2
    root = argv[1]
    tasks_dir = os.path.join(root, "tasks")
    rows, speed = [], []
    for d in sorted(p for p in glob.glob(os.path.join(root, "*")) if os.path.isdir(os.path.join(p, "jouleval"))):
        label = os.path.basename(d)
        pp, tg = llama_bench_rates(os.path.join(d, "llama-bench.stdout"))
        for setting, peer_name, task, items in TASKS:
            r = ours(d, setting)
            ps, pj, pw = peer(d, peer_name)
            n = r["items"] if r else None
            s = num(r["seconds"]) if r else None
            j = num(r.get("gpu_j")) if r else None
            tok_s = num(r["tokens_per_s"]) if r else None
            a = agreement(d, tasks_dir, setting, peer_name, items)
            if a is None:
                agree = "n/a"
            elif a.get("agreement") is not None:
                agree = f"{pct(a['agreement'])} of {a['n_both']}"
            else:  # HellaSwag: llama-perplexity shuffles its tasks; only the accuracies compare
                agree = f"acc {fmt(a.get('llama_acc'))} vs {fmt(a.get('ours_acc'))}"
            rows.append([label, task, fmt(n), fmt(ps), fmt(pj), fmt(ratio(pj, n)), fmt(s), fmt(j), fmt(ratio(j, n)),
                         times(ratio(ps, s)), times(ratio(pj, j)), fmt(tok_s), pct(ratio(tok_s, pp)), agree])
        g = ours(d, "gsm8k-gen")
        gen = None
        if g:
            gen = g["generated_tokens"] / num(g["seconds"])
        speed.append([label, fmt(pp), fmt(tg), fmt(None if tg is None else tg * GEN_PROMPTS), fmt(gen),
                      pct(ratio(gen, None if tg is None else tg * GEN_PROMPTS))])
    print(table(["model file", "task", "items", "peer s", "peer J", "peer J/q", "jouleval s", "jouleval J",
                 "jouleval J/q", "speed-up", "energy ratio", "jouleval prompt tok/s", "of pp512",
                 "per-item agreement"], rows))
    print()
    print(table(["model file", "llama-bench pp512 tok/s", "tg128 tok/s", f"tg128 × {GEN_PROMPTS}",
                 f"jouleval GSM8K {GEN_PROMPTS} prompts gen tok/s", "of tg128 × batch"], speed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
