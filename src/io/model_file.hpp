// Internal: the model file with room for more. A training checkpoint is a
// model file (same tensors, same metadata) plus 1-D F32 tensors and metadata
// of its own; save_model / load_model are the case with none.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "mdn/model.hpp"

namespace mdn::io {

struct ExtraTensor {
  std::string name;  // must not clash with a model tensor name
  std::vector<float> values;
};

void save_model_file(const Model& model, const std::string& path, const std::vector<ExtraTensor>& extra_tensors,
                     const std::map<std::string, std::string>& extra_metadata);

// Loads the model; each name in `extra_names` must be a 1-D F32 tensor of the
// file and is returned (in order) in `extra_values`, followed by those of
// `optional_names` (empty where the file lacks one); `metadata` receives the
// file's whole metadata. Any other unexpected tensor is refused.
Model load_model_file(const std::string& path, const std::vector<std::string>& extra_names,
                      std::vector<std::vector<float>>* extra_values, std::map<std::string, std::string>* metadata,
                      const std::vector<std::string>& optional_names = {});

}  // namespace mdn::io
