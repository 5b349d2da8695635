#pragma once
// What slothd-launcher lets slothd do, decided from the launcher's own reading of
// /etc/sloth/slothd.toml (root's file; slothd cannot change it): start task units only as
// [tasks] user or one of [tasks] allowed_users. Everything else about a request (a task unit's
// name, its shape) is checked by DecodeRequest. Pure.
#include "common/result.h"
#include "daemon/core/config.h"
#include "daemon/core/tasks/transient_units.h"

namespace sloth {

Result<void> AuthorizeStart(const UnitStart& start, const TaskConfig& tasks);

}  // namespace sloth
