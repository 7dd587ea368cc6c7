#include "widgets/live_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include <cmath>

namespace omnisparse::widgets {

namespace {
const char* kDeviceKey = "live/device";
}

LivePanel::LivePanel(QWidget* parent) : QWidget(parent), session_(new LiveSession(this)) {
  auto* root = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel("Input:"));
  device_ = new QComboBox;
  device_->setEditable(true);
  device_->setMinimumWidth(220);
  device_->setToolTip("Host API/device name (remembered by name: device indices reorder)");
  top->addWidget(device_, 1);
  refresh_ = new QPushButton("Refresh");
  top->addWidget(refresh_);
  file_ = new QPushButton("File...");
  file_->setToolTip("Play an audio file through the live path at real-time pace instead of a microphone");
  top->addWidget(file_);
  ab_ = new QCheckBox("A/B");
  ab_->setToolTip("Two sub-networks on the same captured audio, side by side");
  top->addWidget(ab_);
  start_ = new QPushButton("Start");
  top->addWidget(start_);
  meter_ = new QProgressBar;
  meter_->setRange(0, 100);
  meter_->setTextVisible(false);
  meter_->setMaximumWidth(160);
  meter_->setToolTip("Input level (peak)");
  top->addWidget(meter_);
  root->addLayout(top);
  message_ = new QLabel;
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  root->addWidget(message_);

  auto* columns = new QHBoxLayout;
  for (int i = 0; i < 2; ++i) {
    Side& s = sides_[i];
    s.box = new QGroupBox(i == 0 ? "A" : "B");
    auto* v = new QVBoxLayout(s.box);
    s.picker = new QComboBox;
    s.search = new QComboBox;
    s.search->addItem("greedy", 0);
    s.search->addItem("beam 4", 4);
    s.search->setToolTip("Beam search: about 4x greedy's decoding time (still far inside real "
                         "time), fewer misspelt words; A/B compares the two on one voice");
    auto* pick = new QHBoxLayout;
    pick->addWidget(s.picker, 1);
    pick->addWidget(s.search);
    v->addLayout(pick);
    s.transcript = new QPlainTextEdit;
    s.transcript->setReadOnly(true);
    v->addWidget(s.transcript, 1);
    s.partial = new QLabel;
    s.partial->setWordWrap(true);
    s.partial->setStyleSheet("color: gray; font-style: italic;");
    v->addWidget(s.partial);
    s.stats = new QLabel("RTF -, latency -");
    v->addWidget(s.stats);
    columns->addWidget(s.box, 1);
    fillPicker(s.picker);
  }
  root->addLayout(columns, 1);

  connect(refresh_, &QPushButton::clicked, this, &LivePanel::refreshDevices);
  connect(file_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, "Audio file to play", QString(),
        "Audio (*.wav *.flac *.ogg *.mp3 *.opus);;All files (*)");
    if (!path.isEmpty()) setInputFile(path);
  });
  connect(start_, &QPushButton::clicked, this, [this] { isRunning() ? stop() : start(); });
  connect(ab_, &QCheckBox::toggled, this, [this] { updateControls(); });
  connect(session_, &LiveSession::update, this, &LivePanel::onUpdate);
  refreshDevices();
  updateControls();
}

void LivePanel::fillPicker(QComboBox* picker) {
  const QString current = picker->currentData().toString();
  picker->clear();
  if (!selected_id_.isEmpty())
    picker->addItem(QString("selected: %1").arg(selected_label_.isEmpty() ? selected_id_ : selected_label_),
                    QString("id:") + selected_id_);
  for (double s : default_ladder())
    picker->addItem(s == 0 ? QString("dense") : QString("uniform %1 %").arg(s * 100, 0, 'f', 0),
                    QString("s:%1").arg(s));
  const int keep = picker->findData(current);
  if (keep >= 0) picker->setCurrentIndex(keep);
}

LiveModelSpec LivePanel::specOf(const Side& side) const {
  LiveModelSpec spec;
  spec.run_dir = run_dir_;
  spec.beam = side.search->currentData().toInt();
  const QString d = side.picker->currentData().toString();
  if (d.startsWith("id:")) spec.subnet_id = d.mid(3);
  else spec.sparsity = d.mid(2).toDouble();
  return spec;
}

void LivePanel::setRun(const QString& run_dir) {
  if (run_dir_ != run_dir) selected_id_.clear();
  run_dir_ = run_dir;
  for (Side& s : sides_) fillPicker(s.picker);
  updateControls();
}

void LivePanel::setSubnet(const QString& run_dir, const QString& id, const QString& label) {
  run_dir_ = run_dir;
  selected_id_ = id;
  selected_label_ = label;
  for (Side& s : sides_) fillPicker(s.picker);
  sides_[0].picker->setCurrentIndex(0);  // the selection drives side A
  updateControls();
}

void LivePanel::setAbMode(bool on) { ab_->setChecked(on); }

void LivePanel::setSparsity(int side, double sparsity) {
  QComboBox* p = sides_[side].picker;
  for (int i = 0; i < p->count(); ++i)
    if (p->itemData(i).toString() == QString("s:%1").arg(sparsity)) p->setCurrentIndex(i);
}

void LivePanel::setBeam(int side, int beam) {
  QComboBox* c = sides_[side].search;
  const int i = c->findData(beam > 1 ? beam : 0);
  if (i >= 0) c->setCurrentIndex(i);
}

QString LivePanel::title(int side) const { return sides_[side].box->title(); }

