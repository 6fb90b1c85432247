// Finds and loads the CUDA backend module. Where it looks, in order:
//   $MDN_CUDA_MODULE            when set, the only place (tests, unusual installs)
//   <folder of this binary>/libmdn_cuda.so
//                               the binary the library is linked into: the mdn
//                               program in a build tree, the Python extension
//                               in its package folder
//   <install libdir>/libmdn_cuda.so
//                               where `cmake --install` puts it (not in a
//                               `pip install .` build)
//   the dynamic loader's search LD_LIBRARY_PATH and the program's RUNPATH (the
//                               test and benchmark programs of the build tree
//                               name the module's folder there)
// A file that is found but cannot be loaded, or comes from another build, is
// an error that names it; the search does not go on past it.
#include "inference/cuda_module_loader.hpp"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace mdn::cuda_module {
namespace {

// Both defined by CMake (src/CMakeLists.txt): whether the module is built,
// and the folder CMake's install step puts it in ("" for none).
constexpr bool kBuilt = MDN_CUDA_MODULE_BUILT != 0;
constexpr const char* kInstallDir = MDN_CUDA_MODULE_INSTALL_DIR;

// The folder of the binary this code is linked into (libmdn is static): the
// main program (/proc/self/exe) or the shared object that contains it.
std::string folder_of_this_binary() {
  Dl_info info{};
  link_map* map = nullptr;
  std::string path;
  if (dladdr1(reinterpret_cast<void*>(&folder_of_this_binary), &info, reinterpret_cast<void**>(&map),
              RTLD_DL_LINKMAP) != 0 &&
      map != nullptr && map->l_name != nullptr)
    path = map->l_name;
  if (path.empty()) {  // the main program has no name in its link map
    char buffer[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) return {};
    path.assign(buffer, static_cast<std::size_t>(n));
  }
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string dl_error() {
  const char* error = dlerror();
  return error != nullptr ? error : "unknown error";
}

// The module's table, after checking that it comes from this build of mdn.
const cuda::ModuleV1* checked(void* handle, const std::string& where, std::string& why) {
  const auto entry = reinterpret_cast<cuda::ModuleEntryPoint>(dlsym(handle, cuda::kModuleEntryPoint));
  const cuda::ModuleV1* module = entry != nullptr ? entry() : nullptr;
  if (module == nullptr) {
    why = "the CUDA backend module " + where + " is not one this version of mdn can use (it has no " +
          cuda::kModuleEntryPoint + "); rebuild or reinstall mdn";
  } else if (module->abi != cuda::kModuleAbi || module->size != sizeof(cuda::ModuleV1) ||
             std::strcmp(module->version, MDN_VERSION) != 0 || module->layout != cuda::kModuleLayout) {
    why = "the CUDA backend module " + where + " was built for another version of mdn (module: mdn " + module->version +
          ", interface " + std::to_string(module->abi) + "; this program: mdn " MDN_VERSION ", interface " +
          std::to_string(cuda::kModuleAbi) + "); rebuild or reinstall mdn";
    module = nullptr;
  }
  if (module == nullptr) ::dlclose(handle);
  return module;
}

struct Loaded {
  const cuda::ModuleV1* module = nullptr;
  std::string why;
};

Loaded load_once() {
  Loaded loaded;
  if (!kBuilt) {
    loaded.why = "this build of mdn has no CUDA backend (it was configured without the CUDA toolkit)";
    return loaded;
  }
  const std::string name = cuda::kModuleFileName;
  std::vector<std::string> paths;
  bool search = false;
  const char* forced = std::getenv("MDN_CUDA_MODULE");
  if (forced != nullptr && *forced != '\0') {
    paths.emplace_back(forced);
  } else {
    const std::string here = folder_of_this_binary();
    if (!here.empty()) paths.push_back(here + "/" + name);
    const std::string installed = std::string(kInstallDir) + "/" + name;
    if (*kInstallDir != '\0' && (paths.empty() || paths.front() != installed)) paths.push_back(installed);
    search = true;
  }

  std::string tried;
  for (const std::string& path : paths) {
    if (::access(path.c_str(), F_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr)
      loaded.why = "cannot load the CUDA backend module " + path + ": " + dl_error();
    else
      loaded.module = checked(handle, path, loaded.why);
    return loaded;
  }
  if (search) {
    void* handle = ::dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (handle != nullptr) {
      link_map* map = nullptr;
      const bool named = ::dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr;
      loaded.module = checked(handle, named ? std::string(map->l_name) : name, loaded.why);
      return loaded;
    }
    // "libmdn_cuda.so: cannot open shared object file" is "not there"; any
    // other message is about a file that was found (a library it needs, ...).
    const std::string error = dl_error();
    if (error.compare(0, name.size() + 1, name + ":") != 0) {
      loaded.why = "cannot load the CUDA backend module " + name + " from the library search path: " + error;
      return loaded;
    }
  }
  loaded.why = "the CUDA backend module was not found: no " + name + " at " + tried +
               (search ? " or on the library search path" : " (MDN_CUDA_MODULE)");
  return loaded;
}

}  // namespace

bool built() { return kBuilt; }

bool driver_present() {
  // Kept loaded: the CUDA runtime loads it again anyway when the module runs.
  static const bool present = ::dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL) != nullptr;
  return present;
}

const cuda::ModuleV1* load(std::string* why) {
  static const Loaded loaded = load_once();
  if (why != nullptr) *why = loaded.why;
  return loaded.module;
}

}  // namespace mdn::cuda_module
