#include "force-epochs/force_epochs.hpp"

#include <cstdio>

namespace ftcore::modes {

std::string ForceEpochs::summary() const {
  char text[120];
  std::snprintf(text, sizeof text, "force-epochs: all %g epoch(s), no auto-stop", epochs_);
  return text;
}

}  // namespace ftcore::modes
