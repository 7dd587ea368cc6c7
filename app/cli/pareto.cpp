// omnisparse pareto: evaluate a run's sub-networks (uniform sweep + evolutionary search under
// size budgets) into RUN/results.h5, mark the Pareto front, print it (table or --json), plot it.
#include <cmath>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/pareto_report.h"
#include "core/common/error.h"
#include "core/stream/stream_timing.h"
#include "core/tensor/device.h"

#ifdef OMNISPARSE_WITH_QT
#include <QApplication>

#include "widgets/pareto_plot.h"
#endif

namespace omnisparse::cli {

namespace {

std::string percent(double x) { return std::isnan(x) ? "-" : fmt::format("{:.2f}", 100 * x); }

std::string count(int64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", n / 1e3);
  return std::to_string(n);
}

double wer_on(const SubnetResult& s, const std::string& set, bool cer = false) {
  auto it = s.evals.find(set);
  if (it == s.evals.end()) return NAN;
  return cer ? it->second.cer : it->second.wer;
}

std::string bytes(int64_t n) {
  if (n >= 1'000'000) return fmt::format("{:.2f}MB", n / 1e6);
  if (n >= 1'000) return fmt::format("{:.1f}kB", n / 1e3);
  return fmt::format("{}B", n);
}

}  // namespace

namespace {

void print_front(std::ostream& out, const ParetoJobReport& r, const std::string& set,
                 int64_t utterances, int64_t rows, const std::vector<SubnetResult>& front) {
  out << fmt::format("Pareto front on {} ({} utterances): {} of {} sub-networks\n", set,
                     utterances, front.size(), rows);
  out << fmt::format("{:<12} {:<30} {:>9} {:>7} {:>9} {:>7} {:>7} {:>7}\n", "id", "label", "nnz",
                     "% dense", "bytes", "WER %", "CER %", "RTF");
  for (const SubnetResult& s : front) {
    std::string label = s.label.size() > 30 ? s.label.substr(0, 29) + "~" : s.label;
    const double frac = r.dense_nonzero ? double(s.nonzero_params) / double(r.dense_nonzero) : NAN;
    out << fmt::format("{:<12} {:<30} {:>9} {:>7} {:>9} {:>7} {:>7} {:>7}\n", s.id, label,
                       count(s.nonzero_params), percent(frac), bytes(s.bytes_sparse),
                       percent(wer_on(s, set)), percent(wer_on(s, set, true)),
                       std::isnan(s.rtf) ? "-" : fmt::format("{:.4f}", s.rtf));
  }
}

nlohmann::json front_json(const ParetoJobReport& r, const std::string& set,
                          const std::vector<SubnetResult>& rows) {
  nlohmann::json front = nlohmann::json::array();
  for (const SubnetResult& s : rows) {
    front.push_back({{"id", s.id},
                     {"label", s.label},
                     {"source", s.source},
                     {"nnz", s.nnz},
                     {"nonzero_params", s.nonzero_params},
                     {"total_params", s.total_params},
                     {"fraction_of_dense", r.dense_nonzero ? double(s.nonzero_params) / double(r.dense_nonzero) : 0.0},
                     {"bytes_dense", s.bytes_dense},
                     {"bytes_sparse", s.bytes_sparse},
                     {"wer", wer_on(s, set)},
                     {"cer", wer_on(s, set, true)},
                     {"rtf", std::isnan(s.rtf) ? nlohmann::json() : nlohmann::json(s.rtf)},
                     {"latency_ms", std::isnan(s.latency_ms) ? nlohmann::json() : nlohmann::json(s.latency_ms)},
                     {"config", nlohmann::json::parse(s.config_json)}});
  }
  return front;
}

}  // namespace

void print_front_table(std::ostream& out, const ParetoJobReport& r) {
  print_front(out, r, r.set, r.set_utterances, r.rows, r.front);
  for (const SetFront& f : r.also) {
    out << "\n";
    print_front(out, r, f.set, f.set_utterances, f.rows, f.front);
    out << fmt::format("({}: {}; {} evaluated now)\n", f.set, f.data.string(), f.evaluated);
  }
  if (!r.also.empty()) out << "\n";
  for (const SearchSummary& q : r.searches) {
    out << fmt::format("search budget {} ({} {}): best {} WER {:.2f} % on {}; {} evaluated, {} "
                       "from results.h5\n",
                       q.budget_text, q.budget, to_string(q.metric), q.best_id,
                       100 * q.best_fitness, r.fitness_set, q.evaluated, q.cached);
  }
  out << fmt::format("{} evaluated now, {} already in {}\n", r.evaluated, r.cached,
                     r.results.string());
  out << "training cost: " << r.cost.summary() << "\n";
}

nlohmann::json report_json(const ParetoJobReport& r) {
  const nlohmann::json front = front_json(r, r.set, r.front);
  nlohmann::json also = nlohmann::json::array();
  for (const SetFront& f : r.also)
    also.push_back({{"set", f.set}, {"data", f.data.string()}, {"set_utterances", f.set_utterances},
                    {"rows", f.rows}, {"evaluated", f.evaluated}, {"front", front_json(r, f.set, f.front)}});
  nlohmann::json searches = nlohmann::json::array();
  for (const SearchSummary& q : r.searches) {
    searches.push_back({{"budget", q.budget_text},
                        {"metric", to_string(q.metric)},
                        {"budget_size", q.budget},
                        {"min_size", q.min_size},
                        {"best_id", q.best_id},
                        {"best_wer", q.best_fitness},
                        {"best_per_generation", q.best_per_generation},
                        {"evaluated", q.evaluated},
                        {"cached", q.cached}});
  }
  return {{"results", r.results.string()}, {"set", r.set},
          {"fitness_set", r.fitness_set},  {"set_utterances", r.set_utterances},
          {"evaluated", r.evaluated},      {"cached", r.cached},
          {"rows", r.rows},                {"dense_nonzero", r.dense_nonzero},
          {"front", front},                {"searches", searches},
          {"also", also},
          {"training_cost", r.cost.to_json()}};
}

#ifdef OMNISPARSE_WITH_QT
namespace {
// Every row of rep.results scored on `set`; named after the run directory, "(one-shot)" added
// when every row is the one-shot pruning of a dense run.
widgets::ParetoSeries plot_series(const ParetoJobReport& rep, const std::string& set) {
  const ResultsStore store = ResultsStore::open_read_only(rep.results);
  widgets::ParetoSeries series;
  series.name = QString::fromStdString(rep.results.parent_path().filename().string());
  bool all_oneshot = true;
  for (const SubnetResult& s : store.all()) {
    const double wer = wer_on(s, set);
    if (std::isnan(wer)) continue;
    all_oneshot = all_oneshot && s.source == "oneshot";
    widgets::SubnetRow row;
    row.id = QString::fromStdString(s.id);
    row.source = QString::fromStdString(s.source);
    row.label = QString::fromStdString(s.label);
    row.nnz = s.nonzero_params;
    row.total_params = s.total_params;
    row.bytes_dense = s.bytes_dense;
    row.bytes_sparse = s.bytes_sparse;
    row.wer = wer;
    row.cer = wer_on(s, set, true);
    row.rtf = s.rtf;
    row.latency_ms = s.latency_ms;
    row.pareto = s.pareto;
    for (float v : s.sparsity) row.levels.push_back(v);
    series.rows.push_back(row);
  }
  if (all_oneshot && !series.rows.empty()) series.name += " (one-shot)";
  return series;
}
}  // namespace
#endif

void render_front_plot(const ParetoJobReport& r, const std::filesystem::path& out,
                       const std::vector<ParetoJobReport>& overlays) {
#ifdef OMNISPARSE_WITH_QT
  // Offscreen before the QApplication exists: no display needed, same drawing as the GUI.
  setenv("QT_QPA_PLATFORM", "offscreen", 1);
  static int argc = 1;
  static char name[] = "omnisparse";
  static char* argv[] = {name, nullptr};
  // Qt's note that XDG_RUNTIME_DIR is unset (normal for a headless CLI) is not for our users.
  static const QtMessageHandler previous = qInstallMessageHandler(
      [](QtMsgType type, const QMessageLogContext& ctx, const QString& msg) {
        if (type == QtWarningMsg && msg.startsWith("QStandardPaths:")) return;
        if (previous) previous(type, ctx, msg);
      });
  static QApplication* app = QApplication::instance() ? nullptr : new QApplication(argc, argv);
  (void)app;
  QVector<widgets::ParetoSeries> series{plot_series(r, r.set)};
  for (const ParetoJobReport& o : overlays) series.push_back(plot_series(o, r.set));
  QString err;
  const QString title = QString("WER on %1 vs non-zero parameters").arg(QString::fromStdString(r.set));
  if (!widgets::render_pareto(series, QString::fromStdString(out.string()), QSize(1000, 650),
                              &err, title))
    throw IoError(out, err.toStdString());
#else
  (void)r;
  (void)overlays;
  throw InvalidArgument("cannot write " + out.string() +
                        ": this omnisparse was built headless (without Qt); plots need the Qt build");
#endif
}

namespace {

struct ParetoArgs {
  ParetoJobConfig job;
  std::vector<std::string> also;
  std::string search, metric = "nnz", plot;
  bool no_sweep = false;
};

void run_pareto(ParetoArgs& a) {
  configure_threads(globals().threads);
  ParetoJobConfig& c = a.job;
  if (!a.search.empty() && a.search != "evo")
    throw InvalidArgument("--search '" + a.search + "': the only search is evo");
  if (a.search == "evo" && c.budgets.empty())
    throw InvalidArgument("--search evo needs --budget (e.g. --budget 0.5,0.3 or 400k)");
  if (a.metric == "bytes") c.budget_metric = SizeMetric::kBytes;
  else if (a.metric != "nnz") throw InvalidArgument("--budget-metric must be nnz or bytes");
  c.sweep = !a.no_sweep;
  for (const std::string& x : a.also) c.also.push_back(parse_extra_eval_set(x));
  c.progress = !globals().quiet && !globals().json;
  c.eval.progress = false;
  c.stream_timing = time_subnet_streaming;  // RTF and chunk latency as `transcribe` streams
#ifndef OMNISPARSE_WITH_QT
  if (!a.plot.empty()) render_front_plot({}, a.plot);  // the headless error, before any work
#endif
  const ParetoJobReport r = run_pareto_job(c);
  if (!a.plot.empty()) render_front_plot(r, a.plot);
  if (globals().json) {
    nlohmann::json j = report_json(r);
    if (!a.plot.empty()) j["plot"] = a.plot;
    std::cout << j.dump() << "\n";
    return;
  }
  print_front_table(std::cout, r);
  if (!a.plot.empty()) std::cout << "plot: " << a.plot << "\n";
}

}  // namespace

static void pareto_command(CLI::App& root) {
  auto a = std::make_shared<ParetoArgs>();
  ParetoJobConfig& j = a->job;
  CLI::App* c = root.add_subcommand(
      "pareto", "Evaluate sub-networks (uniform sweep, evolutionary search) into RUN/results.h5 "
                "and print the Pareto front");
  c->add_option("--run", j.run, "Run directory")->required();
  c->add_option("--data", j.data, "Corpus root or a subset directory")->required();
  c->add_option("--set", j.set, "Subset of --data to evaluate on")->capture_default_str();
  c->add_option("--also", a->also,
                "More evaluation sets, NAME=PATH or PATH (a corpus, subset or manifest, e.g. "
                "real=voices/test): the sweep and each search's winner are scored on each, with "
                "a front per set (repeat for more)");
  c->add_option("--levels", j.levels, "Uniform sparsity levels to sweep (default: the run's ladder)")
      ->delimiter(',');
  c->add_flag("--no-sweep", a->no_sweep, "Skip the uniform sweep (search only)");
  c->add_flag("--oneshot", j.oneshot, "Dense run: prune its final weights one-shot by magnitude");
  c->add_option("--search", a->search, "Search per-layer configs: evo");
  c->add_option("--budget", j.budgets,
                "Size budgets, one search each: fractions of dense (0.5,0.3), non-zero "
                "params (400k, 1.2M) or bytes (900kB)")
      ->delimiter(',');
  c->add_option("--budget-metric", a->metric, "What a fraction budget measures: nnz | bytes")
      ->capture_default_str();
  c->add_option("--population", j.evo.population, "Search population")->capture_default_str();
  c->add_option("--generations", j.evo.generations, "Search generations after the first")
      ->capture_default_str();
  c->add_option("--mutation", j.evo.mutation_prob, "Mutation probability per layer")
      ->capture_default_str();
  c->add_option("--crossover", j.evo.crossover_prob, "Crossover probability")->capture_default_str();
  c->add_option("--selection", j.evo.selection, "Parent selection: tournament | top_k")
      ->capture_default_str();
  c->add_flag("--per-group", j.evo.per_group, "Search one level per layer group, not per layer");
  c->add_option("--subset", j.subset, "Search fitness on the first N utterances (0: the whole set)")
      ->capture_default_str();
  c->add_option("--seed", j.evo.seed, "Search seed")->capture_default_str();
  c->add_option("--beam", j.eval.beam, "Beam size; 0 or 1 = greedy")->check(CLI::Range(0, 64))->capture_default_str();
  c->add_option("--plot", a->plot, "Write the front plot (.png or .pdf)");
  c->callback([a] { run_pareto(*a); });
}
OMNISPARSE_COMMAND(50, pareto_command);

}  // namespace omnisparse::cli
