#pragma once
// Where the master is and how slothctl proves who the operator is (doc/fleet.md): mutual TLS
// with the operator's certificate, or a bearer token over TLS. Chosen from --master (else
// $SLOTH_MASTER) and the --master-* flags; the token only from a file or $SLOTH_TOKEN, never argv.
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

namespace sloth::ctl {

struct MasterEndpoint {
  std::string address;     // host:port
  std::string cacert;      // PEM: the CA that signed the master's certificate; empty: the system's roots
  std::string cert, key;   // PEM: the operator's client certificate; empty: none (a token then)
  std::string token_file;  // the bearer token's file (its first line)
  std::string token;       // the bearer token itself ($SLOTH_TOKEN); the file wins
  bool insecure = false;   // plaintext, for a master with [master] insecure = true
};

// "master 10.0.0.5:50053", as messages name it.
std::string MasterTarget(const MasterEndpoint& master);

// A channel to the master; the files are read now. Throws CtlError (exit 2) when one cannot be
// read, naming the flag.
std::shared_ptr<grpc::Channel> DialMaster(MasterEndpoint& master);

// Adds the operator's bearer token, if any, to a call (after DialMaster has read it).
void AuthorizeCall(grpc::ClientContext& context, const MasterEndpoint& master);

}  // namespace sloth::ctl