void LivePanel::refreshDevices() {
  QString error;
  const QVector<LiveDevice> devices = list_live_devices(&error);
  const QString remembered = QSettings().value(kDeviceKey).toString();
  const QString typed = device_->currentText();
  device_->clear();
  int pick = -1;
  for (const LiveDevice& d : devices) {
    device_->addItem(d.id);
    device_->setItemData(device_->count() - 1,
                         QString("%1 Hz, %2 ch%3").arg(d.default_rate).arg(d.channels)
                             .arg(d.is_default ? ", default" : ""), Qt::ToolTipRole);
    if (d.id == remembered) pick = device_->count() - 1;
    if (pick < 0 && remembered.isEmpty() && d.is_default) pick = device_->count() - 1;
  }
  if (pick >= 0) {
    device_->setCurrentIndex(pick);
  } else if (!remembered.isEmpty()) {
    device_->setEditText(remembered);  // keep the name; start() will say it is missing
  } else if (!typed.isEmpty()) {
    device_->setEditText(typed);
  }
  if (!error.isEmpty()) setMessage(error + ". File... plays an audio file through the same path instead.", true);
  else if (!remembered.isEmpty() && pick < 0)
    setMessage(QString("The remembered input '%1' is not connected; pick another").arg(remembered), true);
  else setMessage(QString("%1 input device(s)").arg(devices.size()), false);
}

QStringList LivePanel::deviceIds() const {
  QStringList ids;
  for (int i = 0; i < device_->count(); ++i) ids << device_->itemText(i);
  return ids;
}

QString LivePanel::deviceId() const { return device_->currentText().trimmed(); }

void LivePanel::setDeviceId(const QString& id) {
  const int i = device_->findText(id);
  if (i >= 0) device_->setCurrentIndex(i);
  else device_->setEditText(id);
}

void LivePanel::setInputFile(const QString& path) {
  const QString id = "file:" + QFileInfo(path).absoluteFilePath();
  if (device_->findText(id) < 0) device_->addItem(id);
  device_->setCurrentIndex(device_->findText(id));
  setMessage(QString("Start plays %1 at real-time pace").arg(QFileInfo(path).fileName()), false);
}

void LivePanel::start() {
  if (isRunning()) return;
  if (run_dir_.isEmpty()) {
    setMessage("Open a run first: the Live panel decodes one of its sub-networks", true);
    return;
  }
  QVector<LiveModelSpec> models = {specOf(sides_[0])};
  if (ab_->isChecked()) models.push_back(specOf(sides_[1]));
  for (int i = 0; i < 2; ++i) {
    Side& s = sides_[i];
    s.transcript->clear();
    s.partial->clear();
    s.rtf = 0;
    s.latency_s = -1;
    s.stats->setText("RTF -, latency -");
    if (i < models.size()) s.box->setTitle(QString("%1: %2").arg(i == 0 ? "A" : "B", models[i].label()));
  }
  session_->start(deviceId(), models);
  setMessage(QString("Opening %1 and loading the model...").arg(deviceId().isEmpty() ? "the default input" : deviceId()), false);
  updateControls();
}

void LivePanel::stop() {
  session_->stop();
  setMessage("Stopping...", false);
}

void LivePanel::onUpdate(const LiveUpdate& u) {
  Side* s = (u.recognizer == 0 || u.recognizer == 1) ? &sides_[u.recognizer] : nullptr;
  switch (u.type) {
    case LiveUpdate::Started:
      if (u.text.startsWith("file:")) {
        setMessage(QString("Playing %1").arg(u.text.mid(5)), false);
      } else {
        QSettings().setValue(kDeviceKey, u.text);  // the device that really opened
        setMessage(QString("Listening on %1").arg(u.text), false);
      }
      break;
    case LiveUpdate::Level:
      meter_->setValue(int(std::lround(std::min(1.0f, u.level) * 100)));
      break;
    case LiveUpdate::Partial:
      if (s) s->partial->setText(u.text);
      break;
    case LiveUpdate::Final:
      if (!s) break;
      s->transcript->appendPlainText(u.text);
      s->partial->clear();
      s->rtf = u.rtf;
      s->latency_s = u.latency_s;
      showStats(*s);
      break;
    case LiveUpdate::Stats:
      if (!s) break;
      s->rtf = u.rtf;
      if (std::isfinite(u.mean_latency_s)) s->latency_s = u.mean_latency_s;
      showStats(*s);
      break;
    case LiveUpdate::Error:
      setMessage(u.text, true);
      Q_EMIT statusMessage(u.text);
      break;
    case LiveUpdate::Stopped:
      meter_->setValue(0);
      if (!message_->property("error").toBool()) setMessage("Stopped", false);
      updateControls();
      break;
  }
}

void LivePanel::showStats(Side& s) {
  s.stats->setText(QString("RTF %1, end-of-speech latency %2")
                       .arg(s.rtf, 0, 'f', 3)
                       .arg(s.latency_s >= 0 ? QString("%1 ms").arg(s.latency_s * 1e3, 0, 'f', 0) : "-"));
}

void LivePanel::setMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setProperty("error", error);
  message_->setStyleSheet(error ? "color: #b00020;" : "");
}

void LivePanel::updateControls() {
  const bool running = isRunning();
  start_->setText(running ? "Stop" : "Start");
  device_->setEnabled(!running);
  refresh_->setEnabled(!running);
  file_->setEnabled(!running);
  ab_->setEnabled(!running);
  for (Side& s : sides_) {
    s.picker->setEnabled(!running);
    s.search->setEnabled(!running);
  }
  sides_[1].box->setVisible(ab_->isChecked());
}

QString LivePanel::message() const { return message_->text(); }
QString LivePanel::transcript(int side) const { return sides_[side].transcript->toPlainText(); }
QString LivePanel::partial(int side) const { return sides_[side].partial->text(); }
QString LivePanel::statsText(int side) const { return sides_[side].stats->text(); }

}  // namespace omnisparse::widgets
