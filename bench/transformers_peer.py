#!/usr/bin/env python3
"""The study's own software stack as a peer: the same GGUF weights in Hugging Face transformers,
scoring the same loglikelihood requests with lm-evaluation-harness's algorithm, metered by NVML.

Inputs
  --model     a GGUF file with F16/BF16/F32 weights (e.g. `jouleval synth --preset qwen2.5-7b`);
              architectures qwen2 and llama (llama's Q/K rows are un-permuted back to Hugging Face's
              rotary layout, as llama.cpp's converter permuted them)
  --requests  `jouleval export-tasks --task T ... --format tokens -m MODEL -o FILE`: the token ids
              jouleval scores, one JSON line per request ({"request", "item_id", "choice", "tokens",
              "continuation_begin"}), so both sides score exactly the same tokens
  --compare   optional: the samples file of `jouleval run ... --log_samples --output_path DIR` for the
              same task, items and model: per-request log-likelihood agreement and chosen-answer
              agreement are reported
  --gguf-py   optional: llama.cpp's gguf-py directory (the pinned tree has it) when the `gguf`
              package is not installed

The algorithm (lm-evaluation-harness 0.4, HFLM._loglikelihood_tokens)
  Each request feeds tokens[:-1] (left-truncated to --max-length) and scores the continuation
  tokens[continuation_begin:]. Requests are sorted by descending length; requests with identical
  fed tokens (the choices of an MMLU question: one-token answers after the same context) share one
  forward pass (lm-eval's "contexts" grouping); the distinct inputs go in batches of --batch-size,
  right-padded, without an attention mask (causal: padding after a sequence cannot change it). The
  log-softmax is taken in float32 over the continuation positions only (lm-eval takes it over every
  position in the model's dtype; the sum is the same up to rounding). is_greedy: every continuation
  token is the argmax.

Measurement
  The GPU's NVML energy counter (nvmlDeviceGetTotalEnergyConsumption, the device torch uses, found by
  UUID) is read after torch.cuda.synchronize() at the start and end of the scoring loop; model load
  and one untimed warm-up batch are outside the window. Run it under `jouleval meter` for the whole
  process as well. No idle baseline is subtracted here (the figure is total GPU energy).

Output: a summary on stderr; --json FILE writes it as JSON; --out FILE the per-request results
  ({"request", "item_id", "choice", "logprob", "is_greedy"}). Exit codes: 0 ok, 2 usage, 3 bad input,
  4 a resource (GPU, NVML, gguf reader) unavailable.
"""

import argparse
import ctypes
import json
import math
import os
import sys
import time


def fail(message, code):
    print(f"transformers_peer: {message}", file=sys.stderr)
    sys.exit(code)


