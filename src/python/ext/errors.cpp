#include "errors.hpp"

#include <exception>

namespace mdn_python {

namespace {

void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const FileError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const mdn::UsageError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const mdn::Error& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

}  // namespace

void bind_errors(nb::module_&) {
  nb::register_exception_translator(&translate);
}

}  // namespace mdn_python
