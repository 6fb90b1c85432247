#include "exit_status.hpp"

#include <new>
#include <ostream>

#include "mdn/error.hpp"
#include "mdn/trainer.hpp"

namespace mdn::cli {

int exit_status_of(const Program& program, const std::function<int()>& body, std::ostream& out, std::ostream& err) {
  const auto fail = [&](const std::string& message, int status) {
    err << program.name() << ": error: " << message << std::endl;
    return status;
  };
  try {
    return body();
  } catch (const CLI::CallForHelp&) {
    out << program.help() << std::flush;
    return 0;
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see " + program.name() + " --help)", 2);
  } catch (const Interrupted& e) {
    err << program.name() << ": " << e.what() << std::endl;
    return 130;  // the shell's convention for "stopped by SIGINT"
  } catch (const UsageError& e) {
    return fail(e.what(), 2);
  } catch (const Error& e) {
    return fail(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return fail("out of memory (try a smaller --batch-size or fewer rows)", 1);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}

}  // namespace mdn::cli
