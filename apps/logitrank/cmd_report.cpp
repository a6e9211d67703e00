// `logitrank report DIR... [--out DIR] [--format md,csv,json,tex] [--no-figures]`:
// merges result folders (one per model/job) into the cross-model tables and figures.
#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "io/error.h"
#include "report/figures.h"
#include "report/results.h"

namespace logitrank::app {

namespace fs = std::filesystem;

namespace {

struct ReportOptions {
  std::vector<std::string> dirs;
  std::string out;
  std::string format = "md,csv,json,tex";
  bool no_figures = false;
};

std::set<std::string> parse_formats(const std::string& spec) {
  static const std::set<std::string> known = {"md", "csv", "json", "tex"};
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    std::string f = spec.substr(start, end - start);
    if (!f.empty()) {
      if (!known.count(f))
        throw InputError("--format: unknown format '" + f + "' (expected md, csv, json, tex)");
      out.insert(f);
    }
    start = end + 1;
  }
  if (out.empty()) throw InputError("--format: no format given (expected md, csv, json, tex)");
  return out;
}

int run_report(const ReportOptions& o) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return 0;  // report is a single-process command

  std::set<std::string> formats = parse_formats(o.format);
  fs::path out;
  if (!o.out.empty())
    out = o.out;
  else if (o.dirs.size() == 1)
    out = o.dirs[0];
  else
    throw InputError("report: --out DIR is required when merging more than one results folder");

  std::vector<report::ResultFolder> folders;
  std::vector<fs::path> dirs;
  for (const auto& d : o.dirs) {
    folders.push_back(report::read_results_folder(d));
    dirs.emplace_back(d);
  }
  std::vector<report::HeadRow> rows = report::merge_rows(folders);
  report::Summary s = report::summarize(rows);

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) throw InputError(out.string() + ": cannot create output folder");
  std::vector<std::string> written;
  auto put = [&](const char* name, const std::string& text) {
    report::write_file_atomic(out / name, text);
    written.push_back((out / name).string());
  };
  if (formats.count("md")) put("summary.md", report::summary_markdown(s));
  if (formats.count("csv")) put("summary.csv", report::summary_csv(s));
  if (formats.count("json")) put("summary.json", report::summary_json(s).dump(2) + "\n");
  if (formats.count("tex")) put("summary.tex", report::summary_tex(s));

  std::printf("logitrank report: %zu rows, %zu models from %zu folder(s)\n", rows.size(), s.models.size(),
              folders.size());
  std::printf("%s\n", report::headline(s).c_str());
  for (const auto& w : written) std::printf("wrote %s\n", w.c_str());
  std::fflush(stdout);

  if (o.no_figures) return 0;
  report::FigureResult fr = report::make_figures(dirs, out);
  std::fprintf(fr.status == report::FigureResult::Status::Written ? stdout : stderr, "logitrank report: %s\n",
               fr.message.c_str());
  return fr.status == report::FigureResult::Status::Failed ? 1 : 0;
}

}  // namespace

Handler add_report_command(CLI::App& app) {
  auto opts = std::make_shared<ReportOptions>();
  CLI::App* sub =
      app.add_subcommand("report", "merge result folders into the cross-model tables and figures");
  sub->add_option("dirs", opts->dirs, "results folders written by `logitrank run`")->required();
  sub->add_option("--out", opts->out, "output folder (default: the folder, when there is one)");
  sub->add_option("--format", opts->format, "comma-separated: md,csv,json,tex (default: all)");
  sub->add_flag("--no-figures", opts->no_figures, "write the tables only");
  return [opts]() -> int { return run_report(*opts); };
}

}  // namespace logitrank::app
