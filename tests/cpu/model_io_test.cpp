// Model files (docs/MODEL_FORMAT.md): round trips, the byte layout read back
// independently of the reader, and every way a broken file must be refused.
#include "mdn/model_io.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "io/safetensors.hpp"
#include "io/strict_json.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

namespace fs = std::filesystem;
using io::Json;

// ---- helpers -------------------------------------------------------------------

Model random_model(int d, int t, int k, std::vector<int> hidden, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> positive(0.01f, 100.0f);
  Model m;
  m.spec.input_dim = d;
  m.spec.target_dim = t;
  m.spec.components = k;
  m.spec.hidden = std::move(hidden);
  m.spec.log_sigma_min = -5.5f + 0.01f * float(seed % 7);
  m.spec.log_sigma_max = 4.25f;
  m.params.resize(ParameterLayout(m.spec).total);
  for (float& p : m.params) p = normal(rng);
  // Names that need escaping or are non-ASCII, to exercise the JSON path.
  const std::vector<std::string> odd = {"x",         "caf\xC3\xA9", "with \"quote\"", "back\\slash",
                                        "tab\there", "comma,semi;", "\xE2\x82\xAC"};
  for (int i = 0; i < d; ++i) m.feature_names.push_back(odd[std::size_t(i) % odd.size()] + std::to_string(i));
  for (int i = 0; i < t; ++i) m.target_names.push_back("target " + std::to_string(i));
  for (int i = 0; i < d; ++i) {
    m.stats.x_mean.push_back(normal(rng) * 1000.0f);
    m.stats.x_scale.push_back(positive(rng));
  }
  for (int i = 0; i < t; ++i) {
    m.stats.t_mean.push_back(normal(rng));
    m.stats.t_scale.push_back(positive(rng) * 1e-3f);
  }
  const int epochs = int(seed % 5) + 1;
  for (int e = 0; e < epochs; ++e) {
    m.history.train_nll.push_back(normal(rng));
    if (seed % 2) m.history.val_nll.push_back(normal(rng));
  }
  m.history.best_epoch = epochs - 1;
  return m;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string u64_le(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[std::size_t(i)] = char((v >> (8 * i)) & 0xFF);
  return s;
}

std::uint64_t read_u64_le(const std::string& bytes) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[std::size_t(i)]);
  return v;
}

// A file split by the test's own reading of the format (not the library's).
struct Parts {
  std::uint64_t header_length = 0;
  std::string header_text;
  Json header;
  std::string buffer;
};

Parts split(const std::string& bytes) {
  Parts p;
  p.header_length = read_u64_le(bytes.substr(0, 8));
  p.header_text = bytes.substr(8, std::size_t(p.header_length));
  p.header = io::parse_json(p.header_text);
  p.buffer = bytes.substr(8 + std::size_t(p.header_length));
  return p;
}

std::string join(const Json& header, const std::string& buffer) {
  std::string text = io::dump_json(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  return u64_le(text.size()) + text + buffer;
}

std::string join_text(const std::string& header_text, const std::string& buffer) {
  return u64_le(header_text.size()) + header_text + buffer;
}

Json& meta_of(Json& header) { return header.at("__metadata__"); }
Json& entry_of(Json& header, const std::string& name) { return header.at(name); }

// Replaces a metadata value (a string holding JSON or plain text).
void set_meta(Json& header, const std::string& key, const std::string& value) { meta_of(header)[key] = value; }

void drop_key(Json& obj, const std::string& key) {
  if (obj.erase(key) == 0) ADD_FAILURE() << "no key " << key;
}

std::vector<std::uint64_t> shape_of(const Json& entry) { return entry.at("shape").get<std::vector<std::uint64_t>>(); }

std::string float_bytes(const float* p, std::size_t n) { return std::string(reinterpret_cast<const char*>(p), n * 4); }

template <class V>
void expect_same_bits(const std::vector<V>& a, const std::vector<V>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  if (a.empty()) return;  // memcmp must not see the null data() of an empty vector
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(V))) << what << " differ bitwise";
}
void expect_same_floats(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  expect_same_bits(a, b, what);
}
void expect_same_doubles(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
  expect_same_bits(a, b, what);
}

class ModelIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = fs::temp_directory_path() / ("mdn-model-io-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> dir_entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // The model most refusal tests break: D=3, T=2, K=4, hidden {5, 6}, so that
  // K != H (a transposed head shape is wrong) and K*T != H.
  Model small_model() const { return random_model(3, 2, 4, {5, 6}, 42); }

  std::string good_bytes() {
    const std::string p = path("good.safetensors");
    save_model(small_model(), p);
    return read_bytes(p);
  }

  // Writes `bytes` and checks load_model refuses them with one mdn::Error whose
  // message starts with the path and contains `says`.
  void expect_refused_bytes(const std::string& bytes, const std::string& says, const std::string& note = "") {
    const std::string p = path("broken.safetensors");
    write_bytes(p, bytes);
    expect_refused(p, says, note);
  }

  void expect_refused(const std::string& p, const std::string& says, const std::string& note = "") {
    try {
      load_model(p);
      ADD_FAILURE() << "loaded a broken file (" << note << "; expected: " << says << ")";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << "message does not start with the path: " << msg;
      EXPECT_NE(msg.find(says), std::string::npos) << note << ": expected '" << says << "' in: " << msg;
    }
  }

  // Edits the header of a good file (keeping the data section) and expects
  // the result to be refused.
  void expect_refused_edit(const std::function<void(Json&)>& edit, const std::string& says) {
    Parts parts = split(good_bytes());
    edit(parts.header);
    expect_refused_bytes(join(parts.header, parts.buffer), says);
  }

  fs::path dir_;
};

// ---- round trips -----------------------------------------------------------------

struct Shape {
  int d, t, k;
  std::vector<int> hidden;
};

// Printed in test listings (CTest names) instead of the struct's raw bytes.
void PrintTo(const Shape& s, std::ostream* os) {
  *os << "D=" << s.d << " T=" << s.t << " K=" << s.k << " hidden=" << s.hidden.size();
}

class ModelIoRoundTrip : public ModelIoTest, public ::testing::WithParamInterface<Shape> {};

