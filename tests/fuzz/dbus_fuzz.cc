// libFuzzer target: the D-Bus method arguments, through the real front end
// (daemon/dbus/agent_dbus_service.cc and the adaptor generated from org.slothrunner.Agent1.xml)
// into a real ControlApi and TaskRunner, on a private dbus-daemon the fuzzer starts.
// Input: records [method][how][length][bytes]. `how` even: the method's own signature with
// arguments cut from the bytes (strings made valid UTF-8, as sd-bus insists); odd: arguments of
// any types the bytes choose, to reach the adaptor's checks. RunTask never runs what the input
// says (fuzz_agent.h). Invariants: every call is answered (a reply or an error) before its
// timeout, and never with org.slothrunner.Agent1.Error.Internal (a handler that threw).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "daemon/dbus/agent_dbus_service.h"
#include "tests/fuzz/fuzz_agent.h"

extern char** environ;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr const char* kInterface = "org.slothrunner.Agent1";
constexpr const char* kMethods[] = {"RunTask", "GetTask", "CancelTask", "ListTasks", "GetInfo", "GetMetrics", "Reload"};

// A private bus that allows everything: the policy is tested elsewhere (dbus_test), the
// arguments here.
class PrivateBus {
 public:
  PrivateBus() {
    char tmpl[] = "/tmp/sloth-dbus-fuzz-XXXXXX";
    Check(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/bus.conf")
        << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
           " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
           "<busconfig><type>custom</type><listen>unix:path="
        << dir_ << "/bus</listen><auth>EXTERNAL</auth>"
        << "<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/><allow send_destination=\"*\"/>"
           "<allow receive_sender=\"*\"/></policy></busconfig>\n";
    int pipe_fds[2];
    Check(::pipe(pipe_fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 3);
    const std::string config = "--config-file=" + dir_ + "/bus.conf";
    std::vector<char*> argv = {const_cast<char*>("dbus-daemon"), const_cast<char*>(config.c_str()),
                               const_cast<char*>("--nofork"), const_cast<char*>("--print-address=3"), nullptr};
    Check(::posix_spawnp(&pid_, "dbus-daemon", &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    char buffer[512];
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    ::close(pipe_fds[0]);
    Check(n > 0);
    address_.assign(buffer, static_cast<size_t>(n));
    while (!address_.empty() && address_.back() == '\n') address_.pop_back();
  }
  ~PrivateBus() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& address() const { return address_; }

 private:
  std::string dir_;
  std::string address_;
  pid_t pid_ = -1;
};

struct Harness {
  PrivateBus bus;
  sloth::fuzz::FuzzAgent agent;
  std::unique_ptr<sloth::AgentDbusService> service;
  std::unique_ptr<sdbus::IConnection> client_bus;
  std::unique_ptr<sdbus::IProxy> proxy;

  Harness() {
    service = std::make_unique<sloth::AgentDbusService>(agent.api, agent.log,
                                                        sdbus::createSessionBusConnectionWithAddress(bus.address()));
    client_bus = sdbus::createSessionBusConnectionWithAddress(bus.address());
    proxy = sdbus::createProxy(*client_bus, sloth::AgentDbusService::kBusName, sloth::AgentDbusService::kObjectPath);
  }
};

Harness* g_harness;

// Reads the input's bytes as arguments.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint64_t Number() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | Byte();
    return v;
  }
  // Up to 255 bytes as a D-Bus string: no NUL, valid UTF-8 (anything else becomes '?').
  std::string String() {
    const size_t length = std::min<size_t>(Byte(), size_ - std::min(at_, size_));
    std::string s(reinterpret_cast<const char*>(data_ + at_), length);
    at_ += length;
    for (char& c : s) {
      if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// Appends arguments whose types the bytes choose; returns their signature.
std::string AppendAnyArguments(sdbus::MethodCall& call, Bytes& in) {
  std::string signature;
  for (int count = in.Byte() % 6; count > 0 && !in.empty(); --count) {
    switch (in.Byte() % 6) {
      case 0: call << in.String(), signature += "s"; break;
      case 1: call << static_cast<uint64_t>(in.Number()), signature += "t"; break;
      case 2: call << static_cast<int32_t>(in.Number()), signature += "i"; break;
      case 3: call << (in.Byte() % 2 == 0), signature += "b"; break;
      case 4: call << static_cast<double>(in.Number()), signature += "d"; break;
      case 5: {
        std::map<std::string, std::string> map;
        for (int n = in.Byte() % 4; n > 0; --n) map[in.String()] = in.String();
        call << map, signature += "a{ss}";
        break;
      }
    }
  }
  return signature;
}

void Call(const std::string& method, bool own_signature, Bytes& in) {
  auto call = g_harness->proxy->createMethodCall(kInterface, method);
  if (own_signature) {
    if (method == "RunTask") {
      std::string name = in.String(), group = in.String();
      std::map<std::string, std::string> env;
      for (int n = in.Byte() % 4; n > 0; --n) {
        std::string key = in.String();
        std::string value = in.String();
        if (!sloth::fuzz::IsLoaderVariable(key)) env[key] = value;
      }
      call << std::string(sloth::fuzz::kHarmlessCommand) << name << group << env << in.Number() % 5000;
    } else if (method == "GetTask" || method == "CancelTask") {
      call << in.String();
    }
  } else if (AppendAnyArguments(call, in) == "sssa{ss}t" && method == "RunTask") {
    return;  // that would run the input's command
  }
  try {
    g_harness->proxy->callMethod(call, 5'000'000);
  } catch (const sdbus::Error& e) {
    Check(e.getName() != "org.slothrunner.Agent1.Error.Internal");
    Check(e.getName() != "org.freedesktop.DBus.Error.NoReply" && e.getName() != "org.freedesktop.DBus.Error.Timeout");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_harness = new Harness;                // lives as long as the process
  std::atexit([] { delete g_harness; });  // stops the private dbus-daemon
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  for (int calls = 0; calls < 8 && !in.empty(); ++calls) {
    const std::string method = kMethods[in.Byte() % std::size(kMethods)];
    Call(method, in.Byte() % 2 == 0, in);
  }
  return 0;
}
