// `logitrank tokenize` (placeholder until its issue lands).
#include "commands.h"
#include "io/error.h"

namespace logitrank::app {

Handler add_tokenize_command(CLI::App& app) {
  app.add_subcommand("tokenize", "not implemented yet");
  return [] () -> int { throw InputError("tokenize: not implemented yet"); };
}

}  // namespace logitrank::app