TEST_P(ModelIoRoundTrip, IsBitwiseExact) {
  const Shape s = GetParam();
  const Model m = random_model(s.d, s.t, s.k, s.hidden, unsigned(s.d * 1000 + s.t * 100 + s.k));
  const std::string p = path("m.safetensors");
  save_model(m, p);
  const Model r = load_model(p);

  EXPECT_EQ(r.spec.input_dim, m.spec.input_dim);
  EXPECT_EQ(r.spec.target_dim, m.spec.target_dim);
  EXPECT_EQ(r.spec.components, m.spec.components);
  EXPECT_EQ(r.spec.hidden, m.spec.hidden);
  EXPECT_EQ(r.spec.activation, m.spec.activation);
  expect_same_floats({r.spec.log_sigma_min, r.spec.log_sigma_max}, {m.spec.log_sigma_min, m.spec.log_sigma_max},
                     "sigma bounds");
  expect_same_floats(r.params, m.params, "params");
  expect_same_doubles(r.stats.x_mean, m.stats.x_mean, "x_mean");
  expect_same_doubles(r.stats.x_scale, m.stats.x_scale, "x_scale");
  expect_same_doubles(r.stats.t_mean, m.stats.t_mean, "t_mean");
  expect_same_doubles(r.stats.t_scale, m.stats.t_scale, "t_scale");
  EXPECT_EQ(r.feature_names, m.feature_names);
  EXPECT_EQ(r.target_names, m.target_names);
  expect_same_floats(r.history.train_nll, m.history.train_nll, "train_nll");
  expect_same_floats(r.history.val_nll, m.history.val_nll, "val_nll");
  EXPECT_EQ(r.history.best_epoch, m.history.best_epoch);

  // The writer is deterministic: saving what was loaded gives the same bytes.
  const std::string p2 = path("again.safetensors");
  save_model(r, p2);
  EXPECT_EQ(read_bytes(p2), read_bytes(p));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ModelIoRoundTrip,
                         ::testing::Values(Shape{1, 1, 1, {1}}, Shape{3, 2, 5, {50, 50}}, Shape{2, 1, 3, {16}},
                                           Shape{7, 8, 32, {4, 3, 2}}, Shape{11, 3, 2, {9, 1, 9, 1}}),
                         [](const auto& info) {
                           const auto& s = info.param;
                           std::string name = "D" + std::to_string(s.d) + "_T" + std::to_string(s.t) + "_K" +
                                              std::to_string(s.k) + "_H";
                           for (int w : s.hidden) name += "_" + std::to_string(w);
                           return name;
                         });

TEST_F(ModelIoTest, KeepsTheRecalibrationExactlyAndRefusesBadKnots) {
  Model m = random_model(2, 1, 3, {4}, 7u);
  mdn::PitMap g;
  g.knots = {0.0, 0.1 / 3.0, 0.25, 0.7000000000000001, 1.0};
  m.recalibration.maps = {g};
  m.recalibration.rows = 123;
  m.recalibration.source = "123 rows of cal.csv";
  m.recalibration.nll_before = -1.25;
  m.recalibration.nll_after = -1.5;
  const std::string p = path("r.safetensors");
  save_model(m, p);
  const Model r = load_model(p);
  ASSERT_EQ(r.recalibration.maps.size(), 1u);
  EXPECT_EQ(r.recalibration.maps[0].knots, g.knots);  // every bit
  EXPECT_EQ(r.recalibration.rows, 123);
  EXPECT_EQ(r.recalibration.source, "123 rows of cal.csv");
  EXPECT_EQ(r.recalibration.nll_after, -1.5);
  // A model without one loads without one.
  save_model(random_model(2, 1, 3, {4}, 7u), p);
  EXPECT_FALSE(load_model(p).recalibration.applied());
  // Knots that do not rise from 0 to 1, or another method, are refused.
  for (const char* knots : {"[[0.0, 0.5, 0.4, 1.0]]", "[[0.1, 1.0]]", "[[0.0, 0.5]]", "[[0.0, 1.0], [0.0, 1.0]]"}) {
    m.recalibration.maps = {g};
    save_model(m, p);
    Parts parts = split(read_bytes(p));
    Json meta = Json::parse(parts.header["__metadata__"]["mdn.recalibration"].get<std::string>());
    meta["knots"] = Json::parse(knots);
    parts.header["__metadata__"]["mdn.recalibration"] = meta.dump();
    expect_refused_bytes(join(parts.header, parts.buffer), "recalibration");
  }
}

// Target transforms (mdn/target_transform.hpp): kept exactly, written as
// format version 4 (an older build refuses it rather than read the mixture
// in the wrong units); a model without one stays version 2 and loads
// without one; a transform key in a version-2 file, an unknown kind or a
// lambda outside [0, 2] is refused.
TEST_F(ModelIoTest, KeepsTheTargetTransformAndRefusesBadOnes) {
  Model m = random_model(2, 2, 3, {4}, 7u);
  m.target_transforms = {{mdn::TargetTransformKind::Log, 1.0}, {mdn::TargetTransformKind::YeoJohnson, 0.1 / 3.0}};
  m.transform_train_jacobian = -1.0 / 3.0;
  m.transform_val_jacobian = 0.7;
  const std::string p = path("t.safetensors");
  save_model(m, p);
  EXPECT_EQ(split(read_bytes(p)).header["__metadata__"]["mdn.format_version"], "4");
  const Model r = load_model(p);
  ASSERT_EQ(r.target_transforms.size(), 2u);
  EXPECT_EQ(r.target_transforms[0].kind, mdn::TargetTransformKind::Log);
  EXPECT_EQ(r.target_transforms[1].kind, mdn::TargetTransformKind::YeoJohnson);
  EXPECT_EQ(r.target_transforms[1].lambda, 0.1 / 3.0);  // every bit
  EXPECT_EQ(r.transform_train_jacobian, -1.0 / 3.0);
  EXPECT_EQ(r.transform_val_jacobian, 0.7);
  save_model(random_model(2, 2, 3, {4}, 7u), p);
  EXPECT_EQ(split(read_bytes(p)).header["__metadata__"]["mdn.format_version"], "2");
  EXPECT_TRUE(load_model(p).target_transforms.empty());
  const auto edited = [&](const std::function<void(Json&)>& edit) {
    save_model(m, p);
    Parts parts = split(read_bytes(p));
    edit(parts.header["__metadata__"]);
    return join(parts.header, parts.buffer);
  };
  expect_refused_bytes(edited([](Json& h) { h["mdn.format_version"] = "2"; }), "it needs 4");
  expect_refused_bytes(edited([](Json& h) {
                         std::string t = h["mdn.target_transform"].get<std::string>();
                         t.replace(t.find("\"log\""), 5, "\"sqrt\"");
                         h["mdn.target_transform"] = t;
                       }),
                       "target transform \"sqrt\" is unknown");
  expect_refused_bytes(edited([](Json& h) {
                         Json t = Json::parse(h["mdn.target_transform"].get<std::string>());
                         t["targets"][1]["lambda"] = 2.5;
                         h["mdn.target_transform"] = t.dump();
                       }),
                       "outside [0, 2]");
  expect_refused_bytes(edited([](Json& h) {
                         Json t = Json::parse(h["mdn.target_transform"].get<std::string>());
                         t["targets"].erase(1);
                         h["mdn.target_transform"] = t.dump();
                       }),
                       "one entry per target");
}

