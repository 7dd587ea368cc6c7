#include "widgets/export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace omnisparse::widgets {
namespace {

QString bytes(qint64 n) { return QLocale().formattedDataSize(n, 2, QLocale::DataSizeTraditionalFormat); }

QString level_text(double s) {
  return s == 0 ? QString("Uniform 0 % (dense)") : QString("Uniform %1 %").arg(s * 100, 0, 'f', s * 100 == std::round(s * 100) ? 0 : 1);
}

}  // namespace

ExportDialog::ExportDialog(const QString& run_dir, const QVector<double>& ladder, QWidget* parent)
    : QDialog(parent), run_dir_(run_dir) {
  setWindowTitle(QString("Export model - %1").arg(QFileInfo(run_dir).fileName()));
  choice_ = new QComboBox(this);
  for (double s : ladder) choice_->addItem(level_text(s), QString("sparsity:%1").arg(s));
  format_ = new QComboBox(this);
  format_->addItem("safetensors (.safetensors)", "safetensors");
  format_->addItem("HDF5 (.h5)", "hdf5");
  format_->addItem("sherpa-onnx (a directory; stateless predictor only)", "sherpa-onnx");
  path_ = new QLineEdit(this);
  auto* browse_button = new QPushButton("Browse...", this);
  auto* path_row = new QHBoxLayout();
  path_row->addWidget(path_, 1);
  path_row->addWidget(browse_button);
  preview_label_ = new QLabel(this);
  preview_label_->setWordWrap(true);
  preview_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  result_label_ = new QLabel(this);
  result_label_->setWordWrap(true);
  result_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* form = new QFormLayout();
  form->addRow("Sub-network", choice_);
  form->addRow("Format", format_);
  form->addRow("File", path_row);
  form->addRow("Size", preview_label_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  export_ = buttons->addButton("Export", QDialogButtonBox::AcceptRole);
  export_->setDefault(true);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(result_label_);
  layout->addStretch(1);
  layout->addWidget(buttons);
  resize(620, 280);

  connect(choice_, &QComboBox::currentIndexChanged, this, &ExportDialog::onChoiceChanged);
  connect(format_, &QComboBox::currentIndexChanged, this, [this] {
    const QString p = path_->text();
    const QFileInfo info(p);
    QString base = info.completeBaseName();
    if (base.endsWith("-sherpa-onnx")) base.chop(12);
    setOutputPath(path_edited_ && !p.isEmpty() ? QDir(info.path()).filePath(base + extension())
                                               : defaultPath());
    refreshPreview();
  });
  connect(path_, &QLineEdit::textEdited, this, [this] { path_edited_ = true; });
  connect(browse_button, &QPushButton::clicked, this, &ExportDialog::browse);
  connect(export_, &QPushButton::clicked, this, &ExportDialog::startExport);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

  connect(&preview_job_, &ChildJob::stdoutLine, this, [this](const QString& l) { preview_out_ << l; });
  connect(&preview_job_, &ChildJob::finished, this, [this](bool ok, const QString& summary) {
    if (preview_pending_) return refreshPreview();  // the choice changed while it ran
    preview_ = ok ? lastJsonLine(preview_out_) : QJsonObject();
    if (preview_.isEmpty()) {
      const QStringList err = preview_job_.lastStderr(3);
      preview_label_->setText(QString("No preview (%1): %2").arg(summary, err.join(" ")));
      return;
    }
    const qint64 dense = qint64(preview_["bytes_dense"].toDouble());
    const qint64 stored = qint64(preview_["bytes_stored"].toDouble());
    const qint64 nnz = qint64(preview_["nnz"].toDouble()), params = qint64(preview_["params"].toDouble());
    if (format() == "sherpa-onnx") {  // ONNX stores every weight, the pruned ones as zeros
      preview_label_->setText(
          QString("%1 of %2 parameters non-zero (%3 % sparse)\nONNX stores the zeros too: about %4 "
                  "in fp32 (a quarter with int8); zipped, the zeros cost little")
              .arg(QLocale().toString(nnz), QLocale().toString(params))
              .arg(params ? 100.0 * (1.0 - double(nnz) / double(params)) : 0.0, 0, 'f', 1)
              .arg(bytes(dense)));
      return;
    }
    preview_label_->setText(
        QString("%1 of %2 parameters non-zero (%3 % sparse)\ndense fp32 %4  ->  sparse file %5 (%6 of dense)")
            .arg(QLocale().toString(nnz), QLocale().toString(params))
            .arg(params ? 100.0 * (1.0 - double(nnz) / double(params)) : 0.0, 0, 'f', 1)
            .arg(bytes(dense), bytes(stored))
            .arg(dense ? QString("%1 %").arg(100.0 * double(stored) / double(dense), 0, 'f', 1) : "-"));
  });

  connect(&export_job_, &ChildJob::stdoutLine, this, [this](const QString& l) { export_out_ << l; });
  connect(&export_job_, &ChildJob::finished, this, [this](bool ok, const QString& summary) {
    export_->setEnabled(true);
    choice_->setEnabled(true);
    format_->setEnabled(true);
    path_->setEnabled(true);
    exported_ = ok ? lastJsonLine(export_out_) : QJsonObject();
    if (exported_.isEmpty()) {
      result_label_->setText(QString("Export failed (%1):\n%2")
                                 .arg(summary, export_job_.lastStderr(6).join("\n")));
      result_label_->setStyleSheet("color: #b00020;");
      return;
    }
    if (exported_["format"].toString() == "sherpa-onnx") {
      const QString dir = exported_["dir"].toString();
      result_label_->setStyleSheet({});
      result_label_->setText(
          QString("Wrote %1\nencoder.onnx, decoder.onnx, joiner.onnx, tokens.txt, model.json: %2\n"
                  "Run it with sherpa-onnx's streaming recognizer (model type lstm); the README "
                  "shows how")
              .arg(dir, bytes(qint64(exported_["total_bytes"].toDouble()))));
      Q_EMIT exported(dir);
      return;
    }
    const QString path = exported_["path"].toString();
    const qint64 file = qint64(exported_["file_bytes"].toDouble());
    const qint64 dense = qint64(exported_["bytes_dense"].toDouble());
    result_label_->setStyleSheet({});
    result_label_->setText(QString("Wrote %1\n%2 (%3 of the dense fp32 size), sha256 %4\n"
                                   "Transcribe with: omnisparse transcribe --model %1 FILE.wav")
                               .arg(path, bytes(file))
                               .arg(dense ? QString("%1 %").arg(100.0 * double(file) / double(dense), 0, 'f', 1) : "-")
                               .arg(exported_["sha256"].toString()));
    Q_EMIT exported(path);
  });

  onChoiceChanged();
}

void ExportDialog::setSubnet(const QString& id, const QString& label) {
  const QString key = "subnet:" + id;
  int i = choice_->findData(key);
  if (i < 0) {
    choice_->insertItem(0, QString("Selected: %1 (%2)").arg(label.isEmpty() ? id : label, id), key);
    i = 0;
  }
  if (choice_->currentIndex() == i) onChoiceChanged();
  choice_->setCurrentIndex(i);
}

void ExportDialog::setSparsity(double sparsity) {
  int best = -1;
  double best_d = 1e9;
  for (int i = 0; i < choice_->count(); ++i) {
    const QString d = choice_->itemData(i).toString();
    if (!d.startsWith("sparsity:")) continue;
    const double dist = std::abs(d.mid(9).toDouble() - sparsity);
    if (dist < best_d) best = i, best_d = dist;
  }
  if (best >= 0) choice_->setCurrentIndex(best);
}

void ExportDialog::setFormat(const QString& format) {
  const int i = format_->findData(format);
  if (i >= 0) format_->setCurrentIndex(i);
}

QString ExportDialog::format() const { return format_->currentData().toString(); }

void ExportDialog::setOutputPath(const QString& path) { path_->setText(path); }
QString ExportDialog::outputPath() const { return path_->text().trimmed(); }
QString ExportDialog::previewText() const { return preview_label_->text(); }
QString ExportDialog::resultText() const { return result_label_->text(); }
QString ExportDialog::extension() const {
  const QString f = format();
  return f == "hdf5" ? ".h5" : f == "sherpa-onnx" ? "-sherpa-onnx" : ".safetensors";
}

QStringList ExportDialog::sourceArgs() const {
  const QString d = choice_->currentData().toString();
  QStringList args{"--run", run_dir_};
  if (d.startsWith("subnet:")) args << "--subnet" << d.mid(7);
  else args << "--sparsity" << d.mid(9);
  return args;
}

QString ExportDialog::defaultPath() const {
  const QString d = choice_->currentData().toString();
  const QString tag = d.startsWith("subnet:") ? d.mid(7)
                                              : (d.mid(9).toDouble() == 0 ? QString("dense")
                                                 : QString("s%1").arg(d.mid(9).toDouble(), 0, 'f', 2));
  return QDir(run_dir_).filePath("exports/" + tag + extension());
}

void ExportDialog::onChoiceChanged() {
  if (!path_edited_) setOutputPath(defaultPath());
  result_label_->clear();
  refreshPreview();
}

void ExportDialog::refreshPreview() {
  if (preview_job_.running()) {  // one preview at a time; the newest choice wins
    preview_pending_ = true;
    return;
  }
  preview_pending_ = false;
  preview_out_.clear();
  preview_label_->setText("Computing the size of this sub-network...");
  preview_job_.start(cli_program(), QStringList{"--json", "-q", "export"} + sourceArgs() << "--dry-run");
}

void ExportDialog::startExport() {
  const QString path = outputPath();
  if (path.isEmpty()) {
    result_label_->setText("Choose an output file first.");
    return;
  }
  export_out_.clear();
  exported_ = {};
  export_->setEnabled(false);
  choice_->setEnabled(false);
  format_->setEnabled(false);
  path_->setEnabled(false);
  result_label_->setStyleSheet({});
  result_label_->setText(QString("Exporting to %1 ...").arg(path));
  QStringList args = QStringList{"--json", "-q", "export"} + sourceArgs() << "--out" << path;
  if (format() == "sherpa-onnx") {
    args << "--format" << "sherpa-onnx";
    // A directory holding an earlier sherpa-onnx export is replaced whole; any other
    // non-empty directory is refused by the CLI (nothing of the user's is deleted).
    if (QFileInfo::exists(QDir(path).filePath("model.json"))) args << "--force";
  }
  export_job_.start(cli_program(), args);
}

void ExportDialog::browse() {
  const QString filter = format() == "hdf5"          ? "HDF5 model (*.h5 *.hdf5)"
                         : format() == "sherpa-onnx" ? "sherpa-onnx model directory (*)"
                                                     : "safetensors model (*.safetensors)";
  const QString p = QFileDialog::getSaveFileName(this, "Export model to", outputPath(), filter);
  if (p.isEmpty()) return;
  path_edited_ = true;
  setOutputPath(p);
  if (p.endsWith(".h5", Qt::CaseInsensitive) || p.endsWith(".hdf5", Qt::CaseInsensitive)) setFormat("hdf5");
}

QJsonObject ExportDialog::lastJsonLine(const QStringList& lines) {
  for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
    const QJsonDocument doc = QJsonDocument::fromJson(it->toUtf8());
    if (doc.isObject()) return doc.object();
  }
  return {};
}

}  // namespace omnisparse::widgets
