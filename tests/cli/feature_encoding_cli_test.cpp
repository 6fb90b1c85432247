// Text, date and missing feature values end to end (docs/DATA.md, "Text,
// date and missing feature values"): a text column becomes a category and
// the model is better for it; an unseen category is coded as zeros and
// counted; a date column becomes its varying parts; a missing feature at
// prediction is filled per the model, or an error naming --drop-invalid; a
// model without the encoding (every older file) loads and predicts as before.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const char* kSpecies[] = {"Adelie", "Gentoo", "Chinstrap"};

// y = x + 4 * (species index) + small noise; the date's month shifts y by a
// sine of the season; id is all distinct text.
std::string penguins(int rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.2);
  std::string text = "x,species,date,id,y\n";
  for (int i = 0; i < rows; ++i) {
    const int s = int(rng() % 3), month = 1 + int(rng() % 12), day = 1 + int(rng() % 28);
    const double x = u(rng);
    const double y = x + 4.0 * s + std::sin(2 * M_PI * (month - 1) / 12.0) + noise(rng);
    char line[160];
    std::snprintf(line, sizeof line, "%.4f,%s,2006-%02d-%02d %02d:00:00.000 +0200,p%d,%.4f\n", x, kSpecies[s], month,
                  day, i % 24, i, y);
    text += line;
  }
  return text;
}

double eval_nll(const TempDir& dir, const std::string& model, const std::string& data) {
  const auto r = run_mdn(dir, "eval --model " + model + " --data " + data + " --json e.json --device cpu");
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(dir.read("e.json"))["nll"].get<double>();
}

const std::string kTrain = "train --target y --epochs 60 --seed 5 --device cpu --components 3 --hidden 16 ";

TEST(FeatureEncodingCli, ATextColumnBecomesACategoryAndTheModelIsBetterForIt) {
  TempDir dir;
  dir.write("train.csv", penguins(600, 1));
  dir.write("test.csv", penguins(300, 2));
  auto r = run_mdn(dir, kTrain + "--data train.csv --model cat.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "'species' as category (3: Adelie, Chinstrap, Gentoo)")) << r.err;
  EXPECT_TRUE(has(r.err, "'id' (not numeric: text with more than 50 distinct values")) << r.err;
  // --features still decides: x alone.
  r = run_mdn(dir, kTrain + "--data train.csv --model plain.safetensors --features x");
  ASSERT_EQ(r.status, 0) << r.err;
  const double with = eval_nll(dir, "cat.safetensors", "test.csv");
  const double without = eval_nll(dir, "plain.safetensors", "test.csv");
  std::printf("held-out NLL with species %.4f, without %.4f\n", with, without);
  EXPECT_LT(with, without - 0.5) << "with species " << with << ", without " << without;
  // mdn info shows the input columns, their types and categories.
  r = run_mdn(dir, "info cat.safetensors");
  EXPECT_TRUE(has(r.out, "species=Gentoo") && has(r.out, "species: category (3: Adelie, Chinstrap, Gentoo)")) << r.out;
  r = run_mdn(dir, "info --json cat.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& in : j["inputs"])
    if (in["name"] == "species")
      found = in["type"] == "category" && in["categories"] == nlohmann::json({"Adelie", "Chinstrap", "Gentoo"});
  EXPECT_TRUE(found) << j["inputs"].dump();
  // An ID column named as a feature is one clear error, and no model.
  r = run_mdn(dir, kTrain + "--data train.csv --model id.safetensors --features x,id");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "train.csv: column 'id' cannot be a feature") && has(r.err, "--features")) << r.err;
  EXPECT_FALSE(dir.exists("id.safetensors"));
}