TEST_F(ModelIoTest, KeepsTheSignOfZeroAndExtremeFloats) {
  Model m = small_model();
  m.stats.x_mean = {-0.0f, std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::max()};
  m.stats.x_scale = {std::numeric_limits<double>::min(), 3.4028234663852886e38, 1e-300};
  m.params[0] = -0.0f;
  m.params[1] = std::numeric_limits<float>::denorm_min();
  const std::string p = path("m.safetensors");
  save_model(m, p);
  const Model r = load_model(p);
  expect_same_doubles(r.stats.x_mean, m.stats.x_mean, "x_mean");
  expect_same_doubles(r.stats.x_scale, m.stats.x_scale, "x_scale");
  expect_same_floats(r.params, m.params, "params");
}

TEST_F(ModelIoTest, NonFiniteHistoryEntriesComeBackAsNaN) {
  Model m = small_model();
  m.history.train_nll = {1.5f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()};
  m.history.val_nll = {};
  m.history.best_epoch = 0;
  const std::string p = path("m.safetensors");
  save_model(m, p);
  const Model r = load_model(p);
  ASSERT_EQ(r.history.train_nll.size(), 3u);
  EXPECT_EQ(r.history.train_nll[0], 1.5f);
  EXPECT_TRUE(std::isnan(r.history.train_nll[1]));
  EXPECT_TRUE(std::isnan(r.history.train_nll[2]));
  EXPECT_TRUE(r.history.val_nll.empty());
  EXPECT_EQ(r.history.best_epoch, 0);
}

TEST_F(ModelIoTest, SavingOverAFileReplacesIt) {
  const std::string p = path("m.safetensors");
  save_model(random_model(2, 1, 3, {4}, 1), p);
  const Model b = random_model(4, 2, 2, {3, 3}, 2);
  save_model(b, p);
  const Model r = load_model(p);
  EXPECT_EQ(r.spec.input_dim, 4);
  expect_same_floats(r.params, b.params, "params");
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"m.safetensors"});  // no temporary left behind
}

// A PyTorch user's safetensors.torch.save_file writes tensors sorted by name
// (so z_alpha.bias before z_alpha.weight): the loader must go by the offsets in
// the header, never by the order of our own writer.
TEST_F(ModelIoTest, LoadsTensorsInAnyOrder) {
  const Model m = small_model();
  Parts parts = split(good_bytes());
  std::vector<std::pair<std::string, std::string>> tensors;  // name -> bytes
  std::map<std::string, std::string> metadata;
  for (const auto& item : parts.header.items()) {
    if (item.key() == "__metadata__") {
      metadata = item.value().get<std::map<std::string, std::string>>();
      continue;
    }
    const auto b = item.value().at("data_offsets")[0].get<std::size_t>();
    const auto e = item.value().at("data_offsets")[1].get<std::size_t>();
    tensors.emplace_back(item.key(), parts.buffer.substr(b, e - b));
  }
  std::sort(tensors.begin(), tensors.end());
  ASSERT_EQ(tensors.front().first, "backbone.0.bias");
  std::vector<io::TensorBytes> out;
  for (const auto& [name, bytes] : tensors) out.push_back({name, "F32", shape_of(parts.header.at(name)), bytes});
  const std::string p = path("sorted.safetensors");
  {
    std::ofstream f(p, std::ios::binary);
    io::write_safetensors(f, out, metadata);
  }
  const std::string sorted_bytes = read_bytes(p);
  ASSERT_NE(split(sorted_bytes).buffer, parts.buffer);  // the data really was reordered
  const Model r = load_model(p);
  expect_same_floats(r.params, m.params, "params");
}

TEST_F(ModelIoTest, HistoryIsOptional) {
  Parts parts = split(good_bytes());
  drop_key(meta_of(parts.header), "mdn.history");
  const std::string p = path("nohistory.safetensors");
  write_bytes(p, join(parts.header, parts.buffer));
  const Model r = load_model(p);
  EXPECT_TRUE(r.history.train_nll.empty());
  EXPECT_TRUE(r.history.val_nll.empty());
  EXPECT_EQ(r.history.best_epoch, -1);
  expect_same_floats(r.params, small_model().params, "params");
}

// ---- files of the previous writer (its own JSON code, before nlohmann-json) ------------

