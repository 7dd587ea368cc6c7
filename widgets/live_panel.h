// Live panel: transcribe the microphone with a sub-network of the current run. A device picker
// (by "host API/name", remembered in QSettings under live/device; editable, so any name that
// `omnisparse devices` would match works), or an audio file ("File..." adds it as the input
// "file:PATH": played at real-time pace through the same path, for a demo without a
// microphone or to audition a recording on A and B), a level meter, start/stop, and per side (A, and B
// in A/B mode) the transcript of finals plus the current partial, RTF and end-of-speech
// latency. The sub-network is the one selected in the Pareto panel or a uniform sparsity.
// All decoding runs in a LiveSession (facade) thread; results arrive as queued signals.
// No device or a lost device: a message in the panel, which stays usable.
#pragma once

#include <QWidget>

#include "widgets/facade/live_session.h"
#include "widgets/facade/run_facade.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QGroupBox;

namespace omnisparse::widgets {

class LivePanel : public QWidget {
  Q_OBJECT

 public:
  explicit LivePanel(QWidget* parent = nullptr);

  void setRun(const QString& run_dir);  // the run whose sub-networks the pickers offer
  // The Pareto panel's selection: offered (and chosen) as "selected: <id>" in picker A.
  void setSubnet(const QString& run_dir, const QString& id, const QString& label);

  void refreshDevices();
  QStringList deviceIds() const;     // as listed
  QString deviceId() const;          // what start() will open (may be typed)
  void setDeviceId(const QString& id);
  // Makes the audio file the input (listed as "file:PATH"; what the File... button does).
  void setInputFile(const QString& path);
  void setAbMode(bool on);
  void setSparsity(int side, double sparsity);  // picks a uniform level in picker A or B
  void setBeam(int side, int beam);             // the search of side A or B: 0 greedy, 4 beam 4
  QString title(int side) const;                // "A: dense, beam 4" once started

  void start();
  void stop();
  bool isRunning() const { return session_->running(); }
  QString message() const;
  QString transcript(int side) const;
  QString partial(int side) const;
  QString statsText(int side) const;
  QPushButton* startButton() const { return start_; }

 Q_SIGNALS:
  void statusMessage(const QString& text);

 private:
  struct Side {
    QGroupBox* box;
    QComboBox* picker;
    QComboBox* search;  // greedy or beam search
    QPlainTextEdit* transcript;
    QLabel* partial;
    QLabel* stats;
    double rtf = 0;
    double latency_s = -1;
  };
  void onUpdate(const LiveUpdate& u);
  void setMessage(const QString& text, bool error);
  void fillPicker(QComboBox* picker);
  LiveModelSpec specOf(const Side& side) const;
  void updateControls();
  void showStats(Side& s);

  QString run_dir_;
  QString selected_id_, selected_label_;
  LiveSession* session_;
  QComboBox* device_;
  QPushButton *refresh_, *file_, *start_;
  QCheckBox* ab_;
  QProgressBar* meter_;
  QLabel* message_;
  Side sides_[2];
};

}  // namespace omnisparse::widgets