def field_value(reader, key, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    part = field.parts[field.data[0]]
    if len(part) == 1:
        return part[0].item()
    return bytes(part).decode("utf-8")


def read_requests(path):
    requests = []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    tokens = [int(t) for t in r["tokens"]]
                    begin = int(r["continuation_begin"])
                except (ValueError, KeyError, TypeError) as e:
                    fail(f"{path}:{number}: not a --format tokens line ({e})", 3)
                if len(tokens) < 2 or not 1 <= begin <= len(tokens) - 1:
                    fail(f"{path}:{number}: continuation_begin {begin} outside 1..{len(tokens) - 1}", 3)
                requests.append({"request": r.get("request", len(requests)), "item_id": r.get("item_id", ""),
                                 "choice": r.get("choice", 0), "tokens": tokens, "begin": begin})
    except OSError as e:
        fail(f"{path}: {e.strerror}", 3)
    if not requests:
        fail(f"{path}: no requests", 3)
    return requests


class Nvml:
    """The NVML energy counter of one GPU, through ctypes (no pynvml needed)."""

    def __init__(self, uuid, index):
        try:
            self.lib = ctypes.CDLL("libnvidia-ml.so.1")
        except OSError as e:
            fail(f"NVML unavailable: {e}", 4)
        if self.lib.nvmlInit_v2() != 0:
            fail("nvmlInit_v2 failed", 4)
        self.handle = ctypes.c_void_p()
        rc = 1
        if uuid:
            rc = self.lib.nvmlDeviceGetHandleByUUID(uuid.encode(), ctypes.byref(self.handle))
        if rc != 0:
            rc = self.lib.nvmlDeviceGetHandleByIndex_v2(ctypes.c_uint(index), ctypes.byref(self.handle))
        if rc != 0:
            fail(f"no NVML handle for GPU {uuid or index}", 4)

    def joules(self):
        mj = ctypes.c_ulonglong()
        if self.lib.nvmlDeviceGetTotalEnergyConsumption(self.handle, ctypes.byref(mj)) != 0:
            fail("nvmlDeviceGetTotalEnergyConsumption failed (no energy counter on this GPU)", 4)
        return mj.value / 1000.0


def unpermute(w, n_head):
    # Inverse of llama.cpp's convert_hf_to_gguf LlamaModel.permute (rows of Q or K).
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def load_model(path, dtype_name, attn, device):
    try:
        import gguf  # noqa: F401
        from gguf import GGUFReader
    except ImportError:
        fail("the gguf package is missing: pass --gguf-py <llama.cpp>/gguf-py", 4)
    import numpy as np
    import torch
    import transformers

    reader = GGUFReader(path)
    arch = field_value(reader, "general.architecture")
    if arch not in ("qwen2", "llama"):
        fail(f"{path}: architecture {arch!r} not supported (qwen2, llama)", 3)
    tensors = {t.name: t for t in reader.tensors}
    for t in tensors.values():
        if t.tensor_type.name not in ("F16", "BF16", "F32"):
            fail(f"{path}: tensor {t.name} is {t.tensor_type.name}; give an unquantized (F16/BF16) model", 3)
    n_head = field_value(reader, f"{arch}.attention.head_count")
    n_head_kv = field_value(reader, f"{arch}.attention.head_count_kv", n_head)
    hidden = field_value(reader, f"{arch}.embedding_length")
    vocab = tensors["token_embd.weight"].data.shape[0]
    common = dict(vocab_size=vocab, hidden_size=hidden,
                  intermediate_size=field_value(reader, f"{arch}.feed_forward_length"),
                  num_hidden_layers=field_value(reader, f"{arch}.block_count"), num_attention_heads=n_head,
                  num_key_value_heads=n_head_kv,
                  rms_norm_eps=field_value(reader, f"{arch}.attention.layer_norm_rms_epsilon", 1e-6),
                  rope_theta=field_value(reader, f"{arch}.rope.freq_base", 10000.0),
                  max_position_embeddings=field_value(reader, f"{arch}.context_length", 4096),
                  tie_word_embeddings="output.weight" not in tensors)
    config = transformers.Qwen2Config(**common) if arch == "qwen2" else transformers.LlamaConfig(**common)
    dtype = getattr(torch, dtype_name)
    torch.set_default_dtype(dtype)
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation=attn, torch_dtype=dtype)
    model.eval()

    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    per_layer = {"attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
                 "attn_q.weight": "self_attn.q_proj.weight", "attn_q.bias": "self_attn.q_proj.bias",
                 "attn_k.weight": "self_attn.k_proj.weight", "attn_k.bias": "self_attn.k_proj.bias",
                 "attn_v.weight": "self_attn.v_proj.weight", "attn_v.bias": "self_attn.v_proj.bias",
                 "attn_output.weight": "self_attn.o_proj.weight", "ffn_gate.weight": "mlp.gate_proj.weight",
                 "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight"}
    params = dict(model.named_parameters())
    loaded = set()
    for name, t in tensors.items():
        if name.startswith("blk."):
            _, layer, rest = name.split(".", 2)
            if rest not in per_layer:
                fail(f"{path}: unexpected tensor {name}", 3)
            target = f"model.layers.{layer}.{per_layer[rest]}"
        elif name in names:
            target = names[name]
        else:
            fail(f"{path}: unexpected tensor {name}", 3)
        data = np.asarray(t.data)
        if t.tensor_type.name == "BF16":
            data = (data.astype(np.uint32) << 16).view(np.float32)
        if arch == "llama" and rest_is(name, "attn_q.weight"):
            data = unpermute(data, n_head)
        elif arch == "llama" and rest_is(name, "attn_k.weight"):
            data = unpermute(data, n_head_kv)
        p = params.get(target)
        if p is None or tuple(p.shape) != tuple(data.shape):
            fail(f"{path}: tensor {name} {tuple(data.shape)} does not fit {target} "
                 f"{None if p is None else tuple(p.shape)}", 3)
        with torch.no_grad():
            p.copy_(torch.from_numpy(np.ascontiguousarray(data)).to(device=device, dtype=p.dtype))
        loaded.add(target)
    missing = sorted(set(params) - loaded - ({"lm_head.weight"} if common["tie_word_embeddings"] else set()))
    if missing:
        fail(f"{path}: no tensor for {', '.join(missing[:5])}", 3)
    return model, arch


