// `mdn`: the command-line front end. Parses the command line (program.hpp),
// runs the command, and turns what it throws into one message on stderr and
// an exit status (exit_status.hpp): 0 success, 1 data or runtime error,
// 2 usage error, 130 interrupted. Idle OpenMP threads sleep unless the user
// sets OMP_WAIT_POLICY: libmdn_openmp_wait_policy.so, which the program links,
// sets it before libgomp reads it (tools/mdn/openmp_wait_policy.c).
#include <iostream>

#include "exit_status.hpp"
#include "mdn/communicator.hpp"
#include "program.hpp"

int main(int argc, char** argv) {
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
