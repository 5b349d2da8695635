#pragma once
// Records sloth_grpc_requests_total{method,status} and sloth_grpc_request_duration_seconds
// for every call, whatever the handler does (one place, not in each handler).
#include <grpcpp/support/server_interceptor.h>

#include "daemon/core/telemetry/telemetry.h"

namespace sloth {

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Telemetry& telemetry) : telemetry_(telemetry) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override;

 private:
  Telemetry& telemetry_;
};

}  // namespace sloth
