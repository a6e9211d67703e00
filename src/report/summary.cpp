// The cross-model summary (the paper's table): statistics per model, and the same
// numbers as Markdown, CSV, JSON and LaTeX (booktabs).
//
// Which rows feed which statistic:
//   field_k90            every (text, window, layer, head) row of the model
//   weight_k90           every distinct (layer, head) with weight columns
//   erank_gap, k90_gap   every row with a gap (weight erank / field erank of that row)
// Medians of an even count are the mean of the two middle values.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "report/csv.h"
#include "report/results.h"

namespace logitrank::report {

Stats compute_stats(std::vector<double> v) {
  Stats s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  std::size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  // Sum in sorted order: deterministic whatever the input order.
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(n);
  return s;
}

Summary summarize(const std::vector<HeadRow>& rows) {
  struct Acc {
    std::set<std::pair<int, int>> heads;
    std::set<std::string> texts;
    std::set<std::pair<std::string, int>> windows;
    std::map<std::pair<int, int>, double> weight_k90;
    std::vector<double> field_k90, erank_gap, k90_gap;
    std::size_t rows = 0;
    int head_dim = 0;
  };
  std::map<std::string, Acc> acc;
  for (const auto& r : rows) {
    Acc& a = acc[r.model];
    a.rows++;
    a.heads.insert({r.layer, r.head});
    a.texts.insert(r.text);
    a.windows.insert({r.text, r.window});
    a.head_dim = std::max(a.head_dim, r.head_dim);
    a.field_k90.push_back(r.field.k90);
    if (r.weight) a.weight_k90[{r.layer, r.head}] = r.weight->k90;
    if (r.erank_gap) a.erank_gap.push_back(*r.erank_gap);
    if (r.k90_gap) a.k90_gap.push_back(*r.k90_gap);
  }
  Summary s;
  for (auto& [model, a] : acc) {
    ModelSummary m;
    m.model = model;
    m.heads = a.heads.size();
    m.rows = a.rows;
    m.head_dim = a.head_dim;
    m.texts = a.texts.size();
    m.windows = a.windows.size();
    m.field_k90 = compute_stats(a.field_k90);
    if (!a.weight_k90.empty()) {
      std::vector<double> w;
      for (const auto& [k, v] : a.weight_k90) w.push_back(v);
      m.weight_k90 = compute_stats(w);
    }
    if (!a.erank_gap.empty()) m.erank_gap = compute_stats(a.erank_gap);
    if (!a.k90_gap.empty()) m.k90_gap = compute_stats(a.k90_gap);
    s.models.push_back(std::move(m));
  }
  return s;
}

namespace {

// k values: integers plainly, half-integers (medians) and means with one decimal.
std::string fmt_k(double x) {
  if (x == std::floor(x) && std::abs(x) < 1e15) return fmt::format("{}", static_cast<long long>(x));
  return fmt::format("{:.1f}", x);
}
std::string fmt_gap(double x) { return fmt::format("{:.2f}", x); }

std::string triple(const Stats& s, std::string (*f)(double), std::string_view sep) {
  return f(s.min) + std::string(sep) + f(s.median) + std::string(sep) + f(s.max);
}

struct Range {
  double lo = 0, hi = 0;
  bool any = false;
  void add(const Stats& s) {
    if (!any) {
      lo = s.min;
      hi = s.max;
      any = true;
    } else {
      lo = std::min(lo, s.min);
      hi = std::max(hi, s.max);
    }
  }
};

std::string tex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string md_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

nlohmann::json stats_json(const Stats& s, bool with_mean) {
  nlohmann::json j = nlohmann::json::object();
  j["min"] = s.min;
  j["median"] = s.median;
  j["max"] = s.max;
  if (with_mean) j["mean"] = s.mean;
  return j;
}

}  // namespace

std::string headline(const Summary& s) {
  Range f, w, g;
  for (const auto& m : s.models) {
    f.add(m.field_k90);
    if (m.weight_k90) w.add(*m.weight_k90);
    if (m.erank_gap) g.add(*m.erank_gap);
  }
  std::string out = "field k90 " + (f.any ? fmt_k(f.lo) + "–" + fmt_k(f.hi) : std::string("n/a"));
  out += ", weight k90 " + (w.any ? fmt_k(w.lo) + "–" + fmt_k(w.hi) : std::string("n/a"));
  out += ", gap " + (g.any ? fmt::format("{:.1f}–{:.1f}×", g.lo, g.hi) : std::string("n/a"));
  return out;
}

std::string summary_markdown(const Summary& s) {
  std::string out = "# logitrank summary\n\n";
  out +=
      "| model | heads analysed | d_h | field k90 (min / median / max) | weight k90 (min / median / max) | "
      "effective-rank gap (min / median / max) |\n";
  out += "|---|---:|---:|:---:|:---:|:---:|\n";
  for (const auto& m : s.models) {
    out += fmt::format("| {} | {} ({} rows) | {} | {} | {} | {} |\n", md_escape(m.model), m.heads, m.rows,
                       m.head_dim, triple(m.field_k90, fmt_k, " / "),
                       m.weight_k90 ? triple(*m.weight_k90, fmt_k, " / ") : std::string("–"),
                       m.erank_gap ? triple(*m.erank_gap, fmt_gap, "× / ") + "×" : std::string("–"));
  }
  out += "\n**Headline:** " + headline(s) + "\n\n";
  out +=
      "Field k90: components for 90% of the variance of the row-centered logit field, over every "
      "(text, window, layer, head). Weight k90: the same for W_Q,hᵀ W_K,g, over every (layer, head). "
      "Gap: erank(W_Q,hᵀ W_K,g) / erank(field) per row.\n";
  return out;
}

std::string summary_csv(const Summary& s) {
  std::string out =
      "model,heads,rows,d_h,texts,windows,field_k90_min,field_k90_median,field_k90_max,field_k90_mean,"
      "weight_k90_min,weight_k90_median,weight_k90_max,weight_k90_mean,"
      "erank_gap_min,erank_gap_median,erank_gap_max,erank_gap_mean,k90_gap_min,k90_gap_median,k90_gap_max,"
      "k90_gap_mean\n";
  auto four = [](const std::optional<Stats>& st) {
    if (!st) return std::string(",,,");
    return fmt::format("{},{},{},{}", st->min, st->median, st->max, st->mean);
  };
  for (const auto& m : s.models) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", csv::quote(m.model), m.heads, m.rows, m.head_dim,
                       m.texts, m.windows, four(m.field_k90), four(m.weight_k90), four(m.erank_gap),
                       four(m.k90_gap));
  }
  return out;
}