def rest_is(name, suffix):
    return name.startswith("blk.") and name.split(".", 2)[2] == suffix


def score(model, requests, batch_size, max_length, device, on_batch=None):
    """lm-eval's loglikelihood over the requests; returns per-request (logprob, is_greedy) and stats."""
    import torch
    import torch.nn.functional as F

    inputs = {}  # fed tokens -> indices of the requests that share them
    for i, r in enumerate(requests):
        fed = tuple(r["tokens"][:-1][-max_length:])
        inputs.setdefault(fed, []).append(i)
    order = sorted(inputs, key=lambda fed: (-len(fed), fed))
    results = [None] * len(requests)
    computed = 0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        width = max(len(fed) for fed in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        for row, fed in enumerate(batch):
            ids[row, :len(fed)] = torch.tensor(fed)
        with torch.no_grad():
            logits = model(ids.to(device)).logits
        for row, fed in enumerate(batch):
            computed += len(fed)
            for i in inputs[fed]:
                r = requests[i]
                cont = r["tokens"][r["begin"]:]
                n = len(cont)
                rows = logits[row, len(fed) - n:len(fed)].float()
                logp = F.log_softmax(rows, dim=-1)
                target = torch.tensor(cont, device=logp.device)
                picked = logp.gather(1, target.unsqueeze(1)).squeeze(1)
                greedy = bool((logp.argmax(dim=-1) == target).all())
                results[i] = (float(picked.sum()), greedy)
        if on_batch:
            on_batch(start + len(batch), len(order))
    return results, {"forward_inputs": len(order), "computed_tokens": computed}


def compare(requests, results, samples_path):
    want = {}
    try:
        with open(samples_path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    s = json.loads(line)
                    want[str(s["item_id"])] = s["record"]["loglikelihoods"]
    except (OSError, ValueError, KeyError) as e:
        fail(f"{samples_path}: not a jouleval samples file ({e})", 3)
    diffs = []
    ours = {}
    theirs = {}
    for r, (lp, _) in zip(requests, results):
        lls = want.get(str(r["item_id"]))
        if lls is None or r["choice"] >= len(lls):
            fail(f"{samples_path}: no log-likelihood for item {r['item_id']} choice {r['choice']}", 3)
        diffs.append(abs(lp - lls[r["choice"]]))
        ours.setdefault(r["item_id"], {})[r["choice"]] = lls[r["choice"]]
        theirs.setdefault(r["item_id"], {})[r["choice"]] = lp
    same = sum(1 for k in ours if max(ours[k], key=ours[k].get) == max(theirs[k], key=theirs[k].get))
    diffs.sort()
    return {"requests": len(diffs), "items": len(ours), "chosen_agreement": same / len(ours),
            "abs_diff_mean": sum(diffs) / len(diffs), "abs_diff_median": diffs[len(diffs) // 2],
            "abs_diff_p99": diffs[min(len(diffs) - 1, int(0.99 * len(diffs)))], "abs_diff_max": diffs[-1]}


def run_one(model, arch, a, requests_path, compare_path, meter, index):
    import torch

    requests = read_requests(requests_path)
    # One untimed warm-up batch (kernel selection, allocator), then the measured loop.
    score(model, requests[:a.batch_size], a.batch_size, a.max_length, a.device)
    torch.cuda.synchronize()
    j0, t0 = meter.joules(), time.monotonic()
    last = [t0]

    def progress(done, total):
        if time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            print(f"transformers_peer: {requests_path}: {done}/{total} inputs", file=sys.stderr)

    results, stats = score(model, requests, a.batch_size, a.max_length, a.device, progress)
    torch.cuda.synchronize()
    seconds, joules = time.monotonic() - t0, meter.joules() - j0
    items = len({r["item_id"] for r in requests})
    summary = {
        "requests_file": os.path.basename(requests_path), "model": os.path.basename(a.model), "architecture": arch,
        "dtype": a.dtype, "attn": a.attn, "batch_size": a.batch_size, "device": torch.cuda.get_device_name(index),
        "torch": torch.__version__, "transformers": __import__("transformers").__version__,
        "requests": len(requests), "items": items, **stats, "seconds": seconds, "gpu_joules": joules,
        "j_per_item": joules / items, "computed_tokens_per_s": stats["computed_tokens"] / seconds,
        "j_per_computed_token": joules / stats["computed_tokens"],
        "energy_method": "NVML total energy counter of the GPU, around the scoring loop, no idle subtraction",
    }
    if compare_path:
        summary["agreement"] = compare(requests, results, compare_path)
    if any(not math.isfinite(lp) for lp, _ in results):
        summary["non_finite"] = sum(1 for lp, _ in results if not math.isfinite(lp))
    return summary, requests, results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--requests", required=True, nargs="+", help="one or more token files (one model load)")
    ap.add_argument("--compare", nargs="+", help="a samples file per --requests file, in the same order")
    ap.add_argument("--gguf-py")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=4096)
    ap.add_argument("--dtype", default="float16", choices=["float16", "bfloat16", "float32"])
    ap.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa, eager, flash_attention_2)")
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--json", help="write the summaries (a list, one per --requests file) to this file")
    ap.add_argument("--out", help="write per-request results (JSON lines, all files in order) to this file")
    a = ap.parse_args()
    if a.batch_size < 1 or a.max_length < 1:
        fail("--batch-size and --max-length must be positive", 2)
    if a.compare and len(a.compare) != len(a.requests):
        fail(f"--compare: {len(a.compare)} files for {len(a.requests)} --requests files", 2)
    if a.gguf_py:
        sys.path.insert(0, a.gguf_py)
    for path in a.requests:
        read_requests(path)  # bad input fails before the model loads
    try:
        import torch
    except ImportError:
        fail("PyTorch is not installed", 4)
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        fail("no CUDA device visible to PyTorch", 4)

    t_load = time.monotonic()
    model, arch = load_model(a.model, a.dtype, a.attn, a.device)
    load_seconds = time.monotonic() - t_load
    index = torch.device(a.device).index or 0
    uuid = ""
    try:
        uuid = "GPU-" + str(torch.cuda.get_device_properties(index).uuid)
    except Exception:  # older torch: fall back to the index
        pass
    meter = Nvml(uuid, index)

    summaries = []
    out = open(a.out, "w", encoding="utf-8") if a.out else None
    for k, path in enumerate(a.requests):
        summary, requests, results = run_one(model, arch, a, path, a.compare[k] if a.compare else None, meter, index)
        summary["load_seconds"] = load_seconds
        summaries.append(summary)
        print(json.dumps(summary, indent=1), file=sys.stderr)
        if out:
            for r, (lp, greedy) in zip(requests, results):
                out.write(json.dumps({"file": os.path.basename(path), "request": r["request"], "item_id": r["item_id"],
                                      "choice": r["choice"], "logprob": lp, "is_greedy": greedy}) + "\n")
    if out:
        out.close()
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(summaries, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
