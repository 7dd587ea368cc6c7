// Device and thread selection shared by every torch-using entry point (CLI, GUI facade, tests).
// All tensor code is device-agnostic: it takes a torch::Device and never assumes CUDA exists.
#pragma once

#include <torch/types.h>

#include <string>

namespace omnisparse {

// "auto" -> CUDA if LibTorch was built with it and a GPU is visible, else CPU.
// "cpu", "cuda", "cuda:N". Throws DeviceError for CUDA when this LibTorch or machine has none,
// and ConfigError for an unknown spec.
torch::Device resolve_device(const std::string& spec);

// Whether "cuda" can be chosen here, and if not, why (for the GUI's greyed-out option).
bool cuda_available(std::string* reason_if_not = nullptr);

// Sets intra-op and inter-op threads once per process. n <= 0 keeps torch's default.
void configure_threads(int n);

}  // namespace omnisparse
