#pragma once
// Shared helpers for the CLI tests: run the built `logitrank` binary (LOGITRANK_BINARY) in a
// child process, read its stderr, parse heads.csv / softmax.csv by column name.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace logitrank::clitest {

namespace fs = std::filesystem;

// A fresh, empty folder under the system temp dir, unique per test process.
inline fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("logitrank_test_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Starts the binary with args; stdout to /dev/null, stderr to err_file. Returns the pid (-1 on failure).
inline pid_t spawn_logitrank(const std::vector<std::string>& args, const fs::path& err_file) {
  std::vector<std::string> all = {LOGITRANK_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Exit status, or 128 + signal number when the child was killed.
inline int wait_exit_status(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct RunResult {
  int status;
  std::string err;
};

// Runs `logitrank args...` to completion; stderr is kept in tmp/stderr.txt and returned.
inline RunResult run_logitrank(const std::vector<std::string>& args, const fs::path& tmp) {
  fs::path err = tmp / "stderr.txt";
  pid_t pid = spawn_logitrank(args, err);
  if (pid < 0) return {-1, "spawn failed"};
  int st = wait_exit_status(pid);
  return {st, slurp(err)};
}

// A CSV file with a header line; cells split on ',' (the tool's CSVs carry no quoted commas).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  int col(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    throw std::runtime_error("CSV has no column '" + name + "'");
  }
  const std::string& cell(std::size_t row, const std::string& name) const {
    return rows.at(row).at(col(name));
  }
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string c;
  std::stringstream ss(line);
  while (std::getline(ss, c, ',')) cells.push_back(c);
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

inline Csv read_csv(const fs::path& p) {
  Csv csv;
  std::istringstream in(slurp(p));
  std::string line;
  if (std::getline(in, line)) csv.header = split_csv_line(line);
  while (std::getline(in, line))
    if (!line.empty()) csv.rows.push_back(split_csv_line(line));
  return csv;
}

}  // namespace logitrank::clitest
