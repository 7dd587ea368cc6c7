// The Export dialog: writes one sub-network of a run as a model file you can ship, through
// `omnisparse export` in a child process (the GUI never loads the model itself).
//
//   ExportDialog dlg(run_dir, run.ladder, this);
//   dlg.setSubnet("evo-0042", "evo 81 % (2.1 M nnz)");   // the Pareto panel's selection, if any
//   dlg.exec();
//
// What the user sees: the sub-network (the selection, or any level of the uniform ladder), the
// format (safetensors or HDF5, the file name's extension follows; or a sherpa-onnx directory for
// on-device runtimes, core/onnx/sherpa_export.h), the output path with a
// Browse button, a size preview (non-zero parameters, dense fp32 bytes vs the bytes the sparse
// file stores, from `export --dry-run`, so it is exact, not an estimate) and, after Export, the
// written file's size and SHA-256 or the CLI's error with its last stderr lines. The file is
// written atomically by core (temp + rename): an existing file is replaced whole or not at all.
#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QVector>

#include "widgets/child_job.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace omnisparse::widgets {

class ExportDialog : public QDialog {
  Q_OBJECT

 public:
  ExportDialog(const QString& run_dir, const QVector<double>& ladder, QWidget* parent = nullptr);

  // Adds the sub-network `id` (from results.h5) as the first choice and selects it.
  void setSubnet(const QString& id, const QString& label);
  // Selects the uniform ladder level closest to `sparsity`.
  void setSparsity(double sparsity);
  void setFormat(const QString& format);  // "safetensors" | "hdf5" | "sherpa-onnx"
  QString format() const;
  void setOutputPath(const QString& path);
  QString outputPath() const;

  // For tests and the status bar.
  QPushButton* exportButton() const { return export_; }
  QString previewText() const;
  QString resultText() const;
  bool previewBusy() const { return preview_job_.running() || preview_pending_; }
  bool exportBusy() const { return export_job_.running(); }
  const QJsonObject& lastPreview() const { return preview_; }
  const QJsonObject& lastExport() const { return exported_; }

 Q_SIGNALS:
  void exported(const QString& path);

 private:
  QStringList sourceArgs() const;   // --run R (--subnet ID | --sparsity S)
  QString defaultPath() const;      // RUN/exports/<tag>.<ext>
  QString extension() const;
  void onChoiceChanged();
  void refreshPreview();
  void startExport();
  void browse();
  static QJsonObject lastJsonLine(const QStringList& lines);

  QString run_dir_;
  QComboBox* choice_;
  QComboBox* format_;
  QLineEdit* path_;
  QLabel* preview_label_;
  QLabel* result_label_;
  QPushButton* export_;
  ChildJob preview_job_, export_job_;
  QStringList preview_out_, export_out_;
  bool preview_pending_ = false;
  bool path_edited_ = false;  // the user typed a path: format changes only fix its extension
  QJsonObject preview_, exported_;
};

}  // namespace omnisparse::widgets
