#!/usr/bin/env python3
"""Groups the findings of a fuzz harness by what went wrong (docs/fuzzing.md).

  triage.py FUZZER FILE...      # e.g. triage.py build-fuzz/bin/fuzz_arc_jsonl build-fuzz/work/arc_jsonl/findings/*

Replays each file, takes the first line that says what happened (a harness finding, a sanitizer
report, a timeout), blurs the input-specific parts (quoted text, numbers, addresses) and prints one
line per group: count, the smallest file, and the message.
"""
import re
import subprocess
import sys

PATTERNS = (r"jouleval fuzz finding: .*", r"runtime error: .*", r"ERROR: AddressSanitizer: [\w-]+",
            r"ERROR: LeakSanitizer: .*", r"ERROR: libFuzzer: [\w-]+ .*", r"SUMMARY: .*")


def signature(fuzzer, path):
    try:
        out = subprocess.run([fuzzer, "-timeout=25", "-rss_limit_mb=2560", path], capture_output=True,
                             timeout=120).stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "hangs past 120 s"
    for pattern in PATTERNS:
        m = re.search(pattern, out)
        if m:
            s = m.group(0)
            s = re.sub(r"'[^']*'", "'…'", s)
            s = re.sub(r"0x[0-9a-f]+", "0x…", s)
            s = re.sub(r"\d+", "N", s)
            return s
    return "no finding on replay (flaky, or a timeout that did not repeat)"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    fuzzer, files = argv[0], argv[1:]
    groups = {}
    for path in files:
        groups.setdefault(signature(fuzzer, path), []).append(path)
    for sig, paths in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        smallest = min(paths, key=lambda p: len(open(p, "rb").read()))
        print(f"{len(paths):5d}  {smallest}\n       {sig}")


if __name__ == "__main__":
    main(sys.argv[1:])
