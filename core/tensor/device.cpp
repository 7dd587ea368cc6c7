#include "core/tensor/device.h"

#include <torch/cuda.h>
#include <ATen/Parallel.h>

#include "core/common/error.h"

namespace omnisparse {

bool cuda_available(std::string* reason_if_not) {
  if (torch::cuda::is_available()) return true;
  if (reason_if_not) {
    *reason_if_not = torch::cuda::device_count() == 0
                         ? "this LibTorch has no CUDA support or no GPU is visible"
                         : "CUDA is not available";
  }
  return false;
}

torch::Device resolve_device(const std::string& spec) {
  if (spec == "auto" || spec.empty()) {
    return cuda_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  if (spec == "cpu") return torch::Device(torch::kCPU);
  if (spec.rfind("cuda", 0) == 0) {
    std::string why;
    if (!cuda_available(&why)) {
      throw DeviceError("--device " + spec + " requested but " + why +
                        "; use --device cpu or build against a CUDA LibTorch");
    }
    int index = 0;
    if (spec.size() > 5 && spec[4] == ':') {
      try {
        index = std::stoi(spec.substr(5));
      } catch (...) {
        throw ConfigError("device '" + spec + "': expected cuda:N");
      }
    } else if (spec != "cuda") {
      throw ConfigError("device '" + spec + "': expected auto, cpu, cuda or cuda:N");
    }
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count())) {
      throw DeviceError("device '" + spec + "': only " +
                        std::to_string(torch::cuda::device_count()) + " CUDA device(s) visible");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw ConfigError("device '" + spec + "': expected auto, cpu, cuda or cuda:N");
}

void configure_threads(int n) {
  if (n <= 0) return;
  at::set_num_threads(n);
  static bool interop_set = false;
  if (!interop_set) {
    try {
      at::set_num_interop_threads(n);
    } catch (const std::exception&) {
      // Inter-op threads can only be set once, before any parallel work; not fatal.
    }
    interop_set = true;
  }
}

}  // namespace omnisparse
