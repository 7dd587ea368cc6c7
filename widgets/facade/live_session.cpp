#include "widgets/facade/live_session.h"

#include <QMetaObject>

#include <cmath>
#include <filesystem>

#include "core/capture/audio_devices.h"
#include "core/capture/live_transcriber.h"
#include "core/common/error.h"
#include "core/eval/run_model.h"
#include "core/io/results_store.h"
#include "core/io/run_dir.h"
#include "core/stream/wave_stream.h"

namespace omnisparse::widgets {

QVector<LiveDevice> list_live_devices(QString* error) {
  QVector<LiveDevice> out;
  try {
    for (const InputDevice& d : list_input_devices())
      out.push_back({QString::fromStdString(d.id()), d.is_default, d.default_sample_rate,
                     d.max_input_channels});
    if (out.isEmpty() && error) *error = "No audio input device found";
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
  }
  return out;
}

QString LiveModelSpec::label() const {
  const QString search = beam > 1 ? QString(", beam %1").arg(beam) : QString();
  if (!subnet_id.isEmpty()) return subnet_id + search;
  return (sparsity <= 0 ? QString("dense") : QString("%1 % sparse").arg(sparsity * 100, 0, 'f', 0)) +
         search;
}

LiveSession::LiveSession(QObject* parent) : QObject(parent) {}

LiveSession::~LiveSession() {
  stop();
  if (thread_.joinable()) thread_.join();
}

bool LiveSession::start(const QString& device, const QVector<LiveModelSpec>& models,
                        double max_seconds) {
  if (running_) return false;
  if (thread_.joinable()) thread_.join();  // the previous session has posted Stopped: quick
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this, device, models, max_seconds] { run(device, models, max_seconds); });
  return true;
}

void LiveSession::stop() {
  stop_ = true;
  std::lock_guard<std::mutex> lock(live_mutex_);
  if (live_) live_->request_stop();
}

void LiveSession::post(const LiveUpdate& u) {
  // Queued to this object's (the GUI) thread; dropped by Qt if the session is gone by then.
  QMetaObject::invokeMethod(
      this,
      [this, u] {
        if (u.type == LiveUpdate::Stopped) running_ = false;
        Q_EMIT update(u);
      },
      Qt::QueuedConnection);
}

namespace {

LiveUpdate to_update(const LiveEvent& e) {
  LiveUpdate u;
  switch (e.type) {
    case LiveEventType::kStarted: u.type = LiveUpdate::Started; break;
    case LiveEventType::kLevel: u.type = LiveUpdate::Level; break;
    case LiveEventType::kPartial: u.type = LiveUpdate::Partial; break;
    case LiveEventType::kFinal: u.type = LiveUpdate::Final; break;
    case LiveEventType::kStats: u.type = LiveUpdate::Stats; break;
    case LiveEventType::kError: u.type = LiveUpdate::Error; break;
    case LiveEventType::kStopped: u.type = LiveUpdate::Stopped; break;
  }
  u.recognizer = e.recognizer;
  u.text = QString::fromStdString(e.text);
  u.time_s = e.time_s;
  u.level = e.level;
  u.latency_s = e.latency_s;
  u.rtf = e.rtf();
  u.audio_s = e.audio_s;
  u.utterances = e.utterances;
  u.mean_latency_s = e.mean_latency_s;
  return u;
}

std::unique_ptr<RunModel> load_subnet(const LiveModelSpec& spec) {
  auto rm = std::make_unique<RunModel>(RunModel::Load(spec.run_dir.toStdString()));
  SubnetConfig cfg = rm->uniform(std::max(0.0, spec.sparsity));
  if (!spec.subnet_id.isEmpty()) {
    RunDir dir = RunDir::open(spec.run_dir.toStdString());
    auto r = ResultsStore::open_read_only(dir.results_path()).get(spec.subnet_id.toStdString());
    if (!r) throw InvalidArgument("no sub-network '" + spec.subnet_id.toStdString() + "' in " +
                                  dir.results_path().string());
    cfg = SubnetConfig::FromJson(nlohmann::json::parse(r->config_json), names_of(rm->specs));
  }
  rm->select(cfg);
  return rm;
}

}  // namespace

void LiveSession::run(QString device, QVector<LiveModelSpec> models, double max_seconds) {
  try {
    if (models.isEmpty() || models.size() > 2) throw InvalidArgument("choose one or two sub-networks");
    // "file:PATH": an audio file at real-time pace instead of a device.
    const std::string input = device.toStdString();
    const bool is_file = input.rfind("file:", 0) == 0;
    const std::string file = is_file ? input.substr(5) : std::string();
    // Fail fast, before seconds of model loading.
    if (is_file && !std::filesystem::is_regular_file(file)) throw IoError(file, "no such audio file");
    if (!is_file) find_input_device(input);
    // Each sub-network needs its own model: masks are written into the weights' module.
    std::vector<std::unique_ptr<RunModel>> runs;
    std::vector<std::unique_ptr<WaveRecognizer>> recs;
    std::vector<const WaveRecognizer*> ptrs;
    for (const LiveModelSpec& spec : models) {
      if (stop_) break;
      runs.push_back(load_subnet(spec));
      StreamingOptions so;
      so.beam = spec.beam;
      recs.push_back(std::make_unique<WaveRecognizer>(runs.back()->bundle, so));
      ptrs.push_back(recs.back().get());
    }
    if (!stop_) {
      LiveOptions o;
      if (is_file) o.file = file;
      else o.device = input;
      o.max_seconds = max_seconds;
      LiveTranscriber live(ptrs, o, [this](const LiveEvent& e) {
        if (e.type != LiveEventType::kStopped) post(to_update(e));
      });
      {
        std::lock_guard<std::mutex> lock(live_mutex_);
        live_ = &live;
        live.start();
        if (stop_) live.request_stop();
      }
      live.wait();
      std::lock_guard<std::mutex> lock(live_mutex_);
      live_ = nullptr;
    }
  } catch (const std::exception& e) {
    LiveUpdate u;
    u.type = LiveUpdate::Error;
    u.text = QString::fromStdString(e.what());
    post(u);
  }
  LiveUpdate done;
  done.type = LiveUpdate::Stopped;
  post(done);
}

}  // namespace omnisparse::widgets
