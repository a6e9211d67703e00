#pragma once
// Running scripts/figures.py (matplotlib) for `logitrank report`. The figures are an
// optional extra: when Python or matplotlib is missing the caller still has its tables.
#include <filesystem>
#include <string>
#include <vector>

namespace logitrank::report {

struct FigureResult {
  enum class Status { Written, Skipped, Failed } status = Status::Skipped;
  std::string message;  // one line for the user
};

// Where figures.py is: $LOGITRANK_FIGURES_SCRIPT; beside the executable
// (<exe>/../../scripts, <exe>/../share/logitrank, <exe>/../scripts); the source tree this
// library was built from. Empty when none exists.
std::filesystem::path find_figures_script();

// A Python 3 interpreter that imports matplotlib and numpy: $LOGITRANK_PYTHON alone when
// set, else python3 on PATH, then /usr/bin/python3 (a pyenv/venv python3 on PATH often lacks Debian's
// matplotlib). Empty when none does.
std::string find_python_with_matplotlib();

// Runs `python figures.py --out <out>/figures DIR...`.
FigureResult make_figures(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& out);

}  // namespace logitrank::report
