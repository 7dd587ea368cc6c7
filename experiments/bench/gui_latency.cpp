// Event-loop latency of the workbench under load (issue 5): the real main window (all panels),
// a results.h5 with 2,000 sub-networks, and a real `omnisparse train` child process.
//
//   build/bin/bench_gui_latency [--rows 2000] [--seconds 6] [--work /tmp/os-gui-latency]
//
// A 5 ms PreciseTimer runs on the GUI thread during every phase; its lateness (time between two
// timeouts minus 5 ms) is what a user feels as a stuck window. Phases, in order, same process:
//   idle          window shown, one small run open (the baseline of the ratios)
//   load          open the 2,000-row run (results.h5 read, Pareto plot + table + masks built)
//   browse        the 2,000-row run open; a point is selected every 40 ms (plot, table and the
//                 mask panel follow), the table re-sorted every 500 ms
//   trainer       a real `omnisparse train` runs as a child; the training panel tails its
//                 events.jsonl and stdout and redraws the curves
//   trainer+browse both at once
// Prints a markdown table (p50 / p95 / p99 / max lateness in ms, and p99 against idle).
// The 2,000 rows are sub-networks of a real tiny omni run (real layer names, ranks and exact
// sizes, per-layer levels drawn from the ladder); their WER values are synthetic (a smooth
// function of size plus noise), because evaluating 2,000 configs is not what is measured here.
#include <QApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <random>

#include "app/workbench/main_window.h"
#include "core/eval/pareto.h"
#include "core/eval/run_model.h"
#include "core/eval/subnet_eval.h"
#include "core/io/results_store.h"
#include "core/io/run_dir.h"
#include "widgets/facade/run_facade.h"
#include "widgets/pareto_panel.h"
#include "widgets/training_panel.h"

namespace fs = std::filesystem;
using namespace omnisparse;

namespace {

void must_run(const QString& program, const QStringList& args) {
  QProcess p;
  p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
  p.start(program, args);
  if (!p.waitForFinished(-1) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
    throw std::runtime_error(fmt::format("'{} {}' failed", program.toStdString(),
                                         args.join(' ').toStdString()));
}

// Adds `rows` sub-networks of random per-layer levels to RUN/results.h5 (one save).
void add_rows(const fs::path& run, int rows) {
  RunModel rm = RunModel::Load(run);
  const auto ladder = std::vector<double>{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
  ResultsStore store = ResultsStore::open_read_only(RunDir::open(run).results_path());
  ResultsStore w = ResultsStore::open_or_create(store.path(), store.fingerprint(), store.layer_names());
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<size_t> pick(0, ladder.size() - 1);
  std::normal_distribution<double> noise(0, 0.02);
  std::vector<SubnetResult> out;
  for (int i = 0; i < rows; ++i) {
    std::vector<double> levels(rm.specs.size());
    for (auto& l : levels) l = ladder[pick(rng)];
    SubnetConfig c = SubnetConfig::Explicit([&] {
      std::vector<std::string> n;
      for (const auto& s : rm.specs) n.push_back(s.name);
      return n;
    }(), levels);
    SubnetResult r = describe_subnet(rm, c, "evo");
    const double s = 1.0 - double(r.nonzero_params) / double(r.total_params);
    EvalMetrics m;
    m.wer = std::clamp(0.2 + 0.8 * std::pow(s, 3) + noise(rng), 0.0, 1.5);
    m.cer = m.wer * 0.6;
    m.num_utts = 100;
    r.evals["dev"] = m;
    r.rtf = 0.01 * (1 - s);
    r.latency_ms = 3.2 * (1 - s);
    out.push_back(std::move(r));
  }
  w.add_or_update(out);
}

struct Probe {
  static constexpr int kIntervalMs = 5;
  QTimer timer;
  QElapsedTimer clock;
  qint64 last_ns = 0;
  std::vector<double> late_ms;
  Probe() {
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(kIntervalMs);
    QObject::connect(&timer, &QTimer::timeout, [this] {
      const qint64 now = clock.nsecsElapsed();
      if (last_ns > 0) late_ms.push_back(std::max(0.0, (now - last_ns) / 1e6 - kIntervalMs));
      last_ns = now;
    });
  }
  void start() {
    late_ms.clear();
    clock.start();
    last_ns = 0;
    timer.start();
  }
  void stop() { timer.stop(); }
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())))];
}

// Runs the event loop for `ms` while `tick` (if any) fires every `tick_ms`.
void pump(int ms, const std::function<void()>& tick = {}, int tick_ms = 40) {
  QEventLoop loop;
  QTimer t;
  if (tick) {
    QObject::connect(&t, &QTimer::timeout, tick);
    t.start(tick_ms);
  }
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
}

}  // namespace

