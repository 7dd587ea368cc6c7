// The supernet's settings in the training form (omni mode): members trained per step, the rule
// that draws them, the dense probability, the distillation weight, the point where the masks
// freeze and the factor on gradients into the weights smaller members share after it, where the
// sparsity ramp ends and whether the sparse members follow it; shown with the core's defaults (core/train/train_config.h, OmniConfig), filled from a
// run.json config and turned into `omnisparse train` flags. The sandwich rule trains the dense
// and the sparsest member every step, so it keeps k >= 2 (the core refuses less) and greys out
// the dense probability it does not use.
//
//   auto* omni = new SupernetForm(this);
//   omni->loadConfig(config.value("omni").toObject());
//   args << omni->trainArguments();   // --members 2 --distribution sandwich ...
#pragma once

#include <QGroupBox>
#include <QJsonObject>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;

namespace omnisparse::widgets {

class SupernetForm : public QGroupBox {
  Q_OBJECT

 public:
  explicit SupernetForm(QWidget* parent = nullptr);

  // run.json's config "omni" object; a key it does not name shows the core's default (older
  // configs: "k" members by the sandwich rule, refreshed to the end).
  void loadConfig(const QJsonObject& omni);
  // --members K --distribution D --p-dense P --distill W --freeze-at F --shared-grad G
  // --ramp-end R --follow-ramp|--no-follow-ramp
  QStringList trainArguments() const;

 private:
  void updateLimits();

  QSpinBox* members_;
  QComboBox* distribution_;
  QDoubleSpinBox *p_dense_, *distill_, *freeze_at_, *shared_grad_, *ramp_end_;
  QCheckBox* follow_ramp_;
};

}  // namespace omnisparse::widgets
