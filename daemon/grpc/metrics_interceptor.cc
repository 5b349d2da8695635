#include "daemon/grpc/metrics_interceptor.h"

#include "daemon/grpc/grpc_status_name.h"

#include <chrono>
#include <string>

namespace sloth {
namespace {

// One per call, created when the call arrives; gRPC deletes it when the call is done.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::string method, Telemetry& telemetry)
      : method_(std::move(method)), telemetry_(telemetry), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      telemetry_.GrpcRequestServed(method_, GrpcStatusName(status.error_code()), seconds);
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) telemetry_.ErrorOccurred("grpc");
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  Telemetry& telemetry_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  std::string method = info->method() ? info->method() : "unknown";
  if (!method.empty() && method.front() == '/') method.erase(0, 1);  // "sloth.v1.Agent/RunTask"
  return new MetricsInterceptor(std::move(method), telemetry_);      // owned and deleted by gRPC
}

}  // namespace sloth
