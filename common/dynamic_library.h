#pragma once
// A shared library opened at run time (dlopen) and never closed, with its functions bound by
// name: for optional libraries that only some runs need (libsystemd under systemd, libcurl for
// HTTP endpoints), so the others do not pay for loading them.
#include <dlfcn.h>

#include <string>
#include <type_traits>

#include "common/result.h"

namespace sloth {

class DynamicLibrary {
 public:
  // Opens `soname`; on failure ok() is false and error() says why.
  explicit DynamicLibrary(const char* soname) : handle_(::dlopen(soname, RTLD_NOW | RTLD_LOCAL)), soname_(soname) {
    if (!handle_) error_ = ::dlerror();
  }

  // Sets `fn` to the library's function `name`; records the first failure in error().
  template <typename Fn>
  void Bind(Fn& fn, const char* name) {
    static_assert(std::is_pointer_v<Fn>);
    fn = handle_ ? reinterpret_cast<Fn>(::dlsym(handle_, name)) : nullptr;
    if (!fn && error_.empty()) error_ = soname_ + " has no " + name;
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  void* handle_;
  std::string soname_;
  std::string error_;
};

// `Functions` (a struct of function pointers) from `soname`, opened and bound by `bind` once per
// process on first use; later calls return the same outcome. Thread-safe.
template <typename Functions>
const Result<const Functions*>& OpenOnce(const char* soname, void (*bind)(DynamicLibrary&, Functions&)) {
  static const Result<const Functions*> opened = [&]() -> Result<const Functions*> {
    static Functions functions;
    DynamicLibrary library(soname);
    bind(library, functions);
    if (!library.ok()) return Failure{library.error()};
    return &functions;
  }();
  return opened;
}

}  // namespace sloth