TEST(FeatureEncodingCli, AnUnseenCategoryIsCodedAsZerosAndCounted) {
  TempDir dir;
  dir.write("train.csv", penguins(300, 3));
  auto r = run_mdn(dir, "train --target y --epochs 5 --seed 5 --device cpu --quiet --data train.csv "
                        "--model m.safetensors --features x,species");
  ASSERT_EQ(r.status, 0) << r.err;
  // Rows 1 and 3 have categories never seen; row 2 none (missing); row 4 a known one.
  dir.write("new.csv",
            "species,x,y\nEmperor,0.5,1\n,0.5,1\nKing,0.5,1\nGentoo,0.5,1\n");
  r = run_mdn(dir, "predict --model m.safetensors --data new.csv --out p.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "warning: new.csv: 2 of 4 rows have a category of 'species' not seen in training (the "
                         "first: 'Emperor'): coded as all zeros"))
      << r.err;
  EXPECT_TRUE(has(r.err, "1 of 4 rows have no value for 'species'")) << r.err;
  const std::vector<std::string> out = split_lines(dir.read("p.csv"));
  ASSERT_EQ(out.size(), 5u);
  // All three all-zero codes predict the same; a known category differs.
  EXPECT_EQ(out[1], out[2]);
  EXPECT_EQ(out[1], out[3]);
  EXPECT_NE(out[1], out[4]);
  // eval's JSON keeps the counts.
  r = run_mdn(dir, "eval --model m.safetensors --data new.csv --json e.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(dir.read("e.json"))["feature_encoding"];
  ASSERT_EQ(j["unseen_categories"].size(), 1u) << j.dump();
  EXPECT_EQ(j["unseen_categories"][0]["name"], "species");
  EXPECT_EQ(j["unseen_categories"][0]["rows"], 2);
  EXPECT_EQ(j["unseen_categories"][0]["first"], "Emperor");
  // The sampler takes the same path.
  r = run_mdn(dir, "sample --model m.safetensors --data new.csv --samples 2 --out s.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "mdn sample: warning: new.csv: 2 of 4 rows have a category of 'species'")) << r.err;
}

TEST(FeatureEncodingCli, ADateColumnBecomesItsVaryingParts) {
  TempDir dir;
  dir.write("train.csv", penguins(600, 4));
  dir.write("test.csv", penguins(300, 6));
  auto r = run_mdn(dir, kTrain + "--data train.csv --model d.safetensors --features x,species,date");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir, kTrain + "--data train.csv --model nd.safetensors --features x,species");
  ASSERT_EQ(r.status, 0) << r.err;
  // One year: no year feature; the day of the year and the hour vary.
  r = run_mdn(dir, "info d.safetensors");
  EXPECT_TRUE(has(r.out, "date:doy_sin") && has(r.out, "date:hour_cos") && !has(r.out, "date:year")) << r.out;
  EXPECT_TRUE(has(r.out, "date: date (doy_sin, doy_cos, hour_sin, hour_cos)")) << r.out;
  // The season matters in this file: the date helps.
  const double with = eval_nll(dir, "d.safetensors", "test.csv");
  const double without = eval_nll(dir, "nd.safetensors", "test.csv");
  std::printf("held-out NLL with the date %.4f, without %.4f\n", with, without);
  EXPECT_LT(with, without - 0.2) << "with date " << with << ", without " << without;
  // Other formats of the same dates give the same predictions.
  dir.write("a.csv", "x,species,date\n0.5,Adelie,2006-04-01 10:00:00.000 +0200\n0.5,Adelie,2006-10-01T10:00\n");
  dir.write("b.csv", "x,species,date\n0.5,Adelie,01.04.2006 10:00\n0.5,Adelie,2006/10/01 10:00:00Z\n");
  ASSERT_EQ(run_mdn(dir, "predict --model d.safetensors --data a.csv --out pa.csv --device cpu").status, 0);
  ASSERT_EQ(run_mdn(dir, "predict --model d.safetensors --data b.csv --out pb.csv --device cpu").status, 0);
  const std::vector<std::string> pa = split_lines(dir.read("pa.csv")), pb = split_lines(dir.read("pb.csv"));
  ASSERT_EQ(pa.size(), 3u);
  EXPECT_EQ(pa, pb);
  EXPECT_NE(pa[1], pa[2]);  // April and October differ
  // A date that does not parse: one message naming file, line and column; no output.
  dir.write("bad.csv", "x,species,date\n0.5,Adelie,2006-04-01\n0.5,Adelie,2006-02-30\n");
  r = run_mdn(dir, "predict --model d.safetensors --data bad.csv --out pbad.csv --device cpu");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "bad.csv: line 3, column 'date': '2006-02-30' is not a date") && has(r.err, "--drop-invalid"))
      << r.err;
  EXPECT_FALSE(dir.exists("pbad.csv"));
  // In training, a column of dates with one typo is an error before any work.
  std::string typo = penguins(60, 7);
  typo.replace(typo.find("2006-"), 10, "2006-13-45");
  dir.write("typo.csv", typo);
  r = run_mdn(dir, kTrain + "--data typo.csv --model t.safetensors");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "typo.csv: line 2, column 'date': '2006-13-45") && has(r.err, "in a column of dates"))
      << r.err;
  EXPECT_FALSE(has(r.err, "epoch")) << r.err;
  EXPECT_FALSE(dir.exists("t.safetensors"));
}

