// `mdn`: the command-line front end. Parses the command line (program.hpp),
// runs the command, and turns what it throws into one message on stderr and
// an exit status (exit_status.hpp): 0 success, 1 data or runtime error,
// 2 usage error, 130 interrupted.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "exit_status.hpp"
#include "mdn/communicator.hpp"
#include "program.hpp"

namespace {

// Idle OpenMP threads should sleep instead of spinning unless the user says
// otherwise: each minibatch is a few short parallel regions, and spinning
// threads on a machine with other busy processes made training up to 10x
// slower (measured on 2 cores; docs/MATH.md). libgomp reads OMP_WAIT_POLICY
// once, when it is loaded, before main(): so set it and re-execute once.
void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  prefer_passive_openmp(argv);
  mdn::cli::Program program;
  const int status = mdn::cli::exit_status_of(
      program,
      [&] {
        program.parse(argc, argv);
        return program.run();
      },
      std::cout, std::cerr);
  mdn::finalize_world();  // under mpirun: every rank ends MPI before it exits
  return status;
}
