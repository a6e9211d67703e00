// `logitrank run`: flags -> dist::RunRequest -> dist::run (every rank). See src/dist/run.h
// for the flow, exit statuses (0 ok, 1 internal, 2 bad input, 3 interrupted: rerun with
// --resume) and signals; src/dist/run_config.h for the config keys.
#include <mpi.h>

#include <memory>

#include "commands.h"
#include "dist/run.h"

namespace logitrank::app {

Handler add_run_command(CLI::App& app) {
  auto req = std::make_shared<dist::RunRequest>();
  auto* cmd = app.add_subcommand("run", "compute per-head field and weight spectra, write a results folder");
  auto opt_path = [&](const char* flag, std::optional<std::string>& dst, const char* help) {
    cmd->add_option_function<std::string>(
        flag, [&dst](const std::string& v) { dst = v; }, help);
  };
  cmd->add_option_function<std::string>(
      "--config", [req](const std::string& v) { req->config = v; }, "YAML run configuration");
  cmd->add_option("--model", req->models, "Hugging Face checkpoint folder or llama2.c .bin (repeatable)");
  opt_path("--tokenizer", req->tokenizer, "tokenizer.json / tokenizer.model / llama2.c tok*.bin");
  cmd->add_option("--text", req->texts, "UTF-8 text file (repeatable)");
  cmd->add_option("--token-ids", req->token_ids,
                  "whitespace-separated token ids, used as given (repeatable)");
  cmd->add_flag("--no-bos", req->no_bos, "do not prepend BOS to text windows");
  cmd->add_option("--qk", req->qk, "precomputed queries/keys safetensors (repeatable)");
  cmd->add_option_function<int>(
      "--seq-len", [req](int v) { req->seq_len = v; }, "tokens per window");
  cmd->add_option_function<int>(
      "--windows", [req](int v) { req->windows = v; }, "windows per text (default 1)");
  cmd->add_option_function<int>(
      "--stride", [req](int v) { req->stride = v; }, "tokens between window starts");
  opt_path("--layers", req->layers, "\"all\", \"0-5\" or \"0,3,11\"");
  opt_path("--method", req->method, "factored (default) | dense | scalapack");
  cmd->add_flag("--softmax-check", req->softmax_check, "also compute the softmax truncation curve and bound");
  opt_path("--out", req->out, "results folder (default results/<UTC timestamp>)");
  cmd->add_flag("--resume", req->resume, "reuse finished work units found in --out");
  cmd->add_option("--set", req->sets, "override a config key: key=value (repeatable)");
  return [req]() -> int { return dist::run(*req, MPI_COMM_WORLD); };
}

}  // namespace logitrank::app
