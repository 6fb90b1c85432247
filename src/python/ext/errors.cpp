#include "errors.hpp"

#include <nanobind/stl/string.h>

#include <cctype>
#include <algorithm>
#include <exception>

namespace mdn_python {

namespace {

// Every field of mdn::TrainOptions (include/mdn/train_options.hpp) and the
// MDNRegressor parameter that sets it (the `mdn train` flag's name: --warmup
// is warmup=, --quantised sets grid_steps); nullptr where the estimator has
// none (the extension decides concurrent_members, and checkpoints and
// rollbacks are the CLI's).
// tests/python/test_errors.py checks this list against the header and the
// estimator's parameters.
struct FieldParameter {
  const char* field;
  const char* parameter;
};
constexpr FieldParameter kTrainOptionsParameters[] = {
    {"epochs", "epochs"},
    {"steps", "steps"},
    {"batch_size", "batch_size"},
    {"lr", "lr"},
    {"schedule", "schedule"},
    {"warmup_fraction", "warmup"},
    {"min_lr_fraction", "min_lr"},
    {"weight_decay", "weight_decay"},
    {"input_noise", "input_noise"},
    {"target_noise", "target_noise"},
    {"weight_average", "weight_average"},
    {"val_fraction", "val_fraction"},
    {"patience", "patience"},
    {"clip_norm", "clip_norm"},
    {"calibrate", "calibrate"},
    {"cross_fit", "cross_fit"},
    {"ensemble", "ensemble"},
    {"concurrent_members", nullptr},
    {"bootstrap", "bootstrap"},
    {"grid_steps", "quantised"},
    {"target_transform", "target_transform"},
    {"seed", "random_state"},
    {"max_rollbacks", nullptr},
    {"checkpoint_every", nullptr},
};

// The fields of mdn::TrainHooks that MDNRegressor sets, and how Python spells
// them: the eval_set argument of fit() (the whole word, no '='), and the
// warm_start parameter. Others keep their plain name.
constexpr FieldParameter kTrainHooksWords[] = {
    {"validation", "eval_set"},
    {"init_model", "warm_start="},
};

constexpr char kOptionsPrefix[] = "TrainOptions::";
constexpr char kHooksPrefix[] = "TrainHooks::";

bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// The words for one field: "PARAMETER=" (TrainOptions), the hook's words
// (TrainHooks), or the plain field name.
std::string field_words(const std::string& prefix, const std::string& field) {
  if (prefix == kHooksPrefix) {
    for (const FieldParameter& entry : kTrainHooksWords)
      if (field == entry.field) return entry.parameter;
    return field;
  }
  for (const FieldParameter& entry : kTrainOptionsParameters)
    if (field == entry.field) return entry.parameter ? std::string(entry.parameter) + "=" : field;
  return field;
}

// Where the next "TrainOptions::" or "TrainHooks::" starts at or after `at`
// (npos: none), and which of the two it is.
std::size_t next_prefix(const std::string& message, std::size_t at, std::string& prefix) {
  const std::size_t options = message.find(kOptionsPrefix, at);
  const std::size_t hooks = message.find(kHooksPrefix, at);
  if (options == std::string::npos && hooks == std::string::npos) return std::string::npos;
  prefix = options <= hooks ? kOptionsPrefix : kHooksPrefix;
  return std::min(options, hooks);
}

void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const FileError& e) {
    PyErr_SetString(PyExc_OSError, python_words(e.what()).c_str());
  } catch (const mdn::UsageError& e) {
    PyErr_SetString(PyExc_ValueError, python_words(e.what()).c_str());
  } catch (const mdn::Error& e) {
    PyErr_SetString(PyExc_RuntimeError, python_words(e.what()).c_str());
  }
}

nb::dict train_options_parameters() {
  nb::dict table;
  for (const FieldParameter& entry : kTrainOptionsParameters)
    table[entry.field] = entry.parameter ? nb::object(nb::str(entry.parameter)) : nb::none();
  return table;
}

}  // namespace

std::string python_words(const std::string& message) {
  std::string out;
  std::size_t at = 0;
  std::string name;
  for (std::size_t hit; (hit = next_prefix(message, at, name)) != std::string::npos;) {
    const std::size_t prefix = name.size();
    std::size_t end = hit + prefix;
    while (end < message.size() && identifier_char(message[end])) ++end;
    // A prefix inside a longer name (MyTrainOptions::) or with no field after it stays as it is.
    const bool whole = (hit == 0 || !identifier_char(message[hit - 1])) && end > hit + prefix;
    out.append(message, at, hit - at);
    out += whole ? field_words(name, message.substr(hit + prefix, end - hit - prefix)) : message.substr(hit, end - hit);
    at = end;
  }
  out.append(message, at, std::string::npos);
  return out;
}

void bind_errors(nb::module_& m) {
  nb::register_exception_translator(&translate);
  m.def("_python_words", &python_words, nb::arg("message"),
        "A library message in the package's words (TrainOptions::batch_size -> batch_size=).");
  m.def("_train_options_parameters", &train_options_parameters,
        "{TrainOptions field: MDNRegressor parameter or None}, the table behind _python_words.");
}

}  // namespace mdn_python