nlohmann::json summary_json(const Summary& s) {
  nlohmann::json models = nlohmann::json::array();
  Range f, w, g;
  for (const auto& m : s.models) {
    nlohmann::json j;
    j["model"] = m.model;
    j["heads"] = m.heads;
    j["rows"] = m.rows;
    j["d_h"] = m.head_dim;
    j["texts"] = m.texts;
    j["windows"] = m.windows;
    j["field_k90"] = stats_json(m.field_k90, true);
    j["weight_k90"] = m.weight_k90 ? stats_json(*m.weight_k90, true) : nlohmann::json();
    j["erank_gap"] = m.erank_gap ? stats_json(*m.erank_gap, true) : nlohmann::json();
    j["k90_gap"] = m.k90_gap ? stats_json(*m.k90_gap, true) : nlohmann::json();
    models.push_back(std::move(j));
    f.add(m.field_k90);
    if (m.weight_k90) w.add(*m.weight_k90);
    if (m.erank_gap) g.add(*m.erank_gap);
  }
  auto range = [](const Range& r) { return r.any ? nlohmann::json::array({r.lo, r.hi}) : nlohmann::json(); };
  nlohmann::json out;
  out["models"] = std::move(models);
  out["headline"] = {
      {"field_k90", range(f)}, {"weight_k90", range(w)}, {"erank_gap", range(g)}, {"text", headline(s)}};
  return out;
}

std::string summary_tex(const Summary& s) {
  std::string out =
      "% logitrank summary (needs \\usepackage{booktabs})\n"
      "\\begin{table}[t]\n"
      "\\centering\n"
      "\\caption{Components for 90\\% of the variance ($k_{90}$) of the row-centered logit field and of the "
      "learned interaction $W_{Q,h}^\\top W_{K,g}$, and their effective-rank ratio (gap), per model.}\n"
      "\\label{tab:logitrank-summary}\n"
      "\\begin{tabular}{lrrccc}\n"
      "\\toprule\n"
      "Model & Heads & $d_h$ & Field $k_{90}$ & Weight $k_{90}$ & Gap \\\\\n"
      " & & & min / med / max & min / med / max & min / med / max \\\\\n"
      "\\midrule\n";
  for (const auto& m : s.models) {
    out += fmt::format("{} & {} & {} & {} & {} & {} \\\\\n", tex_escape(m.model), m.heads, m.head_dim,
                       triple(m.field_k90, fmt_k, " / "),
                       m.weight_k90 ? triple(*m.weight_k90, fmt_k, " / ") : std::string("--"),
                       m.erank_gap ? triple(*m.erank_gap, fmt_gap, " / ") + "$\\times$" : std::string("--"));
  }
  out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
  return out;
}

}  // namespace logitrank::report
