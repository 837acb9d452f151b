#!/usr/bin/env python3
"""Markdown tables of a bench/study.sh directory (docs/benchmarks.md).

Usage: bench/tables.py STUDY_DIR [--jouleval PATH]
       ... | bench/tables.py --shape [--sequences N] [--shared N]
             (`jouleval export --format csv --columns items,parallel,prompt_tokens,generated_tokens` of
             one GSM8K cell on stdin: prints "PROMPT_TOKENS_PER_SEQ GEN_TOKENS_PER_SEQ SEQUENCES", the
             sequences being N, what `run` printed, else the prompts up to `parallel`)

jouleval's figures come only from `jouleval export --format jsonl` (the summary and `--table
precision`) of the study's databases (STUDY_DIR/study.db, speed/speed.db, peers/*.gen.db), so every
metric is jouleval's own definition; the peers' from their `jouleval meter --json` reports and the
tools' own output (STUDY_DIR/peers). Nothing reads a database directly. Energy is the sum of the
meters that had a reading on both sides (on a machine without RAPL: the GPU's). Prints the tables;
computes nothing but ratios between those figures, labelled as such. A missing figure is "n/a"; a
peer that did not run shows its status ("unavailable: ... not built", "failed (exit N)").
Standard library only. Exit codes: 0 ok, 1 `jouleval export` failed, 2 usage, 3 bad input.
"""
import argparse
import csv
import glob
import json
import math
import os
import subprocess
import sys
import tempfile


class BadInput(Exception):
    pass


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.{digits}g}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def times(x):
    return "n/a" if x is None else f"{x:.2f}×"


def table(header, rows, empty):
    if not rows:
        return empty
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in r) + " |" for r in rows]
    return "\n".join(out)


