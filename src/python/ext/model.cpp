#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <utility>
#include <vector>

#include "arrays.hpp"
#include "errors.hpp"
#include "model_bindings.hpp"

namespace mdn_python {

namespace {

nb::ndarray<nb::numpy, float> history_array(const std::vector<float>& nll) {
  std::vector<float> copy = nll;
  return to_numpy(std::move(copy), {nll.size()});
}

void bind_properties(ModelClass& cls) {
  cls.def_prop_ro("n_features", [](const PyModel& s) { return s.model().spec.input_dim; })
      .def_prop_ro("n_targets", [](const PyModel& s) { return s.model().spec.target_dim; })
      .def_prop_ro("components", [](const PyModel& s) { return s.model().spec.components; })
      .def_prop_ro("members", [](const PyModel& s) { return s.model().members; })
      .def_prop_ro("hidden", [](const PyModel& s) { return s.model().spec.hidden; })
      .def_prop_ro("covariance",
                   [](const PyModel& s) {
                     return std::string(s.model().spec.covariance == mdn::Covariance::Full ? "full" : "diagonal");
                   })
      .def_prop_ro("feature_names", [](const PyModel& s) { return s.model().feature_names; })
      .def_prop_ro("target_names", [](const PyModel& s) { return s.model().target_names; })
      .def_prop_ro("log_jacobian", [](const PyModel& s) { return s.model().stats.log_jacobian(); })
      .def_prop_ro(
          "train_nll", [](const PyModel& s) { return history_array(s.model().history.train_nll); },
          nb::rv_policy::automatic)
      .def_prop_ro(
          "val_nll", [](const PyModel& s) { return history_array(s.model().history.val_nll); },
          nb::rv_policy::automatic)
      .def_prop_ro("best_epoch", [](const PyModel& s) { return s.model().history.best_epoch; })
      // TrainingHistory::warnings in the package's words (python_words).
      .def_prop_ro("warnings",
                   [](const PyModel& s) {
                     std::vector<std::string> out;
                     for (const std::string& w : s.model().history.warnings) out.push_back(python_words(w));
                     return out;
                   })
      .def_prop_ro("grid_step", [](const PyModel& s) { return s.model().grid_step; })
      .def_prop_ro("recalibration",
                   [](const PyModel& s) {
                     std::vector<std::vector<double>> knots;
                     for (const mdn::PitMap& m : s.model().recalibration.maps) knots.push_back(m.knots);
                     return knots;
                   })
      .def_prop_ro("target_transforms",
                   [](const PyModel& s) {
                     // Per target (name, lambda) of its transform (mdn/target_transform.hpp); empty: none.
                     std::vector<std::pair<std::string, double>> out;
                     if (s.model().has_target_transform())
                       for (const mdn::TargetTransform& g : s.model().target_transforms)
                         out.emplace_back(mdn::transform_name(g.kind), g.lambda);
                     return out;
                   })
      .def_prop_ro("device", &PyModel::device)
      .def_prop_ro("trained_on", &PyModel::trained_on)
      .def_prop_ro("tune_log", &PyModel::tune_log)
      .def_prop_ro("tuning", [](const PyModel& s) { return s.model().tuning; });
}

}  // namespace

void bind_model(nb::module_& m) {
  ModelClass cls(m, "Model", "A trained model (mdn::Model) and the backend that runs it.");
  bind_properties(cls);
  cls.def("set_device", &PyModel::set_device, nb::arg("device"), nb::arg("tf32") = false)
      .def("backend_name", &PyModel::backend_name);
  bind_files(m, cls);
  bind_predictions(cls);
  bind_scores(cls);
  bind_model_state(cls);
}

}  // namespace mdn_python
