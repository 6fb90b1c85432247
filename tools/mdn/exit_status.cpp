#include "exit_status.hpp"

#include <new>
#include <ostream>

#include "mdn/communicator.hpp"
#include "mdn/error.hpp"
#include "flag_words.hpp"
#include "mdn/trainer.hpp"

namespace mdn::cli {

int exit_status_of(const Program& program, const std::function<int()>& body, std::ostream& out, std::ostream& err) {
  // Several ranks (mpirun): the command line and the options are the same on
  // every rank, so their errors are shown by rank 0 alone; so are errors the
  // ranks agreed on (RankError). Any other error happened on this rank only,
  // while the others may wait for it in a collective step: it is shown with
  // the rank's number and ends every rank (MPI_Abort).
  Communicator* ranks = nullptr;
  try {
    ranks = &world();
  } catch (const Error& e) {
    err << "mdn: error: " << e.what() << std::endl;
    return 2;
  }
  const bool root = ranks->root();
  // The library's messages name its fields (TrainOptions::batch_size): shown
  // with the program's flags (--batch-size).
  const auto fail = [&](const std::string& message, int status) {
    if (root) err << program.name() << ": error: " << in_flag_words(message) << std::endl;
    return status;
  };
  const auto fail_here = [&](const std::string& message, int status) {
    if (ranks->size() == 1) return fail(message, status);
    err << program.name() << ": error: rank " << ranks->rank() << ": " << in_flag_words(message) << std::endl;
    ranks->abort(status);
    return status;  // not reached: abort ends the process
  };
  try {
    return body();
  } catch (const CLI::CallForHelp&) {
    if (root) out << program.help() << std::flush;
    return 0;
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see " + program.name() + " --help)", 2);
  } catch (const Interrupted& e) {
    if (root) err << program.name() << ": " << e.what() << std::endl;
    return 130;  // the shell's convention for "stopped by SIGINT"
  } catch (const RankError& e) {
    if (e.show()) err << program.name() << ": error: " << in_flag_words(e.what()) << std::endl;
    return e.usage() ? 2 : 1;
  } catch (const UsageError& e) {
    return fail(e.what(), 2);
  } catch (const Error& e) {
    return fail_here(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return fail_here("out of memory (try a smaller --batch-size or fewer rows)", 1);
  } catch (const std::exception& e) {
    return fail_here(e.what(), 1);
  }
}

}  // namespace mdn::cli
