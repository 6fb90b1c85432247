// The CUDA timers of a build without the CUDA backend: every constructor
// throws (the benchmark skips its CUDA rows before reaching them).
#include "cuda_timers.hpp"

#include <string>

#include "mdn/error.hpp"

namespace mdn_bench {
namespace {
[[noreturn]] void no_cuda() { throw mdn::Error("built without the CUDA backend"); }
}  // namespace

struct HeadKernelTimer::Impl {};
HeadKernelTimer::HeadKernelTimer(const mdn::ModelSpec&, int) { no_cuda(); }
HeadKernelTimer::~HeadKernelTimer() = default;
double HeadKernelTimer::time(int) { no_cuda(); }
double HeadKernelTimer::bytes_per_launch() const { no_cuda(); }

struct DeviceCopyTimer::Impl {};
DeviceCopyTimer::DeviceCopyTimer(std::size_t) { no_cuda(); }
DeviceCopyTimer::~DeviceCopyTimer() = default;
double DeviceCopyTimer::time(int) { no_cuda(); }
double DeviceCopyTimer::bytes_per_copy() const { no_cuda(); }

struct SamplingKernelTimer::Impl {};
SamplingKernelTimer::SamplingKernelTimer(const mdn::Model&, const mdn::Matrix&, int) { no_cuda(); }
SamplingKernelTimer::~SamplingKernelTimer() = default;
double SamplingKernelTimer::time(const mdn::SampleOptions&) { no_cuda(); }

struct TrainStepTimer::Impl {};
TrainStepTimer::TrainStepTimer(const mdn::ModelSpec&, const std::vector<float>&, const mdn::Matrix&,
                               const mdn::Matrix&) {
  no_cuda();
}
TrainStepTimer::~TrainStepTimer() = default;
double TrainStepTimer::time(int, int, const mdn::AdamConfig&) { no_cuda(); }
std::string TrainStepTimer::name() const { no_cuda(); }

}  // namespace mdn_bench
