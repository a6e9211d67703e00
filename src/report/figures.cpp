#include "report/figures.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

extern char** environ;

namespace logitrank::report {

namespace fs = std::filesystem;

namespace {

// Runs argv[0] (looked up on PATH) and returns its exit status (-1 if it could not start).
// quiet: stdout and stderr go to /dev/null.
int spawn_wait(const std::vector<std::string>& args, bool quiet) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (quiet) {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

fs::path self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

}  // namespace

fs::path find_figures_script() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("LOGITRANK_FIGURES_SCRIPT"); env && *env) candidates.emplace_back(env);
  if (fs::path exe = self_exe(); !exe.empty()) {
    fs::path bin = exe.parent_path();
    candidates.push_back(bin / ".." / ".." / "scripts" / "figures.py");       // build/bin/logitrank
    candidates.push_back(bin / ".." / "share" / "logitrank" / "figures.py");  // installed
    candidates.push_back(bin / ".." / "scripts" / "figures.py");
  }
  // The source tree (CMake compiles with absolute paths): src/report/figures.cpp -> root.
  candidates.push_back(fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" /
                       "figures.py");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return fs::weakly_canonical(c, ec);
  }
  return {};
}

std::string find_python_with_matplotlib() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("LOGITRANK_PYTHON"); env && *env) {
    candidates.emplace_back(env);  // an explicit choice: no fallback
  } else {
    candidates.emplace_back("python3");
    candidates.emplace_back("/usr/bin/python3");
  }
  for (const auto& py : candidates)
    if (spawn_wait({py, "-c", "import matplotlib, numpy"}, true) == 0) return py;
  return {};
}

FigureResult make_figures(const std::vector<fs::path>& dirs, const fs::path& out) {
  FigureResult r;
  std::string py = find_python_with_matplotlib();
  if (py.empty()) {
    r.message =
        "figures skipped: python3-matplotlib not found (apt-get install python3-matplotlib, or run "
        "scripts/setup.sh)";
    return r;
  }
  fs::path script = find_figures_script();
  if (script.empty()) {
    r.message = "figures skipped: scripts/figures.py not found (set LOGITRANK_FIGURES_SCRIPT to its path)";
    return r;
  }
  std::vector<std::string> args = {py, script.string(), "--out", (out / "figures").string()};
  for (const auto& d : dirs) args.push_back(d.string());
  int rc = spawn_wait(args, false);
  if (rc != 0) {
    r.status = FigureResult::Status::Failed;
    r.message =
        fmt::format("figures failed: {} exited with status {} (tables were written)", script.string(), rc);
    return r;
  }
  r.status = FigureResult::Status::Written;
  r.message = "figures written to " + (out / "figures").string();
  return r;
}

}  // namespace logitrank::report
