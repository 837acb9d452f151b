// Which of the GPUs NVML reports a process's CUDA sees, and in which order. NVML ignores
// CUDA_VISIBLE_DEVICES and sees every GPU of the node; CUDA (and so llama.cpp) numbers only the
// visible ones, from 0. The meter maps the GPUs a placement names to NVML devices by PCI bus id (or
// by visible index through CUDA_VISIBLE_DEVICES), so that a job on 1 GPU of 8 meters that one GPU
// (docs/energy.md "Which GPUs are metered"). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jouleval::energy {

// One GPU as NVML reports it.
struct NvmlGpu {
  unsigned nvml_index = 0;
  std::string uuid;        // "GPU-8932f937-..."; "" when unknown
  std::string pci_bus_id;  // canonical_pci_bus_id form; "" when unknown
  std::string name;        // "NVIDIA H200"
};

// The canonical form of a PCI bus id, "dddd:bb:dd.f" in lower-case hex with a 4-digit domain, from
// NVML's "00000000:19:00.0", CUDA's "0000:19:00.0" or ggml's lower-case id; nullopt for any other text.
std::optional<std::string> canonical_pci_bus_id(std::string_view text);

// The GPUs CUDA enumerates, in its order.
struct VisibleGpus {
  std::vector<size_t> gpus;        // CUDA index k -> position in the `gpus` given to visible_gpus
  std::string source;              // "CUDA_VISIBLE_DEVICES unset" or "CUDA_VISIBLE_DEVICES='1,0'"
  std::vector<std::string> notes;  // entries CUDA stops at, MIG instances, order assumptions
};

// The visible GPUs among `gpus` (those NVML could open: a GPU that a Slurm cgroup hides from the
// process cannot be opened, and CUDA does not see it either) given $CUDA_VISIBLE_DEVICES
// (`cuda_visible_devices`, nullptr when unset). Like CUDA: unset, every GPU; otherwise each entry
// in turn, an index into the GPUs in PCI bus order or a GPU UUID (or a unique prefix of one,
// "GPU-8932f937"), and the first entry that names no GPU (out of range, unknown, a repeat, a MIG
// instance) ends the list. Assumes CUDA orders GPUs by PCI bus id: CUDA_DEVICE_ORDER=PCI_BUS_ID,
// or identical GPUs under CUDA's default FASTEST_FIRST (`cuda_device_order`, nullptr when unset,
// adds a note when the GPUs differ and the order is not PCI_BUS_ID).
VisibleGpus visible_gpus(const std::vector<NvmlGpu>& gpus, const char* cuda_visible_devices,
                         const char* cuda_device_order);

}  // namespace jouleval::energy
