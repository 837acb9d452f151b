#!/usr/bin/env python3
"""Agreement of llama.cpp's llama-perplexity with jouleval on the same multiple-choice items.

Inputs
  --log    llama-perplexity's captured stdout+stderr of a run on a file written by
           `jouleval export-tasks --format llama-mc -o FILE`, e.g.
           `llama-perplexity -m M.gguf -bf FILE --multiple-choice [-np N] > LOG 2>&1`
  --items  FILE.items.jsonl, the sidecar export-tasks wrote: one line per task in file order,
           {"index", "item_id", "gold", "n_choices"}
  --db     a jouleval results database, read only through `jouleval export --format jsonl` (the
           summary and `--table items`; --jouleval PATH names the binary), and a selector of one
           finished cell (--model, --precision, --task, optionally --kv, --placement, --limit,
           --shots; or --cell-id), matched against the export's columns

What llama-perplexity's log tells (tools/perplexity/perplexity.cpp, multiple_choice_score)
  After the header line "task<TAB>acc_norm" it prints, on stdout, one line per task in file order:
  "<n_done><TAB><100 * n_correct / n_done, 8 decimals>", i.e. only the RUNNING accuracy; then, on
  stderr, "Final result: <acc %> +/- <stderr %>". It prints neither the chosen answer nor the
  log-probabilities. Per-item correctness is therefore recovered from consecutive running accuracies:
  n_correct(k) = round(acc(k) * k / 100) (exact: 8 decimals leave an error far below 0.5 for any
  realistic k), and task k is correct iff n_correct(k) - n_correct(k-1) == 1. The script checks that
  every recovered step is 0 or 1 and that tasks are numbered 1, 2, 3, ... without gaps. Chosen answers
  cannot be recovered (only: when llama-perplexity is correct, it chose a correct answer), so
  "chosen_agreement" is null. A log of a run with --multiple-choice-tasks N (a random subset in random
  order) is refused: its tasks cannot be matched to items.

  A `--hellaswag` log (the 6-line text format) prints the running accuracy too, but llama-perplexity
  shuffles those tasks (std::mt19937(1) + std::uniform_int_distribution), so only the final accuracy
  is compared and the per-item fields are null.

How each side chooses
  llama-perplexity takes the answer with the highest MEAN log-probability per token of the tokens
  after the longest token prefix shared by all answers' tokenisations (first maximum on ties); it is
  correct when that answer's label is 1. jouleval's `acc` takes the highest SUM (first maximum).
  The two rules agree when every answer has the same number of non-shared tokens (MMLU: " A".." D"
  are one token each). The script therefore also re-decides our stored log-likelihoods with
  llama-perplexity's rule (loglikelihood / n_tokens; exact when the answers share no leading token)
  and reports that agreement too ("ours_token_mean"), and `acc_norm` (per character) where stored.

Output: a short report; with --json a single JSON line on stdout instead (report on stderr). Accuracies
are fractions in [0, 1]. Exit codes: 0 ok, 2 usage, 3 bad input (unreadable or inconsistent files).
Standard library only.
"""

import argparse
import json
import re
import os
import subprocess
import sys

MC_HEADER = "task\tacc_norm"
HS_HEADER_PREFIX = "task\tacc_norm\t95% confidence interval"
MC_LINE = re.compile(r"^(\d+)\t(\d+(?:\.\d+)?)$")
HS_LINE = re.compile(r"^(\d+)\t\s*(\d+(?:\.\d+)?)%\t\[")
FINAL = re.compile(r"Final result: (-?\d+(?:\.\d+)?) \+/- (-?\d+(?:\.\d+)?)")
N_TASKS = re.compile(r"there are (\d+) tasks in prompt")
RANDOM_SUBSET = re.compile(r"selecting (\d+) random tasks from (\d+) tasks available")
HS_LOADED = re.compile(r"loaded (\d+) tasks from prompt")
FAILURES = (
    "does not fit in the context window",
    "requires a higher -np",
    "failed to read task",
    "found bad task",
    "found empty answer",
    "malformed tasks",
    "no tasks",
    "llama_decode() failed",
    "number of lines in prompt not a multiple of 6",
)


class BadInput(Exception):
    pass


