// Model files: Model.save and load_model, the CLI's .safetensors format. A
// file that cannot be read or written is a FileError (OSError in Python;
// mdn.load makes a missing file a FileNotFoundError); a bad argument stays a
// UsageError.
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <memory>
#include <string>
#include <utility>

#include "errors.hpp"
#include "mdn/model_io.hpp"
#include "model_bindings.hpp"

namespace mdn_python {

namespace {

void save(PyModel& self, const std::string& path) {
  nb::gil_scoped_release release;
  try {
    mdn::save_model(self.model(), path);
  } catch (const mdn::UsageError&) {
    throw;
  } catch (const mdn::Error& e) {
    throw FileError(e.what());
  }
}

std::unique_ptr<PyModel> load_model(const std::string& path, const std::string& device, bool tf32) {
  mdn::Model model;
  {
    nb::gil_scoped_release release;
    try {
      model = mdn::load_model(path);
    } catch (const mdn::UsageError&) {
      throw;
    } catch (const mdn::Error& e) {
      throw FileError(e.what());
    }
  }
  return std::make_unique<PyModel>(std::move(model), device, tf32);
}

}  // namespace

void bind_files(nb::module_& m, ModelClass& cls) {
  cls.def("save", &save, nb::arg("path"));
  m.def("load_model", &load_model, nb::arg("path"), nb::arg("device") = "auto", nb::arg("tf32") = false,
        "Reads a .safetensors model file written by mdn train or Model.save.");
}

}  // namespace mdn_python
