#!/usr/bin/env python3
"""Seed inputs of the fuzz harnesses (docs/fuzzing.md).

  make_corpus.py repo OUT               # the committed seeds: built-in samples, tests/data, sweep examples
  make_corpus.py gguf OUT FILE...       # metadata-only copies of real GGUF files (arrays cut to 8 items)
  make_corpus.py datasets OUT DIR [N]   # the first N items (default 3) of each benchmark file under DIR

OUT gets one subdirectory per harness. `datasets` is for local runs (scripts/fuzz.sh --datasets):
slices of the real benchmark files are not committed to the repository.
"""
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(out, harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


# ---- the repository's own inputs ----------------------------------------------------------------

def sample_files():
    """(name, text) of every built-in sample (src/tasks/samples_*.cpp raw string literals)."""
    out = []
    for src in ("src/tasks/samples_mc.cpp", "src/tasks/samples_other.cpp"):
        text = read(src).decode()
        for m in re.finditer(r'"([^"\n]+\.(?:csv|jsonl|json))",\s*R"(\w*)\((.*?)\)\2"', text, re.S):
            out.append((m.group(1), m.group(3)))
    return out


def harness_of(name):
    n = name.lower()
    if n.endswith(".csv"):
        return "mmlu_csv"
    if "arc" in n:
        return "arc_jsonl"
    if "hellaswag" in n:
        return "hellaswag_text" if n.endswith(".txt") else "hellaswag_jsonl"
    if n.endswith("mc_task.json"):
        return "truthfulqa_json"
    if n.endswith(".jsonl"):
        return "gsm8k_jsonl"
    return None


HANDWRITTEN = {
    "mmlu_csv": {
        "crlf_quotes.csv": 'Plain question?,one,two,three,four,A\r\n"Quoted, with comma",a,"b ""q""",c,d,D\r\n',
        "multiline.csv": '"Line one\nline two?",w,x,y,z,C\n\n\nLast?,1,2,3,4,B',
    },
    "arc_jsonl": {
        "five_numeric.jsonl": '{"id":"x1","question":{"stem":"Pick?","choices":[{"text":"a","label":"1"},'
        '{"text":"b","label":"2"},{"text":"c","label":"3"},{"text":"d","label":"4"},{"text":"e","label":"5"}]},'
        '"answerKey":"5"}\n',
    },
    "hellaswag_jsonl": {
        "string_label.jsonl": '{"ind": "7", "activity_label": "Cooking [title]", "ctx_a": "A cook  chops.", '
        '"ctx_b": "THEN", "endings": ["stirs [step] the pot.", "b", "c", "d"], "label": "3"}\n',
    },
    "hellaswag_text": {
        "two_items.txt": "Baking: A man mixes flour. he\n0\nkneads it.\nsings.\nsleeps.\nleaves.\r\n"
        "Running: A woman ties her shoes. she\n2\nsits.\nwalks.\nruns off.\nstops.\n",
    },
    "truthfulqa_json": {
        "bool_labels.json": '[{"question": "Q?", "mc1_targets": {"right": true, "wrong": false}, '
        '"mc2_targets": {"r1": 1, "r2": 1, "w": 0}}]',
    },
    "gsm8k_jsonl": {
        "negative_answer.jsonl": '{"question": "What is 2 - 5?", "answer": "2 - 5 = -3.\\n#### -3"}\n'
        '{"question": "Cost?", "answer": "It is $1,200.50.\\n#### 1,200.50"}\n',
    },
    "sweep_config": {
        "minimal.toml": '[sweep]\nsamples = true\nmodels = ["synth:tiny"]\ntasks = ["mmlu"]\n',
        "per_task.toml": '[sweep]\ndata_dir = "data"\nmodels = ["a.gguf", "synth:tiny-llama:bf16"]\n'
        'precisions = ["fp16", "int8", "Q4_K_M"]\nkv_types = ["f16", "q8_0"]\nplacements = ["cpu"]\n'
        'tasks = ["mmlu", "arc_challenge", "hellaswag", "truthfulqa_mc1", "truthfulqa_mc2", "gsm8k"]\n'
        'limit = 10\nshot_preset = "leaderboard"\nseed = 7\nrepetitions = 2\nidle_seconds = 0.5\n'
        'min_window_seconds = 0\nflash_attention = "off"\n\n[tasks.mmlu]\nlimit = 5\nshots = 0\n\n'
        '[tasks.gsm8k]\nshots = 3\n',
    },
    "external_meter": {
        "plain.txt": "123456.789\n",
        "labelled.txt": "energy_total: 4.2e3 J (since boot)\n",
        "negative.txt": "  -0.5",
        "no_number.txt": "meter offline\n",
        "huge.txt": "1e999\n",
        "empty.txt": "",
    },
}


def cmd_repo(out):
    for name, text in sample_files():
        h = harness_of(name)
        if h:
            write(out, h, "sample_" + name, text)
    data = os.path.join(ROOT, "tests", "data", "tasks")
    for dirpath, _, files in os.walk(data):
        for f in sorted(files):
            h = harness_of(f)
            if h:
                rel = os.path.relpath(os.path.join(dirpath, f), data).replace(os.sep, "_")
                write(out, h, "testdata_" + rel, read(os.path.join(dirpath, f)))
    for toml in ("bench/sweep-example.toml",):
        write(out, "sweep_config", os.path.basename(toml), read(toml))
    for h, files in HANDWRITTEN.items():
        for name, text in files.items():
            write(out, h, name, text)


# ---- GGUF: metadata-only copies -----------------------------------------------------------------

SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
STRING, ARRAY = 8, 9


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return v[0]

    def raw(self, n):
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def string(self):
        return self.raw(self.take("Q"))


def pack_string(b):
    return struct.pack("<Q", len(b)) + b


def shrink_gguf(data, max_items=8):
    """The header, key-value pairs (arrays cut to max_items) and tensor infos of a GGUF file, padded
    to the data alignment; the tensor data is left out (the metadata reader does not read it)."""
    r = Reader(data)
    assert r.raw(4) == b"GGUF"
    version, n_tensors, n_kv = r.take("I"), r.take("q"), r.take("q")
    out = bytearray(b"GGUF" + struct.pack("<Iqq", version, n_tensors, n_kv))
    alignment = 32

    def value(t):
        if t == STRING:
            return pack_string(r.string())
        return struct.pack("<" + SCALAR[t], r.take(SCALAR[t]))

    for _ in range(n_kv):
        key = r.string()
        t = r.take("I")
        out += pack_string(key) + struct.pack("<I", t)
        if t == ARRAY:
            et, n = r.take("I"), r.take("Q")
            items = [value(et) for _ in range(n)][:max_items]
            out += struct.pack("<IQ", et, len(items)) + b"".join(items)
        else:
            v = value(t)
            if key == b"general.alignment":
                alignment = struct.unpack("<I", v)[0]
            out += v
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.take("I")
        dims = [r.take("q") for _ in range(n_dims)]
        ttype, offset = r.take("I"), r.take("Q")
        out += pack_string(name) + struct.pack("<I", n_dims) + struct.pack("<%dq" % n_dims, *dims)
        out += struct.pack("<IQ", ttype, offset)
    if n_tensors:
        out += b"\0" * (-len(out) % alignment)
    return bytes(out)


def cmd_gguf(out, files):
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        write(out, "gguf_summary", os.path.basename(f), shrink_gguf(data))


# ---- slices of the real benchmark files (local runs only) ----------------------------------------

def first_items(path, n):
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)
    if name.endswith(".json"):  # TruthfulQA: a JSON array; re-serialise the first n elements
        import json
        return json.dumps(json.loads(data)[:n], indent=2, ensure_ascii=False).encode()
    lines = data.split(b"\n")
    if name.endswith(".txt"):  # HellaSwag text: 6 lines per item
        return b"\n".join(lines[:6 * n]) + b"\n"
    return b"\n".join(lines[:n]) + b"\n"  # JSONL, and MMLU CSV rows without embedded newlines


def cmd_datasets(out, root, n, max_files=4):
    taken = {}
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            h = harness_of(f)
            if h and taken.get(h, 0) < max_files:
                taken[h] = taken.get(h, 0) + 1
                rel = os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "_")
                write(out, h, "dataset_" + rel, first_items(os.path.join(dirpath, f), n))


def main(argv):
    if len(argv) >= 2 and argv[0] == "repo":
        cmd_repo(argv[1])
    elif len(argv) >= 3 and argv[0] == "gguf":
        cmd_gguf(argv[1], argv[2:])
    elif len(argv) in (3, 4) and argv[0] == "datasets":
        cmd_datasets(argv[1], argv[2], int(argv[3]) if len(argv) == 4 else 3)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