int main(int argc, char** argv) {
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("omnisparse-bench");  // own QSettings, not the user's
  QApplication::setApplicationName("gui-latency");
  QSettings().clear();

  CLI::App cli{"Workbench event-loop latency under load"};
  int rows = 2000;
  double seconds = 6;
  std::string work = "/tmp/omnisparse-gui-latency";
  std::string omni_cli = (fs::path(argv[0]).parent_path() / "omnisparse").string();
  cli.add_option("--rows", rows, "Sub-networks in the large results.h5");
  cli.add_option("--seconds", seconds, "Seconds per phase");
  cli.add_option("--work", work, "Work directory (recreated)");
  cli.add_option("--cli", omni_cli, "The omnisparse CLI (the trainer)");
  CLI11_PARSE(cli, argc, argv);

  try {
    const fs::path w = work;
    fs::remove_all(w);
    fs::create_directories(w);
    const QString bin = QString::fromStdString(omni_cli);
    const QString corpus = QString::fromStdString((w / "corpus").string());
    const QString small = QString::fromStdString((w / "small").string());
    const QString big = QString::fromStdString((w / "big").string());
    const QString live = QString::fromStdString((w / "trainer-run").string());
    fmt::print(stderr, "preparing: corpus, two tiny omni runs, {} rows...\n", rows);
    must_run(bin, {"synth", "--out", corpus, "--utterances", "60", "--seed", "3"});
    for (const QString& run : {small, big}) {
      must_run(bin, {"train", "--data", corpus, "--run", run, "--mode", "omni", "--steps", "6",
                     "--eval-every", "1000", "--checkpoint-every", "1000"});
      must_run(bin, {"pareto", "--run", run, "--data", corpus, "--levels", "0", "0.5", "0.8",
                     "0.9"});
    }
    add_rows(big.toStdString(), rows);

    workbench::MainWindow win;
    win.resize(1400, 900);
    win.show();
    win.openRun(small);
    win.showPanel("pareto");
    pump(500);

    struct Row {
      std::string phase, note;
      std::vector<double> late;
    };
    std::vector<Row> table;
    Probe probe;
    const int ms = static_cast<int>(seconds * 1000);
    auto* pareto = win.paretoPanel();
    std::mt19937 rng(1);
    int browse_count = 0;
    auto browse = [&] {
      const int r = pareto->runs().size() - 1;
      if (r < 0 || pareto->runs()[r].rows.isEmpty()) return;
      std::uniform_int_distribution<int> pick(0, pareto->runs()[r].rows.size() - 1);
      pareto->select(r, pick(rng));
      if (++browse_count % 12 == 0) {
        pareto->table()->sortByColumn(browse_count / 12 % 4,
                                      browse_count % 24 ? Qt::AscendingOrder : Qt::DescendingOrder);
      }
    };

    probe.start();
    pump(ms);
    probe.stop();
    table.push_back({"idle", "window shown, one small run open", probe.late_ms});

    probe.start();
    QElapsedTimer load_clock;
    double load_ms = 0, read_ms = 0;
    QTimer::singleShot(50, [&] {
      load_clock.start();
      QString err;
      (void)widgets::load_run_results(big, &err);  // the file read alone, for the note
      read_ms = load_clock.nsecsElapsed() / 1e6;
      load_clock.start();
      win.openRun(big);
      win.selectFirstFrontSubnet();
      load_ms = load_clock.nsecsElapsed() / 1e6;
    });
    pump(ms);
    probe.stop();
    const int loaded = pareto->run(big) ? pareto->run(big)->rows.size() : 0;
    table.push_back({"load", fmt::format("open the {}-row run: {:.0f} ms in openRun, of which reading results.h5 ~{:.0f} ms", loaded, load_ms, read_ms),
                     probe.late_ms});

    probe.start();
    pump(ms, browse);
    probe.stop();
    table.push_back({"browse", fmt::format("{} selections (plot, table, masks), re-sorts", browse_count),
                     probe.late_ms});

    auto* training = win.trainingPanel();
    training->setRunDirectory(live);
    training->setDataDirectory(corpus);
    training->findChild<QSpinBox*>("budget")->setValue(100000);
    training->launch();
    // The child loads torch and its data first; measure once it reports training steps.
    for (int i = 0; i < 240 && training->history().step() < 10; ++i) pump(250);
    const qint64 step0 = training->history().step();
    probe.start();
    pump(ms);
    probe.stop();
    table.push_back({"trainer", fmt::format("real `omnisparse train` child, steps {} -> {} in the phase ({})", step0, training->history().step(), training->progressText().toStdString()),
                     probe.late_ms});

    browse_count = 0;
    probe.start();
    pump(ms, browse);
    probe.stop();
    table.push_back({"trainer+browse", fmt::format("both; {} selections", browse_count), probe.late_ms});
    if (!training->isTrainerRunning())
      fmt::print(stderr, "the trainer is not running: {}\n", training->messages().toStdString());
    training->stop();
    pump(1500);

    const double idle_p99 = pct(table[0].late, 99);
    fmt::print("| phase | timer ticks | p50 ms | p95 ms | p99 ms | max ms | p99 / idle p99 | what |\n");
    fmt::print("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (const auto& r : table) {
      const double p99 = pct(r.late, 99);
      fmt::print("| {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.1f} | {:.1f}x | {} |\n", r.phase,
                 r.late.size(), pct(r.late, 50), pct(r.late, 95), p99,
                 r.late.empty() ? NAN : *std::max_element(r.late.begin(), r.late.end()),
                 idle_p99 > 0 ? p99 / idle_p99 : NAN, r.note);
    }
    fmt::print("\n(lateness of a 5 ms timer on the GUI thread; {} s per phase; offscreen platform)\n",
               seconds);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_gui_latency: {}\n", e.what());
    return 1;
  }
  return 0;
}
