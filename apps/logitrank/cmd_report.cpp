// `logitrank report` (placeholder until its issue lands).
#include "commands.h"
#include "io/error.h"

namespace logitrank::app {

Handler add_report_command(CLI::App& app) {
  app.add_subcommand("report", "not implemented yet");
  return [] () -> int { throw InputError("report: not implemented yet"); };
}

}  // namespace logitrank::app
