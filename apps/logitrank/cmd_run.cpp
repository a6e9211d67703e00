// `logitrank run` (placeholder until its issue lands).
#include "commands.h"
#include "io/error.h"

namespace logitrank::app {

Handler add_run_command(CLI::App& app) {
  app.add_subcommand("run", "not implemented yet");
  return [] () -> int { throw InputError("run: not implemented yet"); };
}

}  // namespace logitrank::app
