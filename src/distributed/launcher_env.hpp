// Internal: how many processes a launcher (mpirun, srun, mpiexec) says it
// started, read from its environment; 1 when none did.
#pragma once
#include <cstdlib>
#include <initializer_list>

namespace mdn::detail {

inline int launcher_world_size() {
  // Open MPI's mpirun, PMI (MPICH, Slurm's srun --mpi=pmi2), PMIx (srun --mpi=pmix).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_STEP_NUM_TASKS"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && std::atoi(v) > 0) return std::atoi(v);
  }
  return std::getenv("PMIX_RANK") != nullptr ? 2 : 1;  // PMIx without a size: several, to be safe
}

}  // namespace mdn::detail
