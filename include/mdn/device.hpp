// Which backend computes: the CPU, a CUDA GPU, or "auto" (the GPU when one is
// usable, otherwise the CPU). The choice is made once, by make_backend.
#pragma once
#include <string>

namespace mdn {

enum class DeviceKind { Cpu, Cuda, Auto };

// "cpu" | "cuda" | "auto"; anything else is a UsageError listing the choices.
DeviceKind parse_device(const std::string& name);
const char* device_name(DeviceKind kind);

}  // namespace mdn
