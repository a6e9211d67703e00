// `logitrank make-checkpoint` (placeholder until its issue lands).
#include "commands.h"
#include "io/error.h"

namespace logitrank::app {

Handler add_make_checkpoint_command(CLI::App& app) {
  app.add_subcommand("make-checkpoint", "not implemented yet");
  return [] () -> int { throw InputError("make-checkpoint: not implemented yet"); };
}

}  // namespace logitrank::app
