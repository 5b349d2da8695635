#pragma once
// A test fleet on loopback: a CA and certificates made with the shipped make-fleet-certs, a real
// master (slothd --role master) and real agents dialling it over mutual TLS, and slothctl as an
// operator (certificate or token). Readiness is each process's own log line, never a sleep.
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace sloth::test {

class Fleet {
 public:
  struct Options {
    std::string heartbeat_interval = "300ms";
    int missed_heartbeats = 3;
  };
  Fleet();
  explicit Fleet(Options options);

  const TempDir& dir() const { return dir_; }
  // Runs make-fleet-certs in the fleet's directory (or `dir` under it); the output.
  std::string MakeCerts(const std::vector<std::string>& args, const std::string& dir = "pki");
  std::string Pki(const std::string& file) const { return dir_.File("pki/" + file); }

  // Starts the master (again on the same port once it has run); waits until it is ready.
  ChildProcess& StartMaster(const std::string& extra_config = "");
  ChildProcess& master() { return *master_; }
  // Kills it and waits for it to be gone.
  void KillMaster();
  const std::string& master_address() const { return master_address_; }  // "127.0.0.1:PORT"
  const std::string& master_http() const { return master_http_; }        // "http://127.0.0.1:PORT"

  // Starts agent `name` dialling the master with the certificate of `certificate` (default: its
  // own, made on first use); waits until it is serving (not until it registered).
  Slothd& StartAgent(const std::string& name, const std::string& certificate = "",
                     const std::string& extra_config = "");
  Slothd& agent(const std::string& name) { return *agents_.at(name); }
  // Waits for the `count`th registration of the agent with the master (its own log).
  bool WaitRegistered(const std::string& name, size_t count = 1);
  void StopAgent(const std::string& name) { agents_.erase(name); }

  // slothctl with the operator's certificate (alice); `args` after the master flags.
  CtlResult Ctl(std::vector<std::string> args, const std::vector<std::string>& env = {});
  // slothctl with the given credential flags instead of alice's.
  CtlResult CtlWith(const std::vector<std::string>& credentials, std::vector<std::string> args,
                    const std::vector<std::string>& env = {});
  // `agent list -o json`'s agents by name.
  std::map<std::string, nlohmann::json> Agents();
  // The master's own metric sample, e.g. Metric("sloth_master_auth_failures_total{reason=\"bad_token\"}").
  double MasterMetric(const std::string& sample);

 private:
  Options options_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> master_;
  uint16_t master_port_ = 0;
  std::string master_address_;
  std::string master_http_;
  std::map<std::string, std::unique_ptr<Slothd>> agents_;
};

}  // namespace sloth::test
