// `logitrank inspect` (placeholder until its issue lands).
#include "commands.h"
#include "io/error.h"

namespace logitrank::app {

Handler add_inspect_command(CLI::App& app) {
  app.add_subcommand("inspect", "not implemented yet");
  return [] () -> int { throw InputError("inspect: not implemented yet"); };
}

}  // namespace logitrank::app