// The fuzz seed was written by the previous writer: it loads, every number is
// the float its text says, and the weights are the data section's bytes.
TEST_F(ModelIoTest, LoadsAFileOfThePreviousWriter) {
  const std::string p = std::string(MDN_MODEL_CORPUS_DIR) + "/tiny_k2_h3.safetensors";
  const Model m = load_model(p);
  EXPECT_EQ(m.spec.input_dim, 1);
  EXPECT_EQ(m.spec.target_dim, 1);
  EXPECT_EQ(m.spec.components, 2);
  EXPECT_EQ(m.spec.hidden, std::vector<int>{3});
  EXPECT_EQ(m.spec.log_sigma_min, -6.907755f);
  EXPECT_EQ(m.spec.log_sigma_max, 6.907755f);
  EXPECT_EQ(m.feature_names, std::vector<std::string>{"x"});
  EXPECT_EQ(m.target_names, std::vector<std::string>{"y"});
  EXPECT_EQ(m.stats.x_mean, std::vector<double>{double(0.5159258f)});    // version 1: the floats it held
  EXPECT_EQ(m.stats.x_scale, std::vector<double>{double(0.19873914f)});  // version 1: the floats it held
  EXPECT_EQ(m.stats.t_mean, std::vector<double>{double(0.5006067f)});    // version 1: the floats it held
  EXPECT_EQ(m.stats.t_scale, std::vector<double>{double(0.29472572f)});  // version 1: the floats it held
  EXPECT_EQ(m.history.train_nll, std::vector<float>{1.2959017f});
  EXPECT_EQ(m.history.val_nll, std::vector<float>{1.4446706f});
  EXPECT_EQ(m.history.best_epoch, 1);
  const Parts parts = split(read_bytes(p));
  ASSERT_EQ(m.params.size(), 30u);
  EXPECT_EQ(float_bytes(m.params.data(), m.params.size()), parts.buffer);

  // Written again by this writer, it reads back as the same model.
  const std::string again = path("again.safetensors");
  save_model(m, again);
  const Model r = load_model(again);
  expect_same_floats(r.params, m.params, "params");
  expect_same_doubles(r.stats.x_scale, m.stats.x_scale, "x_scale");
  expect_same_floats({r.spec.log_sigma_min}, {m.spec.log_sigma_min}, "log_sigma_min");
  expect_same_floats(r.history.val_nll, m.history.val_nll, "val_nll");
}

// The previous writer wrote integral floats as plain digits ("3", "-0",
// "16777216") and large ones with an exponent ("1e+08"); this writer writes
// "3.0". Both forms read as the same floats (the sign of "-0" is lost: it
// reads as an integer, and x - 0 is x).
TEST_F(ModelIoTest, ReadsNumbersWrittenEitherWay) {
  Parts parts = split(good_bytes());
  set_meta(parts.header, "mdn.standardizer",
           "{\"x_mean\":[3,-0,1e+08],\"x_scale\":[1,2.5e-05,16777216],\"t_mean\":[-2,3.0],\"t_scale\":[4,0.1]}");
  const std::string p = path("digits.safetensors");
  write_bytes(p, join(parts.header, parts.buffer));
  const Model r = load_model(p);
  // good_bytes() is a version-2 file: the statistics read as doubles.
  EXPECT_EQ(r.stats.x_mean, (std::vector<double>{3.0, 0.0, 1e8}));
  EXPECT_EQ(r.stats.x_scale, (std::vector<double>{1.0, 2.5e-5, 16777216.0}));
  EXPECT_EQ(r.stats.t_mean, (std::vector<double>{-2.0, 3.0}));
  EXPECT_EQ(r.stats.t_scale, (std::vector<double>{4.0, 0.1}));
}

// ---- the byte layout, read without the library's reader ---------------------------

TEST_F(ModelIoTest, ByteLayoutMatchesTheFormatDocument) {
  const Model m = small_model();  // D=3, T=2, K=4, hidden {5, 6}
  const std::string bytes = good_bytes();

  const std::uint64_t n = read_u64_le(bytes.substr(0, 8));
  ASSERT_LE(8 + n, bytes.size());
  EXPECT_EQ((8 + n) % 8, 0u) << "header not padded to a multiple of 8";
  const std::string header_text = bytes.substr(8, std::size_t(n));
  ASSERT_EQ(header_text.front(), '{');
  const std::size_t close = header_text.rfind('}');
  EXPECT_EQ(header_text.find_first_not_of(' ', close + 1), std::string::npos) << "padding is not spaces";
  EXPECT_LT(header_text.size() - close - 1, 8u);
  EXPECT_EQ(header_text.rfind("{\"__metadata__\":", 0), 0u) << "metadata first, as the reference writer";
  const Json header = io::parse_json(header_text);
  const std::string buffer = bytes.substr(8 + std::size_t(n));

  // name, shape, offset in the flat buffer (floats), written out by hand from
  // the layout in docs/MODEL_FORMAT.md: hidden layers, then the head W (20 x 6,
  // rows a 0..3 | s 4..11 | m 12..19) at 56 and the head b (20) at 176.
  struct Expected {
    std::string name;
    std::vector<std::uint64_t> shape;
    std::size_t flat_offset;
  };
  const std::vector<Expected> expected = {
      {"backbone.0.weight", {5, 3}, 0}, {"backbone.0.bias", {5}, 15},   {"backbone.2.weight", {6, 5}, 20},
      {"backbone.2.bias", {6}, 50},     {"z_alpha.weight", {4, 6}, 56}, {"z_sigma.weight", {8, 6}, 80},
      {"z_mu.weight", {8, 6}, 128},     {"z_alpha.bias", {4}, 176},     {"z_sigma.bias", {8}, 180},
      {"z_mu.bias", {8}, 188},
  };
  ASSERT_EQ(m.params.size(), 196u);
  ASSERT_EQ(buffer.size(), 196u * 4u);
  ASSERT_EQ(header.size(), expected.size() + 1);
  for (const Expected& e : expected) {
    ASSERT_TRUE(header.contains(e.name)) << e.name;
    const Json& entry = header.at(e.name);
    EXPECT_EQ(entry.at("dtype"), "F32") << e.name;
    EXPECT_EQ(shape_of(entry), e.shape) << e.name;
    const Json& offsets = entry.at("data_offsets");
    ASSERT_EQ(offsets.size(), 2u);
    const auto begin = offsets[0].get<std::size_t>();
    const auto end = offsets[1].get<std::size_t>();
    std::size_t count = 1;
    for (const auto d : e.shape) count *= std::size_t(d);
    ASSERT_EQ(end - begin, count * 4) << e.name;
    ASSERT_LE(end, buffer.size()) << e.name;
    // Little-endian F32 (this test runs on a little-endian host).
    EXPECT_EQ(buffer.substr(begin, end - begin), float_bytes(m.params.data() + e.flat_offset, count))
        << e.name << " is not the right slice of the flat parameter buffer";
  }
  // Our writer's order makes the data section the flat buffer itself.
  EXPECT_EQ(buffer, float_bytes(m.params.data(), m.params.size()));

  const Json& meta = header.at("__metadata__");
  for (const auto& item : meta.items()) EXPECT_TRUE(item.value().is_string()) << item.key();
  EXPECT_EQ(meta.at("format"), "mdn");
  EXPECT_EQ(meta.at("mdn.format_version"), "2");
  // The spec's keys in the documented order (docs/MODEL_FORMAT.md), compact.
  const std::string spec_text = meta.at("mdn.spec").get<std::string>();
  EXPECT_EQ(spec_text.rfind("{\"input_dim\":3,\"target_dim\":2,\"components\":4,\"hidden\":[5,6],"
                            "\"activation\":\"tanh\",\"log_sigma_min\":",
                            0),
            0u)
      << spec_text;
  const Json spec = io::parse_json(spec_text);
  EXPECT_EQ(spec.at("log_sigma_min").get<float>(), m.spec.log_sigma_min);
  EXPECT_EQ(spec.at("log_sigma_max").get<float>(), m.spec.log_sigma_max);
  const Json features = io::parse_json(meta.at("mdn.features").get<std::string>());
  EXPECT_EQ(features.get<std::vector<std::string>>(), m.feature_names);
  EXPECT_EQ(meta.at("mdn.targets"), "[\"target 0\",\"target 1\"]");
  const Json stats = io::parse_json(meta.at("mdn.standardizer").get<std::string>());
  EXPECT_EQ(stats.begin().key(), "x_mean");
  EXPECT_EQ(stats.at("x_mean").get<std::vector<double>>(), m.stats.x_mean);
  EXPECT_EQ(stats.at("x_scale").get<std::vector<double>>(), m.stats.x_scale);
  EXPECT_EQ(stats.at("t_mean").get<std::vector<double>>(), m.stats.t_mean);
  EXPECT_EQ(stats.at("t_scale").get<std::vector<double>>(), m.stats.t_scale);
  const Json history = io::parse_json(meta.at("mdn.history").get<std::string>());
  EXPECT_EQ(history.at("best_epoch"), m.history.best_epoch);
  EXPECT_EQ(history.at("train_nll").get<std::vector<float>>(), m.history.train_nll);
  EXPECT_TRUE(history.at("val_nll").is_array());
}

