#include "energy/gpu_selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace jouleval::energy {
namespace {

// A hexadecimal number of 1 to `max_digits` digits, the whole of `text`.
std::optional<unsigned> hex_field(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  unsigned v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> canonical_pci_bus_id(std::string_view text) {
  // domain:bus:device.function
  const size_t c1 = text.find(':');
  const size_t c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
  const size_t dot = c2 == std::string_view::npos ? c2 : text.find('.', c2 + 1);
  if (dot == std::string_view::npos) return std::nullopt;
  const auto domain = hex_field(text.substr(0, c1), 8);
  const auto bus = hex_field(text.substr(c1 + 1, c2 - c1 - 1), 2);
  const auto device = hex_field(text.substr(c2 + 1, dot - c2 - 1), 2);
  const auto function = hex_field(text.substr(dot + 1), 1);
  if (!domain || !bus || !device || !function || *domain > 0xffff) return std::nullopt;
  return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", *domain, *bus, *device, *function);
}

VisibleGpus visible_gpus(const std::vector<NvmlGpu>& gpus, const char* cuda_visible_devices,
                         const char* cuda_device_order) {
  VisibleGpus out;
  // CUDA's own numbering of the GPUs it can see: PCI bus order (unknown ids last, in NVML order).
  std::vector<size_t> order(gpus.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const std::string& pa = gpus[a].pci_bus_id;
    const std::string& pb = gpus[b].pci_bus_id;
    if (pa.empty() != pb.empty()) return pb.empty();
    return pa < pb;
  });
  const bool mixed = std::any_of(gpus.begin(), gpus.end(), [&](const NvmlGpu& g) { return g.name != gpus[0].name; });
  const bool pci_order = cuda_device_order != nullptr && std::string_view(cuda_device_order) == "PCI_BUS_ID";
  if (mixed && !pci_order) {
    out.notes.push_back(
        "the GPUs differ and CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA may number them fastest first, so a GPU "
        "index may name another GPU than the one metered; set CUDA_DEVICE_ORDER=PCI_BUS_ID");
  }
  if (cuda_visible_devices == nullptr) {
    out.source = "CUDA_VISIBLE_DEVICES unset";
    out.gpus = order;
    return out;
  }
  out.source = fmt::format("CUDA_VISIBLE_DEVICES='{}'", cuda_visible_devices);
  std::string_view rest = cuda_visible_devices;
  if (trim(rest).empty()) return out;  // set and empty: no GPU visible
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view entry = trim(rest.substr(0, comma));
    std::optional<size_t> found;
    std::string why;
    if (!entry.empty() && std::all_of(entry.begin(), entry.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      size_t index = 0;
      const auto [ptr, ec] = std::from_chars(entry.data(), entry.data() + entry.size(), index);
      if (ec == std::errc() && index < order.size())
        found = order[index];
      else
        why = fmt::format("no GPU {} among the {} NVML can open", entry, order.size());
    } else if (starts_with_nocase(entry, "GPU-")) {
      std::vector<size_t> matches;
      for (size_t i : order) {
        if (starts_with_nocase(gpus[i].uuid, entry)) matches.push_back(i);
      }
      if (matches.size() == 1)
        found = matches[0];
      else
        why = matches.empty() ? "no GPU has this UUID" : "the prefix matches several GPUs";
    } else if (starts_with_nocase(entry, "MIG-")) {
      why = "a MIG instance: NVML meters whole GPUs, not MIG instances";
    } else {
      why = "neither a GPU index nor a GPU UUID";
    }
    if (found && std::find(out.gpus.begin(), out.gpus.end(), *found) != out.gpus.end()) {
      found.reset();
      why = "names a GPU already listed";
    }
    if (!found) {
      out.notes.push_back(fmt::format("CUDA_VISIBLE_DEVICES entry '{}': {}; CUDA sees no GPU from it on", entry, why));
      break;
    }
    out.gpus.push_back(*found);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

}  // namespace jouleval::energy
