#pragma once
// The error of a distributed run that cannot go on (a lost rank, a rendezvous that did not form, a
// collective that timed out): exit code 1, and the process ends right after reporting it, since the
// communicator's threads may still be waiting on the lost peers.
#include "errors.hpp"

namespace ftcore::dist {

class Failure : public RunError {
 public:
  using RunError::RunError;
};

}  // namespace ftcore::dist