// ---- refusals: the file itself ------------------------------------------------------

TEST_F(ModelIoTest, RefusesAMissingFile) { expect_refused(path("nope.safetensors"), "no such file"); }

TEST_F(ModelIoTest, RefusesADirectory) {
  fs::create_directories(path("adir"));
  expect_refused(path("adir"), "is a directory");
}

TEST_F(ModelIoTest, RefusesAZeroLengthFile) { expect_refused_bytes("", "empty file"); }

// Every proper prefix of a good file: inside the 8-byte length, inside the
// header, at the header/data boundary and inside the data section.
TEST_F(ModelIoTest, RefusesEveryTruncation) {
  const std::string good = good_bytes();
  const std::uint64_t n = read_u64_le(good);
  for (std::size_t len = 0; len < good.size(); ++len) {
    const std::string says = len == 0 ? "empty file" : len < 8 ? "only " + std::to_string(len) + " bytes" : "truncated";
    const std::string where = len < 8 ? "inside the length" : len < 8 + n ? "inside the header" : "inside the data";
    expect_refused_bytes(good.substr(0, len), says, "cut at byte " + std::to_string(len) + " (" + where + ")");
    if (HasFailure()) break;  // one report is enough
  }
}

TEST_F(ModelIoTest, RefusesALyingHeaderLength) {
  const std::string good = good_bytes();
  const std::uint64_t n = read_u64_le(good);
  const std::string rest = good.substr(8);
  expect_refused_bytes(u64_le(n + 8) + rest, "not valid JSON", "8 bytes too long");
  expect_refused_bytes(u64_le(n - 8) + rest, "not valid JSON", "8 bytes too short");
  expect_refused_bytes(u64_le(rest.size() + 1) + rest, "truncated or not a safetensors file", "past the end");
  expect_refused_bytes(u64_le(100'000'001) + rest, "limit", "over 100 MB");
  expect_refused_bytes(u64_le(std::numeric_limits<std::uint64_t>::max()) + rest, "limit", "2^64 - 1");
  expect_refused_bytes(u64_le(0) + rest, "not valid JSON", "zero");
}

TEST_F(ModelIoTest, RefusesTrailingBytes) { expect_refused_bytes(good_bytes() + "junk", "the tensors cover"); }

TEST_F(ModelIoTest, RefusesRandomBytes) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes(std::size_t(16 + rng() % 4096), '\0');
    for (char& c : bytes) c = char(rng() & 0xFF);
    expect_refused_bytes(bytes, "not a safetensors file", "trial " + std::to_string(trial));
  }
}

TEST_F(ModelIoTest, RefusesACsvFile) { expect_refused_bytes("x,y,target\n1,2,3\n4,5,6\n", "not a safetensors file"); }

TEST_F(ModelIoTest, RefusesAHeaderThatIsNotJson) {
  const Parts parts = split(good_bytes());
  expect_refused_bytes(join_text("this is not json", parts.buffer), "not valid JSON");
  expect_refused_bytes(join_text("[1,2,3] ", parts.buffer), "not a JSON object");
  // Valid JSON up to a single flipped byte.
  std::string text = parts.header_text;
  text[text.find(':')] = ';';
  expect_refused_bytes(join_text(text, parts.buffer), "not valid JSON");
  // Invalid UTF-8 inside a string of the header.
  text = parts.header_text;
  text[text.find("mdn.spec") + 1] = char(0xFF);
  expect_refused_bytes(join_text(text, parts.buffer), "ill-formed UTF-8 byte");
}

