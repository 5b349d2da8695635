#pragma once
// The master's own operator methods (sloth.v1.Master ListAgents, RemoveAgent): a row each in
// ListenForOperatorCalls, served after the caller is authenticated as an operator.
// Threads: the master's completion-queue thread only.
#include "daemon/master/master_queue.h"

namespace sloth {

// Asks the completion queue for the first call of each operator method.
void ListenForOperatorCalls(MasterQueue& queue);

// A registry view as the contract's AgentRecord; exposed for tests.
void ToProto(const FleetRegistry::View& view, v1::AgentRecord* out);

}  // namespace sloth