TEST(FeatureEncodingCli, AMissingFeatureAtPredictionIsFilledAsInTrainingOrNamesDropInvalid) {
  TempDir dir;
  // x has missing cells in training: the model fills them with the mean and marks them.
  std::string text = "x,y\n";
  for (int i = 0; i < 200; ++i)
    text += (i % 10 == 3 ? std::string("NA") : std::to_string(i % 9)) + "," + std::to_string((i * 7) % 11) + ".5\n";
  dir.write("t.csv", text);
  auto r = run_mdn(dir, "train --target y --epochs 3 --seed 5 --device cpu --data t.csv --model m.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "column 'x' has missing values: filled with the training mean")) << r.err;
  dir.write("p.csv", "x,note\n2,a\nNA,b\n,c\n");
  r = run_mdn(dir, "predict --model m.safetensors --data p.csv --out out.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "2 of 3 rows have no value for 'x': filled with the training mean")) << r.err;
  const std::vector<std::string> out = split_lines(dir.read("out.csv"));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2], out[3]);
  EXPECT_NE(out[1], out[2]);
  // A model whose training had no missing x: an error naming the way out, no output.
  text = "x,y\n";
  for (int i = 0; i < 200; ++i) text += std::to_string(i % 9) + "," + std::to_string((i * 7) % 11) + ".5\n";
  dir.write("full.csv", text);
  r = run_mdn(dir, "train --target y --epochs 3 --seed 5 --device cpu --quiet --data full.csv --model f.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir, "predict --model f.safetensors --data p.csv --out fout.csv --device cpu");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "p.csv: line 3, column 'x'") && has(r.err, "--drop-invalid")) << r.err;
  EXPECT_FALSE(dir.exists("fout.csv"));
}

TEST(FeatureEncodingCli, ResumeInitAndValidationRowsKeepTheEncoding) {
  TempDir dir;
  dir.write("train.csv", penguins(300, 8));
  dir.write("val.csv", penguins(100, 9));
  auto r = run_mdn(dir, "train --target y --epochs 2 --seed 5 --device cpu --quiet --data train.csv "
                        "--model m.safetensors --checkpoint-every 1 --val-data val.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir, "train --target y --epochs 3 --seed 5 --device cpu --quiet --data train.csv --model r.safetensors "
                   "--val-data val.csv --resume m.safetensors.ckpt");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir, "train --target y --epochs 1 --device cpu --quiet --data train.csv --model i.safetensors "
                   "--init r.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string first = run_mdn(dir, "info --json m.safetensors").out;
  for (const char* model : {"r.safetensors", "i.safetensors"}) {
    const std::string info = run_mdn(dir, std::string("info --json ") + model).out;
    EXPECT_EQ(nlohmann::json::parse(info)["inputs"], nlohmann::json::parse(first)["inputs"]) << model;
    EXPECT_TRUE(has(info, "species=Chinstrap")) << info;
  }
}

TEST(FeatureEncodingCli, AModelWithoutTheEncodingLoadsAndPredictsAsBefore) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i % 9) + "," + std::to_string((i * 7) % 11) + ".5\n";
  dir.write("d.csv", text);
  auto r = run_mdn(dir, "train --target y --epochs 3 --seed 5 --device cpu --quiet --data d.csv --model m.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  // Plain numbers: nothing is written beyond what older files hold.
  EXPECT_FALSE(has(dir.read("m.safetensors"), "mdn.inputs"));
  r = run_mdn(dir, "predict --model m.safetensors --data d.csv --out p.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(split_lines(dir.read("p.csv")).size(), 101u);
  r = run_mdn(dir, "info --json m.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["inputs"], nlohmann::json::parse(R"([{"name": "x", "type": "number"}])"));
}

}  // namespace