def parse_log(path):
    """Returns dict(mode, running=[(k, acc_percent)], final, n_prompt, problems)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.rstrip("\r\n").rstrip("\r") for line in f]
    except OSError as e:
        raise BadInput(f"{path}: cannot read the log: {e.strerror}")
    mode = None
    running = []
    final = None
    n_prompt = None
    problems = []
    for line in lines:
        if line.startswith(HS_HEADER_PREFIX):
            mode = "hellaswag"
            continue
        if line == MC_HEADER:
            if mode is not None:
                raise BadInput(f"{path}: more than one scoring run in the log")
            mode = "multiple-choice"
            continue
        m = RANDOM_SUBSET.search(line)
        if m:
            raise BadInput(
                f"{path}: llama-perplexity scored a random subset ({m.group(1)} of {m.group(2)} tasks, "
                "--multiple-choice-tasks); its tasks cannot be matched to items. Run it without "
                "--multiple-choice-tasks and choose the items with `jouleval export-tasks --limit`.")
        m = N_TASKS.search(line) or HS_LOADED.search(line)
        if m:
            n_prompt = int(m.group(1))
        m = FINAL.search(line)
        if m:
            final = float(m.group(1)) / 100.0
        for failure in FAILURES:
            if failure in line:
                problems.append(line.strip())
        if mode == "multiple-choice":
            m = MC_LINE.match(line)
        elif mode == "hellaswag":
            m = HS_LINE.match(line)
        else:
            m = None
        if m:
            running.append((int(m.group(1)), float(m.group(2))))
    if mode is None:
        raise BadInput(f"{path}: no 'task\\tacc_norm' header: not a llama-perplexity --multiple-choice or "
                       "--hellaswag log (or it stopped before scoring)" +
                       (": " + "; ".join(problems) if problems else ""))
    return {"mode": mode, "running": running, "final": final, "n_prompt": n_prompt, "problems": problems}


def per_task_correct(path, running):
    """Per-task 0/1 in file order, recovered from the running accuracy (see the module docstring)."""
    correct = []
    previous = 0
    for expected_k, (k, acc) in enumerate(running, start=1):
        if k != expected_k:
            raise BadInput(f"{path}: task line {k} where {expected_k} was expected (log incomplete or mixed)")
        exact = acc * k / 100.0
        n = int(round(exact))
        if abs(exact - n) > 1e-3 or n < previous or n - previous > 1:
            raise BadInput(f"{path}: running accuracy {acc} at task {k} is not consistent with 0/1 scores")
        correct.append(n - previous)
        previous = n
    return correct


def read_sidecar(path):
    items = []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    items.append((int(rec["index"]), str(rec["item_id"]), int(rec["gold"]), int(rec["n_choices"])))
                except (ValueError, KeyError, TypeError) as e:
                    raise BadInput(f"{path}:{number}: not a sidecar line ({e})")
    except OSError as e:
        raise BadInput(f"{path}: cannot read the sidecar: {e.strerror}")
    for i, item in enumerate(items):
        if item[0] != i:
            raise BadInput(f"{path}: line {i + 1} has index {item[0]}, expected {i}")
    if not items:
        raise BadInput(f"{path}: no items")
    return items


def export(args, *extra):
    """Rows of `jouleval export DB --format jsonl [extra]` (the only way this script reads results)."""
    cmd = [args.jouleval, "export", args.db, "--format", "jsonl", *extra]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise BadInput(f"{args.jouleval}: cannot run jouleval ({e.strerror}); give --jouleval PATH")
    if p.returncode != 0:
        raise BadInput(f"{args.db}: `jouleval export` failed (exit {p.returncode}): {p.stderr.strip()}")
    try:
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    except ValueError as e:
        raise BadInput(f"{args.db}: `jouleval export` wrote invalid JSON Lines ({e})")


def select_cell(args):
    """The one finished cell (a row of `jouleval export`'s summary) the selector names."""
    cells = export(args)
    rows = cells
    if args.cell_id is not None:
        rows = [c for c in rows if c["cell_id"] == args.cell_id]
    for column, value in (("model", args.model), ("precision", args.precision), ("task", args.task),
                          ("kv", args.kv), ("placement", args.placement), ("limit", args.limit),
                          ("shots", args.shots)):
        if value is not None:
            rows = [c for c in rows if c.get(column) == value]
    if len(rows) == 1:
        return rows[0]
    listing = rows or cells
    text = "\n".join(f"  --cell-id {c['cell_id']}: model={c['model']} precision={c['precision']} kv={c['kv']} "
                     f"placement={c['placement']} task={c['task']} limit={c['limit']} shots={c['shots']} "
                     f"machine={c['machine']}" for c in listing)
    if not rows:
        raise BadInput("no finished cell matches the selector; finished cells:\n" + (text or "  (none)"))
    raise BadInput("the selector matches several cells; narrow it (e.g. --cell-id):\n" + text)


def first_argmax(values):
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    return best


def ratio(num, den):
    return num / den if den else None


def compare(args):
    log = parse_log(args.log)
    sidecar = read_sidecar(args.items)
    if log["n_prompt"] is not None and log["n_prompt"] != len(sidecar):
        raise BadInput(f"{args.log}: llama-perplexity read {log['n_prompt']} tasks but {args.items} lists "
                       f"{len(sidecar)}: not the same file")
    cell = select_cell(args)
    ours = {}
    for row in export(args, "--table", "items"):
        if row["cell_id"] != cell["cell_id"]:
            continue
        rec = row["record"]
        if isinstance(rec, str):
            try:
                rec = json.loads(rec)
            except ValueError as e:
                raise BadInput(f"{args.db}: item {row['item_id']} of cell {cell['cell_id']} has invalid JSON ({e})")
        ours[row["item_id"]] = (int(bool(row["correct"])), rec)

    llama_correct = per_task_correct(args.log, log["running"])
    n_llama = len(llama_correct)
    llama_acc = ratio(sum(llama_correct), n_llama)
    ours_all = [c for c, _ in ours.values()]

    result = {
        "cell_id": cell["cell_id"], "model": cell["model"], "precision": cell["precision"], "task": cell["task"],
        "llama_mode": log["mode"],
        "n_items_file": len(sidecar),
        "n_llama": n_llama,
        "n_ours": len(ours),
        "llama_acc": llama_acc,
        "llama_final_reported": log["final"],
        "ours_acc": cell["score"] if cell.get("metric") == "acc" else ratio(sum(ours_all), len(ours_all)),
        "ours_acc_norm": (cell["score"] if cell.get("metric") == "acc_norm" else
                          ratio(sum(bool(r.get("correct_norm")) for _, r in ours.values()), len(ours))
                          if ours and all("correct_norm" in r for _, r in ours.values()) else None),
        "n_both": None,
        "llama_acc_both": None, "ours_acc_both": None,
        "agreement": None,
        "both_correct": None, "only_llama_correct": None, "only_ours_correct": None, "both_wrong": None,
        "chosen_agreement": None,
        "ours_token_mean_acc_both": None, "agreement_token_mean": None,
        "ours_acc_norm_both": None, "agreement_acc_norm": None,
        "gold_mismatches": 0,
        "complete": n_llama == len(sidecar),
        "llama_problems": log["problems"],
    }
    if log["mode"] != "multiple-choice":
        return result  # shuffled order: final accuracy only

    pairs = []  # (llama 0/1, ours 0/1, ours token-mean 0/1 or None, ours acc_norm 0/1 or None)
    for (index, item_id, gold, n_choices), lc in zip(sidecar, llama_correct):
        if item_id not in ours:
            continue
        oc, rec = ours[item_id]
        if rec.get("gold") != gold:
            result["gold_mismatches"] += 1
        token_mean = None
        ll, nt = rec.get("loglikelihoods"), rec.get("n_tokens")
        if ll and nt and len(ll) == len(nt) == n_choices and all(n > 0 for n in nt) and "labels" not in rec:
            token_mean = int(first_argmax([v / n for v, n in zip(ll, nt)]) == rec.get("gold"))
        norm = rec.get("correct_norm")
        pairs.append((lc, oc, token_mean, None if norm is None else int(bool(norm))))
    n = len(pairs)
    if n == 0:
        return result
    result["n_both"] = n
    result["llama_acc_both"] = ratio(sum(p[0] for p in pairs), n)
    result["ours_acc_both"] = ratio(sum(p[1] for p in pairs), n)
    result["agreement"] = ratio(sum(p[0] == p[1] for p in pairs), n)
    result["both_correct"] = sum(p[0] and p[1] for p in pairs)
    result["only_llama_correct"] = sum(p[0] and not p[1] for p in pairs)
    result["only_ours_correct"] = sum(p[1] and not p[0] for p in pairs)
    result["both_wrong"] = sum(not p[0] and not p[1] for p in pairs)
    tm = [(p[0], p[2]) for p in pairs if p[2] is not None]
    if len(tm) == n:
        result["ours_token_mean_acc_both"] = ratio(sum(t for _, t in tm), n)
        result["agreement_token_mean"] = ratio(sum(a == b for a, b in tm), n)
    nm = [(p[0], p[3]) for p in pairs if p[3] is not None]
    if len(nm) == n:
        result["ours_acc_norm_both"] = ratio(sum(t for _, t in nm), n)
        result["agreement_acc_norm"] = ratio(sum(a == b for a, b in nm), n)
    return result


def pct(x):
    return "n/a" if x is None else f"{100.0 * x:.2f}%"


def report(r, out):
    print(f"cell {r['cell_id']}: {r['model']} {r['precision']} {r['task']}; llama-perplexity --{r['llama_mode']}",
          file=out)
    print(f"llama-perplexity accuracy: {pct(r['llama_acc'])} over {r['n_llama']} of {r['n_items_file']} tasks"
          f" (its final line: {pct(r['llama_final_reported'])})", file=out)
    print(f"jouleval acc:              {pct(r['ours_acc'])} over {r['n_ours']} items"
          + (f" (acc_norm {pct(r['ours_acc_norm'])})" if r["ours_acc_norm"] is not None else ""), file=out)
    if not r["complete"]:
        print("warning: llama-perplexity did not score every task of the file", file=out)
    for p in r["llama_problems"]:
        print(f"llama-perplexity reported: {p}", file=out)
    if r["llama_mode"] != "multiple-choice":
        print("per-item agreement: n/a (llama-perplexity --hellaswag shuffles its tasks; use --format llama-mc)",
              file=out)
        return
    if r["n_both"] is None:
        print("items in both: 0 (no item of the file is in the cell: wrong cell or file?)", file=out)
        return
    print(f"items in both: {r['n_both']}; on them llama-perplexity {pct(r['llama_acc_both'])}, "
          f"jouleval acc {pct(r['ours_acc_both'])}", file=out)
    print(f"per-item correctness agreement with our acc: {pct(r['agreement'])} (both correct {r['both_correct']}, "
          f"only llama {r['only_llama_correct']}, only ours {r['only_ours_correct']}, both wrong {r['both_wrong']})",
          file=out)
    if r["agreement_token_mean"] is not None:
        print(f"our log-likelihoods decided by llama-perplexity's rule (mean per token): accuracy "
              f"{pct(r['ours_token_mean_acc_both'])}, agreement {pct(r['agreement_token_mean'])}", file=out)
    if r["agreement_acc_norm"] is not None:
        print(f"agreement with our acc_norm: {pct(r['agreement_acc_norm'])}", file=out)
    print("chosen answers: not recoverable from llama-perplexity's log (it prints only the running accuracy)",
          file=out)
    if r["gold_mismatches"]:
        print(f"warning: {r['gold_mismatches']} items have a different gold answer in the sidecar and the cell",
              file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 1)[1])
    parser.add_argument("--log", required=True, help="llama-perplexity's captured stdout+stderr")
    parser.add_argument("--items", required=True, help="FILE.items.jsonl written by jouleval export-tasks")
    parser.add_argument("--db", required=True, help="jouleval results database (read through `jouleval export`)")
    parser.add_argument("--jouleval", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build",
                                                           "bin", "jouleval"),
                        help="the jouleval binary (default: build/bin/jouleval of this checkout)")
    parser.add_argument("--model", help="cell selector: model label (cells.model)")
    parser.add_argument("--precision", help="cell selector: precision, e.g. fp16, int4")
    parser.add_argument("--task", help="cell selector: task, e.g. mmlu")
    parser.add_argument("--kv", help="cell selector: KV cache type")
    parser.add_argument("--placement", help="cell selector: placement")
    parser.add_argument("--limit", type=int, help="cell selector: item limit")
    parser.add_argument("--shots", type=int, help="cell selector: shots")
    parser.add_argument("--cell-id", type=int, help="cell selector: cells.id")
    parser.add_argument("--json", action="store_true", help="print one JSON line on stdout (report on stderr)")
    args = parser.parse_args(argv)
    try:
        result = compare(args)
    except BadInput as e:
        print(f"peer_agreement: error: {e}", file=sys.stderr)
        return 3
    if args.json:
        report(result, sys.stderr)
        print(json.dumps(result, sort_keys=False))
    else:
        report(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
