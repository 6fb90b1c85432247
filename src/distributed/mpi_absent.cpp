// world() in a build without MPI: always one process. A launcher that started
// several copies of this program gets an error instead of N runs that each
// train alone and overwrite each other's files.
#include "distributed/launcher_env.hpp"
#include "mdn/communicator.hpp"
#include "mdn/error.hpp"

namespace mdn {

Communicator& world() {
  const int launched = detail::launcher_world_size();
  if (launched > 1)
    throw UsageError("this mdn was built without MPI, but a launcher (mpirun/srun) started " +
                     std::to_string(launched) +
                     " copies of it; rebuild with MPI (Debian: libopenmpi-dev, then cmake again) or run one process");
  return single_process();
}

void finalize_world() {}

std::string distributed_description() {
  return "MPI: not compiled in (no MPI found, or -DMDN_ENABLE_MPI=OFF; mpirun -np N needs a build with "
         "libopenmpi-dev)";
}

}  // namespace mdn
