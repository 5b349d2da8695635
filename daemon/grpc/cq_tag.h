#pragma once
// The completion-queue pattern of slothd's asynchronous gRPC servers (the control front end and
// the master): a tag names a call and which of its operations finished, and the thread that
// drives the queue hands each tag back to its call.
// Threads: Proceed runs on the completion-queue thread.

namespace sloth {

class Call {
 public:
  virtual ~Call() = default;
  virtual void Proceed(int op, bool ok) = 0;
};

struct Tag {
  Call* call;
  int op;
};

}  // namespace sloth
