#include "report/limits.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace jouleval::report {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

const GpuSpec* spec_named(const char* name) {
  for (const auto& s : known_gpu_specs())
    if (s.name == name) return &s;
  return nullptr;
}

// A positive number stored under `key` in the engine settings used (JSON), if any.
std::optional<double> engine_used_number(const std::string& engine_used_json, const char* key) {
  const auto j = nlohmann::json::parse(engine_used_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  const double v = j[key].get<double>();
  if (!(v > 0.0)) return std::nullopt;
  return v;
}

}  // namespace

double decode_batch(const SummaryRow& row, std::string* basis) {
  const CellMetrics& m = row.metrics;
  if (m.generated_tokens > 0.0 && m.decode_calls > 0.0) {
    if (basis) *basis = "generated tokens / decode calls";
    return m.generated_tokens / m.decode_calls;
  }
  std::optional<double> parallel = engine_used_number(row.engine_used_json, "max_sequences");
  if (!parallel && row.key.engine.max_sequences > 0) parallel = row.key.engine.max_sequences;
  const double items = std::max(1, m.items);
  if (basis)
    *basis = parallel ? "min(parallel sequences, items)" : "items (decode calls and parallel sequences not recorded)";
  return parallel ? std::min(*parallel, items) : items;
}

const std::vector<GpuSpec>& known_gpu_specs() {
  // NVIDIA datasheets; dense (no sparsity) FP16/BF16 tensor rates with FP32 accumulate.
  static const std::vector<GpuSpec> kSpecs = {
      {"H100 SXM", 989.0, 3.35, 700.0},        {"H100 PCIe", 756.0, 2.0, 350.0},
      {"H200 SXM", 989.0, 4.8, 700.0},         {"A100 SXM 80GB", 312.0, 2.039, 400.0},
      {"A100 SXM 40GB", 312.0, 1.555, 400.0},  {"A100 PCIe 80GB", 312.0, 1.935, 300.0},
      {"A100 PCIe 40GB", 312.0, 1.555, 250.0}, {"L40S", 362.05, 0.864, 350.0},
      {"RTX 4090", 165.2, 1.008, 450.0},
  };
  return kSpecs;
}

std::optional<GpuSpec> find_gpu_spec(const std::string& gpu_name) {
  const std::string n = upper(gpu_name);
  const char* name = nullptr;
  if (has(n, "NVL"))
    name = nullptr;  // NVL variants differ; not listed
  else if (has(n, "H200"))
    name = "H200 SXM";
  else if (has(n, "H100"))
    name = has(n, "PCIE") ? "H100 PCIe" : "H100 SXM";
  else if (has(n, "A100")) {
    const bool pcie = has(n, "PCIE");
    const bool big = has(n, "80GB");
    name = pcie ? (big ? "A100 PCIe 80GB" : "A100 PCIe 40GB") : (big ? "A100 SXM 80GB" : "A100 SXM 40GB");
  } else if (has(n, "L40S"))
    name = "L40S";
  else if (has(n, "RTX 4090") || has(n, "RTX4090"))
    name = "RTX 4090";
  if (!name) return std::nullopt;
  return *spec_named(name);
}

std::vector<LimitComparison> compare_limits(const Summary& summary) {
  std::vector<LimitComparison> out;
  for (size_t i = 0; i < summary.rows.size(); ++i) {
    const SummaryRow& r = summary.rows[i];
    if (r.key.placement != "gpu" || r.model_params == 0 || r.model_size_bytes == 0) continue;
    const auto spec = find_gpu_spec(r.gpu_name);
    if (!spec) continue;
    const auto& st = r.metrics.stats;
    LimitComparison c;
    c.row = i;
    c.gpu = *spec;
    const bool decode = r.metrics.generated_tokens > 0.0;
    c.phase = decode ? "decode" : "prompt";
    if (decode) {
      c.batch = decode_batch(r, &c.batch_basis);
      c.kv_bytes_per_token = engine_used_number(r.engine_used_json, "kv_bytes_per_token");
      if (r.metrics.items > 0)
        c.context_tokens = (r.metrics.prompt_tokens + r.metrics.generated_tokens / 2.0) / r.metrics.items;
      const double bytes_per_step =
          static_cast<double>(r.model_size_bytes) + c.batch * c.kv_bytes_per_token.value_or(0.0) * c.context_tokens;
      c.bound_tokens_per_s = c.batch * spec->tb_per_s * 1e12 / bytes_per_step;
      if (st.generated_tokens_per_s) c.tokens_per_s = st.generated_tokens_per_s->mean;
      if (st.gpu_j && r.metrics.generated_tokens > 0.0) c.j_per_token = st.gpu_j->mean / r.metrics.generated_tokens;
    } else {
      c.bound_tokens_per_s = spec->tflops * 1e12 / (2.0 * static_cast<double>(r.model_params));
      if (st.tokens_per_s) c.tokens_per_s = st.tokens_per_s->mean;
      if (st.gpu_j_per_token) c.j_per_token = st.gpu_j_per_token->mean;
    }
    c.bound_j_per_token = spec->watts / c.bound_tokens_per_s;
    if (c.tokens_per_s) c.throughput_fraction = *c.tokens_per_s / c.bound_tokens_per_s;
    if (c.j_per_token && *c.j_per_token > 0.0) c.energy_fraction = c.bound_j_per_token / *c.j_per_token;
    out.push_back(c);
  }
  return out;
}

}  // namespace jouleval::report
