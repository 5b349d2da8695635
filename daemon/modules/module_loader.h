#pragma once
// Optional front ends (gRPC, D-Bus) live in modules that slothd loads when it first needs them,
// so an agent pays their memory only when they are used: linked in, gRPC alone cost ≈9 MiB of
// resident memory at start, D-Bus ≈1 MiB. Modules take the core's symbols from the executable
// (it is linked with ENABLE_EXPORTS) and are never unloaded.
#include <string>
#include <string_view>

#include "common/result.h"

namespace sloth {

// The address of `symbol` in the module `file_name`, looked for beside the running executable
// (the build tree), then in the module directory relative to it (an installed tree, whatever
// its prefix), then in the configured module directory. All of these are only writable by
// whoever could replace slothd itself. When not found, the failure says what was tried.
Result<void*> LoadModuleSymbol(std::string_view file_name, const char* symbol);

}  // namespace sloth
