// The Export dialog (label gui) on a real run: synthesise a tiny corpus, train an omni supernet
// for a few steps with the real CLI, then preview and export through the dialog's child
// processes and check the files, the exact preview, and the error path.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>

#include <fstream>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "tests/widgets/trained_run.h"
#include "widgets/export_dialog.h"

namespace omnisparse::widgets {
namespace {
namespace fs = std::filesystem;

// The dialog's child processes run the CLI this test build made.
void use_built_cli() { qputenv("OMNISPARSE_CLI", OMNISPARSE_CLI); }

QVector<double> ladder() { return {0.0, 0.5, 0.8, 0.9}; }

bool wait_preview(ExportDialog& d) {
  return test::wait_until([&] { return !d.previewBusy() && !d.lastPreview().isEmpty(); }, 60000);
}

TEST(ExportDialog, PreviewIsExactAndExportWritesTheFileAndManifest) {
  test::qt_app();
  use_built_cli();
  const fs::path& run = trained_run();
  ExportDialog d(QString::fromStdString(run.string()), ladder());
  d.setSparsity(0.0);
  ASSERT_TRUE(wait_preview(d)) << d.previewText().toStdString();
  const double dense_nnz = d.lastPreview()["nnz"].toDouble();
  EXPECT_EQ(d.lastPreview()["nnz"].toDouble(), d.lastPreview()["params"].toDouble());

  d.setSparsity(0.9);
  EXPECT_TRUE(d.outputPath().endsWith("exports/s0.90.safetensors")) << d.outputPath().toStdString();
  ASSERT_TRUE(test::wait_until([&] { return !d.previewBusy() && d.lastPreview()["nnz"].toDouble() < dense_nnz; }, 60000))
      << d.previewText().toStdString();
  const QJsonObject preview = d.lastPreview();
  EXPECT_LT(preview["bytes_stored"].toDouble(), 0.5 * preview["bytes_dense"].toDouble());
  EXPECT_TRUE(d.previewText().contains("sparse file")) << d.previewText().toStdString();

  QSignalSpy spy(&d, &ExportDialog::exported);
  d.exportButton()->click();
  EXPECT_FALSE(d.exportButton()->isEnabled());
  ASSERT_TRUE(test::wait_until([&] { return !d.exportBusy(); }, 60000));
  ASSERT_FALSE(d.lastExport().isEmpty()) << d.resultText().toStdString();
  const QString path = d.lastExport()["path"].toString();
  EXPECT_EQ(spy.count(), 1);
  EXPECT_TRUE(QFileInfo(path).isFile());
  EXPECT_TRUE(QFileInfo(path + ".sha256.json").isFile());
  // The preview was the truth: the same non-zeros and stored bytes as the written export.
  EXPECT_EQ(d.lastExport()["nnz"].toDouble(), preview["nnz"].toDouble());
  EXPECT_EQ(d.lastExport()["bytes_stored"].toDouble(), preview["bytes_stored"].toDouble());
  EXPECT_EQ(qint64(d.lastExport()["file_bytes"].toDouble()), QFileInfo(path).size());
  EXPECT_TRUE(d.resultText().contains(d.lastExport()["sha256"].toString()));
  EXPECT_TRUE(d.exportButton()->isEnabled());

  // HDF5: the extension follows the format, and the file is written too.
  d.setFormat("hdf5");
  EXPECT_TRUE(d.outputPath().endsWith("exports/s0.90.h5")) << d.outputPath().toStdString();
  d.exportButton()->click();
  ASSERT_TRUE(test::wait_until([&] { return !d.exportBusy(); }, 60000));
  EXPECT_EQ(d.lastExport()["format"].toString(), "hdf5") << d.resultText().toStdString();
  EXPECT_TRUE(QFileInfo(d.outputPath()).isFile());
}

TEST(ExportDialog, SherpaOnnxWritesADirectoryAndReplacesItsOwnEarlierExport) {
  test::qt_app();
  use_built_cli();
  // An LSTM predictor cannot be run by sherpa-onnx: the CLI's one line is shown.
  ExportDialog lstm(QString::fromStdString(trained_run().string()), ladder());
  lstm.setFormat("sherpa-onnx");
  lstm.exportButton()->click();
  ASSERT_TRUE(test::wait_until([&] { return !lstm.exportBusy(); }, 60000));
  EXPECT_TRUE(lstm.lastExport().isEmpty());
  EXPECT_TRUE(lstm.resultText().contains("stateless predictor")) << lstm.resultText().toStdString();
  EXPECT_TRUE(lstm.exportButton()->isEnabled());

  ExportDialog d(QString::fromStdString(trained_run(/*stateless=*/true).string()), ladder());
  d.setSparsity(0.5);
  d.setFormat("sherpa-onnx");
  EXPECT_TRUE(d.outputPath().endsWith("exports/s0.50-sherpa-onnx")) << d.outputPath().toStdString();
  ASSERT_TRUE(wait_preview(d)) << d.previewText().toStdString();
  EXPECT_TRUE(d.previewText().contains("ONNX stores the zeros")) << d.previewText().toStdString();
  for (int round = 0; round < 2; ++round) {  // the second export replaces the first one
    d.exportButton()->click();
    ASSERT_TRUE(test::wait_until([&] { return !d.exportBusy(); }, 60000));
    ASSERT_EQ(d.lastExport()["format"].toString(), "sherpa-onnx") << d.resultText().toStdString();
    const QDir dir(d.outputPath());
    for (const char* f : {"encoder.onnx", "decoder.onnx", "joiner.onnx", "tokens.txt", "model.json"})
      EXPECT_TRUE(QFileInfo(dir.filePath(f)).isFile()) << f;
    EXPECT_TRUE(d.resultText().startsWith("Wrote " + d.outputPath())) << d.resultText().toStdString();
  }
  // A directory of the user's that is no export is never replaced.
  const QString mine = QDir(QString::fromStdString(trained_run(true).string())).filePath("mine");
  QDir().mkpath(mine);
  QFile note(QDir(mine).filePath("notes.txt"));
  ASSERT_TRUE(note.open(QIODevice::WriteOnly));
  note.write("keep");
  note.close();
  d.setOutputPath(mine);
  d.exportButton()->click();
  ASSERT_TRUE(test::wait_until([&] { return !d.exportBusy(); }, 60000));
  EXPECT_TRUE(d.resultText().contains("not empty")) << d.resultText().toStdString();
  EXPECT_TRUE(QFileInfo(QDir(mine).filePath("notes.txt")).isFile());
}

TEST(ExportDialog, UnwritablePathShowsTheErrorAndTheDialogStaysUsable) {
  test::qt_app();
  use_built_cli();
  const fs::path& run = trained_run();
  test::TempDir tmp("omnisparse-export-bad");
  std::ofstream(tmp / "not-a-dir") << "x";
  ExportDialog d(QString::fromStdString(run.string()), ladder());
  d.setSparsity(0.5);
  const QString bad = QString::fromStdString((tmp / "not-a-dir" / "m.safetensors").string());
  d.setOutputPath(bad);
  d.exportButton()->click();
  ASSERT_TRUE(test::wait_until([&] { return !d.exportBusy(); }, 60000));
  EXPECT_TRUE(d.lastExport().isEmpty());
  EXPECT_TRUE(d.resultText().startsWith("Export failed")) << d.resultText().toStdString();
  EXPECT_TRUE(d.resultText().contains("not-a-dir")) << d.resultText().toStdString();
  EXPECT_TRUE(d.exportButton()->isEnabled());
  EXPECT_FALSE(QFileInfo(bad).exists());
}

TEST(ExportDialog, SubnetOfARunWithoutResultsSaysWhyInThePreview) {
  test::qt_app();
  use_built_cli();
  ExportDialog d(QString::fromStdString(trained_run().string()), ladder());
  d.setSubnet("no-such-subnet", "ghost");
  EXPECT_TRUE(d.outputPath().endsWith("exports/no-such-subnet.safetensors"));
  ASSERT_TRUE(test::wait_until([&] { return !d.previewBusy() && d.previewText().startsWith("No preview"); }, 60000))
      << d.previewText().toStdString();
  // This run has no results.h5 yet (no `pareto` ran): the CLI's one-line cause is shown.
  EXPECT_TRUE(d.previewText().contains("results.h5")) << d.previewText().toStdString();
  EXPECT_TRUE(d.exportButton()->isEnabled());
}

}  // namespace
}  // namespace omnisparse::widgets