// Which duplicate wins is not defined by the safetensors spec (nor by JSON),
// so a repeated key is refused wherever it is: among the tensors, in the
// metadata, or inside a metadata value that holds JSON.
TEST_F(ModelIoTest, RefusesDuplicateKeys) {
  const Parts parts = split(good_bytes());
  const auto with_header_prefix = [&](const std::string& prefix) {
    std::string text = parts.header_text;
    text.replace(0, 1, prefix);  // the header's opening '{'
    return join_text(text, parts.buffer);
  };
  expect_refused_bytes(with_header_prefix("{\"z_mu.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"),
                       "not valid JSON (JSON: duplicate key \"z_mu.bias\"");
  std::string text = parts.header_text;
  text.replace(text.find("{\"format\":\"mdn\""), 1, "{\"format\":\"mdn\",");
  expect_refused_bytes(join_text(text, parts.buffer), "duplicate key \"format\"");
  expect_refused_edit(
      [](Json& h) {
        std::string spec = meta_of(h).at("mdn.spec").get<std::string>();
        spec.replace(0, 1, "{\"components\":4,");
        set_meta(h, "mdn.spec", spec);
      },
      "metadata \"mdn.spec\" is not valid JSON (JSON: duplicate key \"components\"");
  expect_refused_edit(
      [](Json& h) { set_meta(h, "mdn.history", "{\"train_nll\":[],\"val_nll\":[],\"best_epoch\":0,\"val_nll\":[]}"); },
      "duplicate key \"val_nll\"");
}

TEST_F(ModelIoTest, RefusesTrailingBytesAfterTheHeaderObject) {
  const Parts parts = split(good_bytes());
  expect_refused_bytes(join_text(parts.header_text + "x", parts.buffer), "not valid JSON");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.spec", meta_of(h).at("mdn.spec").get<std::string>() + " {}"); },
                      "metadata \"mdn.spec\" is not valid JSON");
}

TEST_F(ModelIoTest, RefusesAMalformedMetadataBlock) {
  expect_refused_edit([](Json& h) { h["__metadata__"] = 5; }, "__metadata__ is not an object");
  expect_refused_edit([](Json& h) { meta_of(h)["mdn.spec"] = 7; }, "metadata \"mdn.spec\" is a number, not a string");
}

// Corruption anywhere: each flipped byte either still loads (a weight changed
// to another finite value, a name's letter changed) or is refused with an
// mdn::Error naming the file; never another exception type, a crash or a hang.
TEST_F(ModelIoTest, SurvivesRandomByteCorruption) {
  const std::string good = good_bytes();
  const std::string p = path("flipped.safetensors");
  std::mt19937 rng(17);
  int refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bytes = good;
    const int flips = 1 + int(rng() % 3);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] ^= char(1 + rng() % 255);
    write_bytes(p, bytes);
    try {
      load_model(p);
    } catch (const Error& e) {
      ++refused;
      ASSERT_EQ(std::string(e.what()).rfind(p + ": ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(refused, 100);  // most flips land in the header and must be caught
}

// ---- refusals: not ours, or not this version ------------------------------------------

TEST_F(ModelIoTest, RefusesAPlainSafetensorsFile) {
  const std::vector<float> w = {1, 2, 3, 4};
  const std::string data = io::f32_to_le_bytes(w.data(), w.size());
  const std::string p = path("plain.safetensors");
  {
    std::ofstream f(p, std::ios::binary);
    io::write_safetensors(f, {{"weight", "F32", {2, 2}, data}}, {});
  }
  expect_refused(p, "not an mdn model file");
  {
    std::ofstream f(p, std::ios::binary);
    io::write_safetensors(f, {{"weight", "F32", {2, 2}, data}}, {{"format", "pt"}});
  }
  expect_refused(p, "not an mdn model file: its metadata says \"format\": \"pt\"");
}

TEST_F(ModelIoTest, RefusesAFileWithoutTheFormatKey) {
  expect_refused_edit([](Json& h) { drop_key(meta_of(h), "format"); }, "not an mdn model file");
}

TEST_F(ModelIoTest, RefusesANewerFormatVersion) {
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.format_version", "5"); },
                      "written by a newer mdn (format version 5; this build reads up to 4)");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.format_version", "7"); },
                      "written by a newer mdn (format version 7; this build reads up to 4)");
  // And by editing the bytes in place, as a corrupting tool would.
  std::string bytes = good_bytes();
  const std::size_t at = bytes.find("\"mdn.format_version\":\"2\"");
  ASSERT_NE(at, std::string::npos);
  bytes[at + std::strlen("\"mdn.format_version\":\"")] = '5';
  expect_refused_bytes(bytes, "format version 5; this build reads up to 4");
}

TEST_F(ModelIoTest, RefusesAMissingOrNonNumericVersion) {
  expect_refused_edit([](Json& h) { drop_key(meta_of(h), "mdn.format_version"); }, "\"mdn.format_version\" is missing");
  for (const char* bad : {"", "one", "1.0", "-1", " 1", "1x", "99999999999999999999"})
    expect_refused_edit([&](Json& h) { set_meta(h, "mdn.format_version", bad); }, "is not a number");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.format_version", "0"); }, "format version 0 does not exist");
}

// ---- refusals: the spec and the other metadata ----------------------------------------

TEST_F(ModelIoTest, RefusesAnInvalidSpec) {
  const auto with_spec = [](const std::function<void(Json&)>& edit) {
    return [edit](Json& h) {
      Json spec = io::parse_json(meta_of(h).at("mdn.spec").get<std::string>());
      edit(spec);
      set_meta(h, "mdn.spec", io::dump_json(spec));
    };
  };
  expect_refused_edit(with_spec([](Json& s) { s["components"] = 0; }), "invalid model spec");
  expect_refused_edit(with_spec([](Json& s) { s["components"] = 33; }), "invalid model spec");
  expect_refused_edit(with_spec([](Json& s) { s["activation"] = "relu"; }), "invalid model spec");
  expect_refused_edit(with_spec([](Json& s) { s["hidden"] = Json::array(); }), "invalid model spec");
  expect_refused_edit(with_spec([](Json& s) { s["log_sigma_min"] = 10; }), "invalid model spec");
  expect_refused_edit(with_spec([](Json& s) { drop_key(s, "components"); }), "has no \"components\"");
  expect_refused_edit(with_spec([](Json& s) { s["input_dim"] = 2.5; }), "\"input_dim\" is not an integer");
  expect_refused_edit(with_spec([](Json& s) { s["input_dim"] = 4294967299ull; }), "\"input_dim\" is not an integer");
  expect_refused_edit(with_spec([](Json& s) { s["input_dim"] = "3"; }), "\"input_dim\" is not an integer");
  expect_refused_edit(with_spec([](Json& s) { s["hidden"] = "5,6"; }), "\"hidden\" is not an array");
  expect_refused_edit(with_spec([](Json& s) {
                        s["hidden"] = Json::array({5, 6.5});
                      }),
                      "\"hidden\" holds a non-integer");
  expect_refused_edit(with_spec([](Json& s) { s["dropout"] = 0.5; }), "unknown key \"dropout\"");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.spec", "{\"input_dim\":"); }, "\"mdn.spec\" is not valid JSON");
  expect_refused_edit([](Json& h) { drop_key(meta_of(h), "mdn.spec"); }, "\"mdn.spec\" is missing");
}

