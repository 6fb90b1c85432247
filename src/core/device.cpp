#include "mdn/device.hpp"

#include "mdn/error.hpp"

namespace mdn {

DeviceKind parse_device(const std::string& name) {
  if (name == "cpu") return DeviceKind::Cpu;
  if (name == "cuda" || name == "gpu") return DeviceKind::Cuda;
  if (name == "auto") return DeviceKind::Auto;
  throw UsageError("'" + name + "' is not a device; use cpu, cuda or auto");
}

const char* device_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::Cpu:
      return "cpu";
    case DeviceKind::Cuda:
      return "cuda";
    case DeviceKind::Auto:
      break;
  }
  return "auto";
}

}  // namespace mdn