def export(jouleval, db, *extra):
    """Rows of `jouleval export DB --format jsonl [extra]`, or [] when DB does not exist."""
    if not os.path.exists(db):
        return []
    p = subprocess.run([jouleval, "export", db, "--format", "jsonl", *extra], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"jouleval export {db} {' '.join(extra)} failed (exit {p.returncode}): {p.stderr.strip()}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def meter(path):
    """(seconds, joules of the meters with a reading or None) of a `jouleval meter --json` report."""
    try:
        with open(path) as f:
            rep = json.load(f)["repetitions"][0]
    except (OSError, ValueError, KeyError, IndexError) as e:
        raise BadInput(f"{path}: not a jouleval meter report ({e})")
    joules = [m["total_joules"] for m in rep["meters"] if m.get("available") and m.get("total_joules") is not None]
    return rep["seconds"], (sum(joules) if joules else None)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def status(peers, name):
    """'ok', 'unavailable: ...', 'failed ...' or 'not run'."""
    s = read(os.path.join(peers, name + ".status"))
    return s.strip() if s else "not run"


def peer_tags(peers):
    """The (model stem, precision) pairs the peers stage ran, from its status files."""
    tags = set()
    for p in glob.glob(os.path.join(peers, "*.status")):
        name = os.path.basename(p)[: -len(".status")]
        stem_prec, _, _tool = name.rpartition(".")
        stem, _, prec = stem_prec.rpartition(".")
        if stem and prec:
            tags.add((stem, prec))
    return sorted(tags)


def cell(cells, model, precision, task, shots=None):
    for c in cells:
        if c["model"] == model and c["precision"] == precision and c["task"] == task and (shots is None or c["shots"] == shots):
            return c
    return None


def energy(c):
    return None if c is None else c.get("energy_j")


def agreement(jouleval, study, peers, name, items, stem, prec, c):
    """bench/peer_agreement.py on a llama-perplexity --multiple-choice run and jouleval's cell c:
    "98.8 % of 2000", or "n/a" (with the reason on stderr)."""
    log = (read(os.path.join(peers, name + ".stdout")) or "") + (read(os.path.join(peers, name + ".log")) or "")
    sidecar = os.path.join(peers, "tasks", items + ".items.jsonl")
    if c is None or not log or not os.path.exists(sidecar):
        return "n/a"
    with tempfile.NamedTemporaryFile("w", suffix=".log") as f:
        f.write(log)
        f.flush()
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_agreement.py")
        p = subprocess.run([sys.executable, script, "--log", f.name, "--items", sidecar, "--db",
                            os.path.join(study, "study.db"), "--jouleval", jouleval, "--cell-id", str(c["cell_id"]),
                            "--json"], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"tables.py: agreement of {name}: {p.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return "n/a"
    a = json.loads(p.stdout)
    return "n/a" if a.get("agreement") is None else f'{a["agreement"] * 100:.1f} % of {a["n_both"]}'


def scoring_peers(jouleval, study, peers, cells):
    rows = []
    for stem, prec in peer_tags(peers):
        for tool, task, shots, label in (("perplexity-mmlu5", "mmlu", 5, "MMLU 5-shot"),
                                         ("perplexity-hellaswag", "hellaswag", None, "HellaSwag")):
            name = f"{stem}.{prec}.{tool}"
            st = status(peers, name)
            if st == "not run":
                continue
            c = cell(cells, stem, prec, task, shots)
            n = c["items"] if c else None
            ps = pj = None
            if st == "ok":
                ps, pj = meter(os.path.join(peers, name + ".meter.json"))
            js, jj = (c["seconds"], energy(c)) if c else (None, None)
            # Per item only for --multiple-choice: llama-perplexity shuffles --hellaswag tasks.
            agree = agreement(jouleval, study, peers, name, "mmlu5.bin", stem, prec, c) \
                if st == "ok" and task == "mmlu" else "n/a"
            rows.append([stem, prec, label, "ok" if st == "ok" else st, n, ps, pj, ratio(pj, n), js, jj, ratio(jj, n),
                         times(ratio(ps, js)), times(ratio(pj, jj)), agree])
    return table(["model", "precision", "task", "llama-perplexity", "items", "peer s", "peer J", "peer J/q",
                  "jouleval s", "jouleval J", "jouleval J/q", "speed-up", "energy ratio", "per-item agreement"], rows,
                 "(no llama-perplexity runs)")


def llama_bench(peers, cells):
    rows = []
    for stem, prec in peer_tags(peers):
        name = f"{stem}.{prec}.llama-bench"
        st = status(peers, name)
        if st == "not run":
            continue
        pp = tg = None
        if st == "ok":
            try:
                res = json.loads(read(os.path.join(peers, name + ".stdout")) or "[]")
            except ValueError as e:
                raise BadInput(f"{os.path.join(peers, name + '.stdout')}: not llama-bench JSON ({e})")
            pp = next((r["avg_ts"] for r in res if r["n_prompt"] > 0 and r["n_gen"] == 0), None)
            tg = next((r["avg_ts"] for r in res if r["n_gen"] > 0 and r["n_prompt"] == 0), None)
        m = cell(cells, stem, prec, "mmlu", 5)
        h = cell(cells, stem, prec, "hellaswag")
        mt, ht = (m["tokens_per_s"] if m else None), (h["tokens_per_s"] if h else None)
        pct = lambda x: "n/a" if x is None else f"{x * 100:.0f} %"  # noqa: E731
        rows.append([stem, prec, "ok" if st == "ok" else st, pp, tg, mt, pct(ratio(mt, pp)), ht, pct(ratio(ht, pp))])
    return table(["model", "precision", "llama-bench", "pp tok/s", "tg tok/s", "jouleval MMLU 5-shot tok/s",
                  "of pp", "jouleval HellaSwag tok/s", "of pp"], rows, "(no llama-bench runs)")


# The llama-batched-bench runs of the peers stage: file suffix and the settings it ran with.
BATCHED_BENCH_VARIANTS = (("batched-bench", "defaults (-b 2048 -ub 512)"),
                          ("batched-bench-best", "best found (-b 4096 -ub 2048)"),
                          ("batched-bench-pps", "best found, whole prompt shared (-pps)"))


def generation_peers(jouleval, peers):
    rows = []
    for (stem, prec), (variant, settings) in ((t, v) for t in peer_tags(peers) for v in BATCHED_BENCH_VARIANTS):
        name = f"{stem}.{prec}.{variant}"
        st = status(peers, name)
        if st == "not run":
            continue
        gen = export(jouleval, os.path.join(peers, f"{stem}.{prec}.gen.db"))
        g = gen[0] if gen else None
        shape = (read(os.path.join(peers, name + ".shape")) or "").split()
        npp, ntg, npl = (int(x) for x in shape) if len(shape) == 3 else (None, None, None)
        ps = pj = pt = None
        if st == "ok":
            ps, pj = meter(os.path.join(peers, name + ".meter.json"))
            lines = [json.loads(x) for x in (read(os.path.join(peers, name + ".stdout")) or "").splitlines()
                     if x.startswith("{")]
            pt = lines[-1]["t"] if lines else None
        peer_gen = None if npl is None else npl * ntg
        rows.append([stem, prec, "ok" if st == "ok" else st, "n/a" if npp is None else f"{npp} / {ntg} / {npl}",
                     settings, g["seconds"] if g else None, energy(g), g["j_per_gen_token"] if g else None,
                     g["gen_tokens_per_s"] if g else None, ps, pt, pj, ratio(pj, peer_gen), ratio(peer_gen, pt),
                     times(ratio(ratio(peer_gen, pt), g["gen_tokens_per_s"] if g else None))])
    return table(["model", "precision", "llama-batched-bench", "shape (prompt / gen / sequences)", "peer settings",
                  "jouleval s",
                  "jouleval J", "jouleval J/gen tok", "jouleval gen tok/s", "peer wall s", "peer own s", "peer J",
                  "peer J/gen tok", "peer gen tok/s", "peer / jouleval tok/s"], rows, "(no llama-batched-bench runs)")


def precisions(comparisons):
    rows = [[p["model"], p["placement"], p["task"], p["shots"], p["precision"], p["reference"],
             p["reference_j_per_question"], p["j_per_question"],
             "n/a" if p["energy_reduction_pct"] is None else f'{-p["energy_reduction_pct"]:+.1f} %',
             "n/a" if not p.get("reference_seconds") or p.get("seconds") is None
             else f'{(p["seconds"] / p["reference_seconds"] - 1) * 100:+.1f} %'] for p in comparisons]
    return table(["model", "placement", "task", "shots", "precision", "reference", "J/q reference", "J/q",
                  "energy change", "time change"], rows, "(no precision pairs)")


def hardware(cells):
    rows = [[c["machine"], c["placement"], c["model"], c["precision"], c["task"], c["items"], c["seconds"],
             c["tokens_per_s"], c["j_per_question"], c["avg_power_w"]]
            for c in sorted(cells, key=lambda c: (c["task"], c["model"], c["precision"], c["machine"], c["placement"]))]
    return table(["machine", "placement", "model", "precision", "task", "items", "s", "tokens/s", "J/question",
                  "avg W"], rows, "(no cells)")


def generation(cells):
    rows = [[c["machine"], c["placement"], c["model"], c["precision"], c["items"], c["parallel"], c["seconds"],
             c["generated_tokens"], c["gen_tokens_per_s"], c["j_per_gen_token"], c["j_per_question"]]
            for c in cells if c["generated_tokens"]]
    return table(["machine", "placement", "model", "precision", "prompts", "parallel", "s", "generated tokens",
                  "gen tok/s", "J/gen token", "J/question"], rows, "(no generation cells)")


def speed(cells):
    rows = [[c["model"], c["precision"], c["task"], c["shots"], c["lanes"], c["batch"], c["ubatch"], c["parallel"],
             c["items"], c["reps"], c["seconds"], ratio(c["items"], c["seconds"]), c["tokens_per_s"],
             c["gen_tokens_per_s"], c["j_per_question"]] for c in cells]
    return table(["model", "precision", "task", "shots", "lanes", "batch", "ubatch", "parallel", "items", "reps", "s",
                  "questions/s", "tokens/s", "gen tok/s", "J/question"], rows, "(no engine-speed runs)")


def shape(stream, sequences=None, shared=None):
    """PROMPT_TOKENS_PER_SEQ GEN_TOKENS_PER_SEQ SEQUENCES SHARED_PREFIX of one GSM8K cell's export row.

    shared: the prompt prefix jouleval evaluated once for all sequences (run's "the prompts share
    their first N tokens"), 0 or None when none: the export's prompt tokens count it once, so a
    sequence's prompt is (prompt - N) / items + N tokens."""
    rows = list(csv.DictReader(stream))
    if len(rows) != 1:
        raise BadInput(f"--shape: expected one cell's export row on stdin, got {len(rows)}")
    r = rows[0]
    try:
        items, prompt, gen = int(r["items"]), float(r["prompt_tokens"]), float(r["generated_tokens"])
        # "parallel" 0 or empty: the engine's default, which decodes every prompt of a cell together
        # up to its limit (docs/engine.md); the sequences are then the prompts.
        parallel = int(r["parallel"]) if r.get("parallel") not in (None, "", "0") else items
    except (KeyError, ValueError) as e:
        raise BadInput(f"--shape: bad export row {r} ({e})")
    if items <= 0 or gen <= 0:
        raise BadInput(f"--shape: the cell generated nothing ({r})")
    # Per sequence: the mean prompt tokens and the mean generated tokens (the peer generates exactly
    # that many for every sequence); sequences decoded together: jouleval's, at most the prompts.
    n = shared or 0
    per_seq = math.ceil((prompt - n) / items + n)
    return f"{per_seq} {math.ceil(gen / items)} {sequences or min(items, parallel)} {n}"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("study", nargs="?")
    ap.add_argument("--jouleval", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build",
                                                       "bin", "jouleval"))
    ap.add_argument("--shape", action="store_true")
    ap.add_argument("--sequences", type=int, help="with --shape: the sequences jouleval decoded together")
    ap.add_argument("--shared", type=int, metavar="N",
                    help="with --shape: the prompt prefix of N tokens jouleval evaluated once for every sequence")
    a = ap.parse_args(argv)
    try:
        if a.shape:
            print(shape(sys.stdin, a.sequences, a.shared))
            return 0
        if not a.study:
            ap.error("STUDY_DIR is required")
        d, peers = a.study, os.path.join(a.study, "peers")
        cells = export(a.jouleval, os.path.join(d, "study.db"))
        comparisons = export(a.jouleval, os.path.join(d, "study.db"), "--table", "precision")
        speed_cells = export(a.jouleval, os.path.join(d, "speed", "speed.db"))
        version = (read(os.path.join(d, "logs", "version.txt")) or "").strip().splitlines()
        print(f"Study directory `{os.path.basename(os.path.abspath(d))}`; {version[0] if version else 'jouleval ?'}.\n")
        print("### Peers: scoring against llama-perplexity (same files, same items; peer figures are whole "
              "processes, model load included)\n\n" + scoring_peers(a.jouleval, d, peers, cells) + "\n")
        print("### Peers: throughput against llama-bench\n\n" + llama_bench(peers, cells) + "\n")
        print("### Peers: GSM8K generation against llama-batched-bench at jouleval's shape\n\n"
              + generation_peers(a.jouleval, peers) + "\n")
        print("### Precisions: energy per question against the reference precision\n\n" + precisions(comparisons)
              + "\n")
        print("### Hardware: the same cells by machine and placement\n\n" + hardware(cells) + "\n")
        print("### Generation: GSM8K cells\n\n" + generation(cells) + "\n")
        print("### Engine settings (speed stage)\n\n" + speed(speed_cells) + "\n")
    except BadInput as e:
        print(f"tables.py: error: {e}", file=sys.stderr)
        return 3
    except RuntimeError as e:
        print(f"tables.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