// Sizes from an untrusted spec must not overflow or allocate: the shapes are
// compared first and refuse the file.
TEST_F(ModelIoTest, RefusesAHugeSpecWithoutAllocating) {
  expect_refused_edit(
      [](Json& h) {
        Json spec = io::parse_json(meta_of(h).at("mdn.spec").get<std::string>());
        spec["hidden"] = Json::array({2147483647, 2147483647});
        set_meta(h, "mdn.spec", io::dump_json(spec));
      },
      "has shape [5, 3] but the spec needs [2147483647, 3]");
}

TEST_F(ModelIoTest, RefusesWrongNameCounts) {
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.features", "[\"a\",\"b\"]"); },
                      "\"mdn.features\" lists 2 names but the spec has D = 3");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.targets", "[\"a\",\"b\",\"c\"]"); },
                      "\"mdn.targets\" lists 3 names but the spec has T = 2");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.features", "[\"a\",1,\"c\"]"); }, "non-string");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.targets", "{}"); }, "not a JSON array");
  expect_refused_edit([](Json& h) { drop_key(meta_of(h), "mdn.features"); }, "\"mdn.features\" is missing");
}

TEST_F(ModelIoTest, RefusesABrokenStandardizer) {
  const auto with_stats = [](const std::function<void(Json&)>& edit) {
    return [edit](Json& h) {
      Json stats = io::parse_json(meta_of(h).at("mdn.standardizer").get<std::string>());
      edit(stats);
      set_meta(h, "mdn.standardizer", io::dump_json(stats));
    };
  };
  expect_refused_edit(with_stats([](Json& s) { s["x_mean"] = Json::array({1}); }),
                      "\"x_mean\" has 1 values but the spec has D = 3");
  expect_refused_edit(with_stats([](Json& s) {
                        s["t_scale"] = Json::array({1, 2, 3});
                      }),
                      "\"t_scale\" has 3 values but the spec has T = 2");
  expect_refused_edit(with_stats([](Json& s) {
                        s["t_scale"] = Json::array({1, 0});
                      }),
                      "t_scale[1] = 0.000000 (a scale must be > 0)");
  expect_refused_edit(with_stats([](Json& s) {
                        s["t_mean"] = Json::array({1, "x"});
                      }),
                      "t_mean[1] is a string, not a number");
  expect_refused_edit(with_stats([](Json& s) {
                        s["t_mean"] = Json::array({1, nullptr});
                      }),
                      "t_mean[1] is null, not a number");
  // Version 2 statistics are doubles within the data's range (|x| <= 3.4e38).
  expect_refused_edit(with_stats([](Json& s) { s["t_mean"] = Json::array({1, 1e39}); }), "t_mean[1] is out of range");
  expect_refused_edit(with_stats([](Json& s) { s["t_mean"] = Json::array({1, 0x1.ffffffp127}); }), "out of range");
  expect_refused_edit(with_stats([](Json& s) { drop_key(s, "x_scale"); }), "has no \"x_scale\"");
  expect_refused_edit(with_stats([](Json& s) { s["log_transform"] = true; }), "unknown key \"log_transform\"");
}

TEST_F(ModelIoTest, RefusesABrokenHistory) {
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.history", "[]"); }, "not a JSON object");
  expect_refused_edit([](Json& h) { set_meta(h, "mdn.history", "{\"train_nll\":[],\"val_nll\":[]}"); },
                      "has no \"best_epoch\"");
  expect_refused_edit(
      [](Json& h) { set_meta(h, "mdn.history", "{\"train_nll\":[\"a\"],\"val_nll\":[],\"best_epoch\":0}"); },
      "train_nll[0] is a string");
}

// ---- refusals: the tensors ------------------------------------------------------------

TEST_F(ModelIoTest, RefusesAMissingTensor) {
  // Dropped from the header only: the data section is no longer covered.
  expect_refused_edit([](Json& h) { drop_key(h, "z_mu.bias"); }, "the tensors cover");
  expect_refused_edit([](Json& h) { drop_key(h, "backbone.0.weight"); }, "belong to no tensor");
  // Dropped with its bytes (it is the last one in the data section): a
  // consistent safetensors file that lacks a tensor the spec needs.
  Parts parts = split(good_bytes());
  std::uint64_t begin = 0;
  ASSERT_TRUE(io::get_uint64(parts.header.at("z_mu.bias").at("data_offsets")[0], begin));
  drop_key(parts.header, "z_mu.bias");
  expect_refused_bytes(join(parts.header, parts.buffer.substr(0, std::size_t(begin))), "tensor 'z_mu.bias' is missing");
}

TEST_F(ModelIoTest, RefusesAnUnexpectedTensor) {
  Parts parts = split(good_bytes());
  const std::size_t end = parts.buffer.size();
  parts.header["backbone.4.weight"] = {
      {"dtype", "F32"}, {"shape", Json::array({1})}, {"data_offsets", Json::array({end, end + 4})}};
  expect_refused_bytes(join(parts.header, parts.buffer + std::string(4, '\0')),
                       "unexpected tensor 'backbone.4.weight'");
}

