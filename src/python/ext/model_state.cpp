// Pickling: the whole model as plain Python values, a tuple whose first
// entry is its layout's version:
//   1 (10 fields): one network, no calibration or grid;
//   2 (13 fields): adds the ensemble size, the calibration and the grid steps;
//   3 (13 fields): the standardisation statistics as doubles (1 and 2: floats,
//                  read as the floats they were);
//   4 (14 fields): adds (conformal scores per target, their source, the
//                  training warnings, the features' training min and max);
//   5 (15 fields): adds the feature encoding (mdn/feature_encoding.hpp) as its
//                  "mdn.inputs" JSON text, "" for none;
//   6 (16 fields): adds (PIT-map knots per target, their source, rows, NLL
//                  before and after): the recalibration.
//   7 (17 fields): adds (target transform kinds per target as ints, their
//                  lambdas as doubles, the train and validation Jacobian
//                  offsets): the target transforms (mdn/target_transform.hpp).
//   8 (18 fields): adds the covariance of the components, "diagonal" or
//                  "full" (ModelSpec::covariance; 1 to 7: diagonal).
// __getstate__ writes version 8; __setstate__ reads all eight.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/model.hpp"
#include "mdn/spec.hpp"
#include "model_bindings.hpp"

namespace mdn_python {

namespace {

constexpr int kStateVersion = 8;

nb::bytes floats_to_bytes(const std::vector<float>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}
nb::bytes doubles_to_bytes(const std::vector<double>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
}
std::vector<double> bytes_to_doubles(const nb::bytes& b) {
  if (b.size() % sizeof(double) != 0) throw mdn::UsageError("invalid model state: double buffer size");
  std::vector<double> v(b.size() / sizeof(double));
  if (!v.empty()) std::memcpy(v.data(), b.c_str(), b.size());
  return v;
}
std::vector<float> bytes_to_floats(const nb::bytes& b) {
  if (b.size() % sizeof(float) != 0) throw mdn::UsageError("invalid model state: float buffer size");
  std::vector<float> v(b.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), b.c_str(), b.size());
  return v;
}

nb::tuple model_state(const PyModel& self) {
  const mdn::Model& m = self.model();
  const mdn::ModelSpec& s = m.spec;
  nb::tuple spec =
      nb::make_tuple(s.input_dim, s.target_dim, s.components, s.hidden, s.activation, s.log_sigma_min, s.log_sigma_max);
  nb::tuple stats = nb::make_tuple(doubles_to_bytes(m.stats.x_mean), doubles_to_bytes(m.stats.x_scale),
                                   doubles_to_bytes(m.stats.t_mean), doubles_to_bytes(m.stats.t_scale));
  nb::tuple history =
      nb::make_tuple(floats_to_bytes(m.history.train_nll), floats_to_bytes(m.history.val_nll), m.history.best_epoch);
  const mdn::Calibration& c = m.calibration;
  nb::tuple calibration = nb::make_tuple(floats_to_bytes(c.log_sigma_shift), c.val_nll_before, c.val_nll_after, c.rows);
  nb::list scores;
  for (const std::vector<double>& d : m.conformal.scores) scores.append(doubles_to_bytes(d));
  nb::tuple extra = nb::make_tuple(scores, m.conformal.source, m.history.warnings, doubles_to_bytes(m.x_min),
                                   doubles_to_bytes(m.x_max));
  nb::list knots;
  for (const mdn::PitMap& map : m.recalibration.maps) knots.append(doubles_to_bytes(map.knots));
  const mdn::Recalibration& r = m.recalibration;
  nb::tuple recalibration = nb::make_tuple(knots, r.source, r.rows, r.nll_before, r.nll_after);
  std::vector<int> kinds;
  std::vector<double> lambdas;
  for (const mdn::TargetTransform& g : m.target_transforms) kinds.push_back(int(g.kind)), lambdas.push_back(g.lambda);
  nb::tuple transforms =
      nb::make_tuple(kinds, doubles_to_bytes(lambdas), m.transform_train_jacobian, m.transform_val_jacobian);
  return nb::make_tuple(kStateVersion, spec, stats, floats_to_bytes(m.params), m.feature_names, m.target_names, history,
                        self.device(), self.tf32(), self.trained_on(), m.members, calibration,
                        floats_to_bytes(m.grid_step), extra,
                        m.encoding ? mdn::encoding_to_json(*m.encoding) : std::string(), recalibration, transforms,
                        std::string(s.covariance == mdn::Covariance::Full ? "full" : "diagonal"));
}

// The spec; version 8 on, the covariance (state[17]) too, before the check.
mdn::ModelSpec spec_from_state(const nb::tuple& state, int version) {
  const nb::tuple spec = nb::cast<nb::tuple>(state[1]);
  mdn::ModelSpec s;
  s.input_dim = nb::cast<int>(spec[0]);
  s.target_dim = nb::cast<int>(spec[1]);
  s.components = nb::cast<int>(spec[2]);
  s.hidden = nb::cast<std::vector<int>>(spec[3]);
  s.activation = nb::cast<std::string>(spec[4]);
  s.log_sigma_min = nb::cast<float>(spec[5]);
  s.log_sigma_max = nb::cast<float>(spec[6]);
  if (version >= 8) {
    const std::string covariance = nb::cast<std::string>(state[17]);
    if (covariance != "diagonal" && covariance != "full") throw mdn::UsageError("invalid model state: covariance");
    s.covariance = covariance == "full" ? mdn::Covariance::Full : mdn::Covariance::Diagonal;
  }
  s.validate();
  return s;
}

void read_statistics(const nb::tuple& stats, int version, mdn::Standardizer& out) {
  const auto column = [&](int i) {
    const nb::bytes b = nb::cast<nb::bytes>(stats[i]);
    if (version >= 3) return bytes_to_doubles(b);
    const std::vector<float> f = bytes_to_floats(b);
    return std::vector<double>(f.begin(), f.end());
  };
  out.x_mean = column(0);
  out.x_scale = column(1);
  out.t_mean = column(2);
  out.t_scale = column(3);
}

// Version 2 on: the ensemble size, the calibration and the grid steps.
void read_ensemble_and_calibration(const nb::tuple& state, mdn::Model& m) {
  m.members = nb::cast<int>(state[10]);
  nb::tuple calibration = nb::cast<nb::tuple>(state[11]);
  m.calibration.log_sigma_shift = bytes_to_floats(nb::cast<nb::bytes>(calibration[0]));
  m.calibration.val_nll_before = nb::cast<double>(calibration[1]);
  m.calibration.val_nll_after = nb::cast<double>(calibration[2]);
  m.calibration.rows = nb::cast<long long>(calibration[3]);
  m.grid_step = bytes_to_floats(nb::cast<nb::bytes>(state[12]));
}

void check_sizes(const mdn::Model& m) {
  if (m.members < 1 || m.members > mdn::kMaxMembers) throw mdn::UsageError("invalid model state: ensemble size");
  const std::size_t D = std::size_t(m.spec.input_dim), T = std::size_t(m.spec.target_dim);
  if (m.params.size() != mdn::ParameterLayout(m.spec).total * std::size_t(m.members) || m.stats.x_mean.size() != D ||
      m.stats.x_scale.size() != D || m.stats.t_mean.size() != T || m.stats.t_scale.size() != T ||
      m.feature_names.size() != D || m.target_names.size() != T ||
      !(m.calibration.log_sigma_shift.empty() || m.calibration.log_sigma_shift.size() == T) ||
      !(m.grid_step.empty() || m.grid_step.size() == T))
    throw mdn::UsageError("invalid model state: sizes do not match the spec");
}

// Version 5 on: the PIT maps (mdn/pit_map.hpp) and their record.
void read_recalibration(const nb::tuple& r, mdn::Model& m) {
  for (nb::handle k : nb::cast<nb::list>(r[0])) {
    mdn::PitMap map;
    map.knots = bytes_to_doubles(nb::cast<nb::bytes>(k));
    if (!map.valid()) throw mdn::UsageError("invalid model state: recalibration knots");
    m.recalibration.maps.push_back(std::move(map));
  }
  if (m.recalibration.applied() && m.recalibration.maps.size() != std::size_t(m.spec.target_dim))
    throw mdn::UsageError("invalid model state: recalibration");
  m.recalibration.source = nb::cast<std::string>(r[1]);
  m.recalibration.rows = nb::cast<long long>(r[2]);
  m.recalibration.nll_before = nb::cast<double>(r[3]);
  m.recalibration.nll_after = nb::cast<double>(r[4]);
}

// Version 7 on: the target transforms.
void read_transforms(const nb::tuple& t, mdn::Model& m) {
  const std::vector<int> kinds = nb::cast<std::vector<int>>(t[0]);
  const std::vector<double> lambdas = bytes_to_doubles(nb::cast<nb::bytes>(t[1]));
  if (kinds.size() != lambdas.size() || !(kinds.empty() || kinds.size() == std::size_t(m.spec.target_dim)))
    throw mdn::UsageError("invalid model state: target transforms");
  for (std::size_t d = 0; d < kinds.size(); ++d) {
    if (kinds[d] < 0 || kinds[d] > 2 || !(lambdas[d] >= mdn::kYeoJohnsonMinLambda && lambdas[d] <= mdn::kYeoJohnsonMaxLambda))
      throw mdn::UsageError("invalid model state: target transforms");
    m.target_transforms.push_back({mdn::TargetTransformKind(kinds[d]), lambdas[d]});
  }
  m.transform_train_jacobian = nb::cast<double>(t[2]);
  m.transform_val_jacobian = nb::cast<double>(t[3]);
}

mdn::Model model_from_state(const nb::tuple& state) {
  const int version = state.size() > 0 ? nb::cast<int>(state[0]) : 0;
  if (!((version == 1 && state.size() == 10) || ((version == 2 || version == 3) && state.size() == 13) ||
        (version == 4 && state.size() == 14) || (version == 5 && state.size() == 15) ||
        (version == 6 && state.size() == 16) || (version == 7 && state.size() == 17) ||
        (version == 8 && state.size() == 18)))
    throw mdn::UsageError("invalid model state");
  mdn::Model m;
  m.spec = spec_from_state(state, version);
  read_statistics(nb::cast<nb::tuple>(state[2]), version, m.stats);
  m.params = bytes_to_floats(nb::cast<nb::bytes>(state[3]));
  m.feature_names = nb::cast<std::vector<std::string>>(state[4]);
  m.target_names = nb::cast<std::vector<std::string>>(state[5]);
  nb::tuple history = nb::cast<nb::tuple>(state[6]);
  m.history.train_nll = bytes_to_floats(nb::cast<nb::bytes>(history[0]));
  m.history.val_nll = bytes_to_floats(nb::cast<nb::bytes>(history[1]));
  m.history.best_epoch = nb::cast<int>(history[2]);
  if (version >= 2) read_ensemble_and_calibration(state, m);
  if (version >= 4) {
    nb::tuple extra = nb::cast<nb::tuple>(state[13]);
    for (nb::handle d : nb::cast<nb::list>(extra[0]))
      m.conformal.scores.push_back(bytes_to_doubles(nb::cast<nb::bytes>(d)));
    m.conformal.source = nb::cast<std::string>(extra[1]);
    m.history.warnings = nb::cast<std::vector<std::string>>(extra[2]);
    m.x_min = bytes_to_doubles(nb::cast<nb::bytes>(extra[3]));
    m.x_max = bytes_to_doubles(nb::cast<nb::bytes>(extra[4]));
    if (m.x_min.size() != m.x_max.size() || !(m.x_min.empty() || m.x_min.size() == std::size_t(m.spec.input_dim)))
      throw mdn::UsageError("invalid model state: feature ranges");
    if (m.conformal.available() && m.conformal.scores.size() != std::size_t(m.spec.target_dim))
      throw mdn::UsageError("invalid model state: conformal scores");
  }
  if (version >= 5) {
    const std::string encoding = nb::cast<std::string>(state[14]);
    if (!encoding.empty()) {
      try {
        m.encoding = std::make_shared<const mdn::FeatureEncoding>(mdn::encoding_from_json(encoding));
      } catch (const mdn::Error& e) {
        throw mdn::UsageError(std::string("invalid model state: feature encoding: ") + e.what());
      }
      if (m.encoding->feature_names() != m.feature_names)
        throw mdn::UsageError("invalid model state: the feature encoding does not give the features");
    }
  }
  if (version >= 6) read_recalibration(nb::cast<nb::tuple>(state[15]), m);
  if (version >= 7) read_transforms(nb::cast<nb::tuple>(state[16]), m);
  check_sizes(m);
  return m;
}

void set_state(PyModel& self, const nb::tuple& state) {
  mdn::Model m = model_from_state(state);
  new (&self)
      PyModel(std::move(m), nb::cast<std::string>(state[7]), nb::cast<bool>(state[8]), nb::cast<std::string>(state[9]));
}

}  // namespace

void bind_model_state(ModelClass& cls) { cls.def("__getstate__", &model_state).def("__setstate__", &set_state); }

}  // namespace mdn_python
