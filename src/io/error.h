#pragma once
// Error kinds that decide the process exit status (INTERFACE.md):
//   InputError    -> exit 2: bad usage or bad input; the message is one line naming
//                    the file, tensor or key at fault.
//   anything else -> exit 1: internal error.
#include <stdexcept>
#include <string>

namespace logitrank {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace logitrank