TEST_F(ModelIoTest, RefusesAWrongShape) {
  // Same byte count, transposed: [K, H] -> [H, K].
  expect_refused_edit(
      [](Json& h) {
        entry_of(h, "z_alpha.weight")["shape"] = Json::array({6, 4});
      },
      "tensor 'z_alpha.weight' has shape [6, 4] but the spec needs [4, 6]");
  expect_refused_edit([](Json& h) { entry_of(h, "backbone.0.weight")["shape"] = Json::array({15}); },
                      "tensor 'backbone.0.weight' has shape [15] but the spec needs [5, 3]");
  // A shape whose byte count disagrees with its offsets.
  expect_refused_edit([](Json& h) { entry_of(h, "z_mu.bias")["shape"] = Json::array({9}); },
                      "needs a different number of bytes");
  // A shape whose byte count overflows 64 bits.
  expect_refused_edit(
      [](Json& h) {
        const std::uint64_t big = std::uint64_t(1) << 32;
        entry_of(h, "z_mu.bias")["shape"] = Json::array({big, big, big});
      },
      "needs a different number of bytes");
}

TEST_F(ModelIoTest, RefusesAWrongDtype) {
  expect_refused_edit([](Json& h) { entry_of(h, "z_sigma.weight")["dtype"] = "I32"; },
                      "tensor 'z_sigma.weight' has dtype I32, expected F32");
  expect_refused_edit([](Json& h) { entry_of(h, "z_sigma.weight")["dtype"] = "F16"; },
                      "needs a different number of bytes");
  expect_refused_edit([](Json& h) { entry_of(h, "z_sigma.weight")["dtype"] = "Q7"; }, "unknown dtype");
}

TEST_F(ModelIoTest, RefusesBadDataOffsets) {
  const auto shift = [](const std::string& name, std::int64_t by) {
    return [name, by](Json& h) {
      for (Json& o : entry_of(h, name).at("data_offsets")) o = o.get<std::int64_t>() + by;
    };
  };
  expect_refused_edit(shift("z_mu.bias", 4), "lies at bytes");                // runs past the buffer
  expect_refused_edit(shift("z_mu.bias", -4), "overlap");                     // onto z_sigma.bias
  expect_refused_edit(shift("backbone.0.weight", 4), "belong to no tensor");  // leaves [0, 4) uncovered
  expect_refused_edit(
      [](Json& h) {
        entry_of(h, "z_mu.bias")["data_offsets"] = Json::array({0.5, 32.5});
      },
      "data_offsets are not non-negative integers");
  expect_refused_edit(
      [](Json& h) {
        entry_of(h, "z_mu.bias")["data_offsets"] = Json::array({-32, 0});
      },
      "data_offsets are not non-negative integers");
  expect_refused_edit(
      [](Json& h) {
        entry_of(h, "z_mu.bias")["data_offsets"] = Json::array({32, 0});
      },
      "end before they begin");
  expect_refused_edit([](Json& h) { entry_of(h, "z_mu.bias")["data_offsets"] = Json::array({0}); },
                      "not a [begin, end] pair");
  // A gap: 4 spare bytes in the data section before the last tensor.
  Parts parts = split(good_bytes());
  shift("z_mu.bias", 4)(parts.header);
  const std::size_t last = parts.buffer.size() - 32;
  const std::string buffer = parts.buffer.substr(0, last) + std::string(4, '\0') + parts.buffer.substr(last);
  expect_refused_bytes(join(parts.header, buffer), "belong to no tensor");
}

TEST_F(ModelIoTest, RefusesNonFiniteWeights) {
  const Parts parts = split(good_bytes());
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (const float value : bad) {
    std::string buffer = parts.buffer;
    std::memcpy(&buffer[4 * 130], &value, 4);  // inside z_mu.weight (flat 128..175)
    expect_refused_bytes(join_text(parts.header_text, buffer), "tensor 'z_mu.weight' holds a non-finite value");
  }
}

// ---- saving ---------------------------------------------------------------------------

TEST_F(ModelIoTest, SavingIntoAMissingDirectoryThrowsAndLeavesNothing) {
  const std::string p = path("no/such/dir/m.safetensors");
  try {
    save_model(small_model(), p);
    ADD_FAILURE() << "saved into a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path("no")));
  EXPECT_TRUE(dir_entries().empty());
}

TEST_F(ModelIoTest, AFailedSaveLeavesThePreviousFileByteIdentical) {
  const std::string p = path("m.safetensors");
  save_model(small_model(), p);
  const std::string before = read_bytes(p);

  std::vector<std::pair<std::string, std::function<void(Model&)>>> breakers = {
      {"1 parameters", [](Model& m) { m.params.resize(1); }},
      {"but the spec needs 196", [](Model& m) { m.params.push_back(0.0f); }},
      {"parameter 7 is nan", [](Model& m) { m.params[7] = std::numeric_limits<float>::quiet_NaN(); }},
      {"parameter 0 is inf", [](Model& m) { m.params[0] = std::numeric_limits<float>::infinity(); }},
      {"invalid spec", [](Model& m) { m.spec.components = 0; }},
      {"invalid spec", [](Model& m) { m.spec.activation = "relu"; }},
      {"2 feature names for D = 3", [](Model& m) { m.feature_names.pop_back(); }},
      {"3 target names for T = 2", [](Model& m) { m.target_names.push_back("extra"); }},
      {"not valid UTF-8", [](Model& m) { m.feature_names[1] = "caf\xE9"; }},
      {"x_mean has 2 values", [](Model& m) { m.stats.x_mean.pop_back(); }},
      {"t_scale has 0 values", [](Model& m) { m.stats.t_scale.clear(); }},
      {"at most 3.4e38, and > 0", [](Model& m) { m.stats.x_scale[2] = 0.0; }},
      {"must be finite", [](Model& m) { m.stats.t_mean[0] = std::numeric_limits<float>::infinity(); }},
  };
  for (const auto& [says, breaker] : breakers) {
    Model m = random_model(3, 2, 4, {5, 6}, 99);  // different weights from the file on disk
    breaker(m);
    try {
      save_model(m, p);
      ADD_FAILURE() << "saved a broken model (" << says << ")";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find(says), std::string::npos) << "expected '" << says << "' in: " << msg;
    }
    EXPECT_EQ(read_bytes(p), before) << says;
    EXPECT_EQ(dir_entries(), std::vector<std::string>{"m.safetensors"}) << says;
  }
}

}  // namespace
}  // namespace mdn
