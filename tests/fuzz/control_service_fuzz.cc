// libFuzzer target: the control service's request handling, through the real gRPC front end
// (daemon/grpc/grpc_front_end.cc, the unary table of control_service.cc, RunTask's steps) into
// a real ControlApi and TaskRunner. The front end serves one end of a socketpair, as it serves
// an accepted control connection; the fuzzer is the client on the other end.
// Input: records [method][length: 2 bytes][payload]. The unary methods get the payload as the
// request's wire bytes (the server parses them); RunTask gets it parsed as a RunTaskRequest,
// with a harmless command (fuzz_agent.h). Invariants: every call ends within its deadline, with
// OK or a status that names the caller's mistake, never INTERNAL or UNKNOWN (a handler that
// threw); a RunTask stream ends with the task's result.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/create_channel_posix.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "daemon/grpc/grpc_front_end.h"
#include "sloth/v1/agent.grpc.pb.h"
#include "tests/fuzz/fuzz_agent.h"

extern "C" sloth::ControlFrontEnd* sloth_create_grpc_front_end(sloth::ControlApi* api, sloth::Telemetry* telemetry,
                                                               sloth::Logger* log,
                                                               sloth::CredentialsLookup credentials);

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr const char* kUnaryMethods[] = {"/sloth.v1.Agent/GetInfo", "/sloth.v1.Agent/GetHealth",
                                         "/sloth.v1.Agent/ListTasks", "/sloth.v1.Agent/CancelTask",
                                         "/sloth.v1.Agent/GetMetrics"};
constexpr size_t kMethods = std::size(kUnaryMethods) + 1;  // + RunTask

struct Harness {
  sloth::fuzz::FuzzAgent agent;
  std::unique_ptr<sloth::ControlFrontEnd> front_end;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> generic;
  std::unique_ptr<sloth::v1::Agent::Stub> stub;

  Harness() {
    front_end.reset(sloth_create_grpc_front_end(&agent.api, &agent.telemetry, &agent.log, [](std::string_view) {
      return std::optional<sloth::PeerCredentials>(sloth::PeerCredentials{1, 0, 0});
    }));
    Check(front_end != nullptr);
    Connect();
  }
  // A fresh connection, as an accepted one: the server end to the front end, ours to a channel.
  void Connect() {
    int fds[2];
    Check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
    front_end->Serve(fds[0]);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    channel = grpc::CreateCustomInsecureChannelFromFd("fuzz", fds[1], args);
    generic = std::make_unique<grpc::GenericStub>(channel);
    stub = sloth::v1::Agent::NewStub(channel);
  }
};

Harness* g_harness;

// `parses`: the request's bytes are a valid message of its type. gRPC itself answers INTERNAL to
// bytes it cannot parse; a request it could parse must never get INTERNAL or UNKNOWN.
void CheckStatus(const grpc::Status& status, bool parses) {
  const auto code = status.error_code();
  Check(code != grpc::StatusCode::DEADLINE_EXCEEDED);  // the server hung
  if (parses) Check(code != grpc::StatusCode::INTERNAL && code != grpc::StatusCode::UNKNOWN);
  if (code == grpc::StatusCode::UNAVAILABLE) g_harness->Connect();  // it closed the connection: allowed
}

// Whether `payload` parses as the request type of the method at `index` in kUnaryMethods.
bool ParsesAsRequest(size_t index, const std::string& payload) {
  switch (index) {
    case 0: return sloth::v1::GetInfoRequest().ParseFromString(payload);
    case 1: return sloth::v1::GetHealthRequest().ParseFromString(payload);
    case 2: return sloth::v1::ListTasksRequest().ParseFromString(payload);
    case 3: return sloth::v1::CancelTaskRequest().ParseFromString(payload);
    default: return sloth::v1::GetMetricsRequest().ParseFromString(payload);
  }
}

void CallUnary(size_t index, const std::string& payload) {
  const char* method = kUnaryMethods[index];
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice slice(payload);
  grpc::ByteBuffer request(&slice, 1);
  grpc::CompletionQueue cq;
  auto call = g_harness->generic->PrepareUnaryCall(&context, method, request, &cq);
  call->StartCall();
  grpc::ByteBuffer reply;
  grpc::Status status;
  call->Finish(&reply, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  Check(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  CheckStatus(status, ParsesAsRequest(index, payload));
}

void CallRunTask(const std::string& payload) {
  sloth::v1::RunTaskRequest request;
  if (!request.ParseFromString(payload)) request.Clear();
  request.set_command(sloth::fuzz::kHarmlessCommand);
  auto* env = request.mutable_env();
  for (auto it = env->begin(); it != env->end();) {
    it = sloth::fuzz::IsLoaderVariable(it->first) ? env->erase(it) : std::next(it);
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto reader = g_harness->stub->RunTask(&context, request);
  sloth::v1::RunTaskEvent event;
  bool result = false;
  while (reader->Read(&event)) result = event.has_result();
  const grpc::Status status = reader->Finish();
  CheckStatus(status, true);
  if (status.ok()) Check(result);  // a stream that ends well ends with the result
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is refused with a log line each time: not news here.
  google::protobuf::SetLogHandler(nullptr);
  g_harness = new Harness;  // lives as long as the process: the fuzzer never returns from main
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t at = 0;
  for (int calls = 0; calls < 8 && at + 3 <= size; ++calls) {
    const size_t method = data[at] % kMethods;
    const size_t length = std::min<size_t>((data[at + 1] << 8 | data[at + 2]), size - at - 3);
    const std::string payload(reinterpret_cast<const char*>(data + at + 3), length);
    at += 3 + length;
    if (method < std::size(kUnaryMethods)) {
      CallUnary(method, payload);
    } else {
      CallRunTask(payload);
    }
  }
  return 0;
}
