#include "daemon/grpc/metrics_interceptor.h"

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

std::string_view GrpcStatusName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  std::string method = info->method() ? info->method() : "unknown";
  if (!method.empty() && method.front() == '/') method.erase(0, 1);  // "sloth.v1.Agent/RunTask"
  return new MetricsInterceptor(std::move(method), telemetry_);      // owned and deleted by gRPC
}

}  // namespace sloth
