#include "daemon/modules/module_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace sloth {
namespace {

std::vector<std::string> Candidates(std::string_view file_name) {
  std::vector<std::string> paths;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back((exe.parent_path() / file_name).string());
    paths.push_back((exe.parent_path() / SLOTH_MODULE_DIR_FROM_SBIN / file_name).lexically_normal().string());
  }
  paths.push_back(std::string(SLOTH_MODULE_DIR) + "/" + std::string(file_name));
  return paths;
}

}  // namespace

Result<void*> LoadModuleSymbol(std::string_view file_name, const char* symbol) {
  std::string tried;
  for (const std::string& path : Candidates(file_name)) {
    if (::access(path.c_str(), R_OK) != 0) {
      tried += fmt::format(" {} (missing);", path);
      continue;
    }
    void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module) {
      tried += fmt::format(" {} ({});", path, ::dlerror());
      continue;
    }
    if (void* address = ::dlsym(module, symbol)) return address;
    tried += fmt::format(" {} (no symbol {});", path, symbol);
  }
  if (!tried.empty()) tried.pop_back();
  return Failure{fmt::format("cannot load {}; tried:{}", file_name, tried)};
}

}  // namespace sloth
