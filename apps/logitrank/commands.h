#pragma once
// Each subcommand lives in its own cmd_<name>.cpp: `add_<name>_command` registers its
// flags on the CLI11 app and returns the handler that main() calls when it is chosen.
// A handler returns the exit status; it may throw logitrank::InputError (exit 2).
#include <CLI/CLI.hpp>
#include <functional>

namespace logitrank::app {

using Handler = std::function<int()>;

Handler add_run_command(CLI::App& app);
Handler add_report_command(CLI::App& app);
Handler add_tokenize_command(CLI::App& app);
Handler add_inspect_command(CLI::App& app);
Handler add_make_checkpoint_command(CLI::App& app);

}  // namespace logitrank::app
