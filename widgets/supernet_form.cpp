#include "widgets/supernet_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QSpinBox>

namespace omnisparse::widgets {

namespace {

// OmniConfig's defaults.
constexpr int kMembers = 1;
constexpr double kPDense = 0.2, kFreezeAt = 0.5, kDistill = 0.0, kSharedGrad = 1.0, kRampEnd = 0.5;
constexpr bool kFollowRamp = true;
// The omni keys of every config saved since the current schedule: one that has them all but
// follow_ramp was saved before that key existed and trained without it (as the core reads it).
const char* const kSavedOmniKeys[] = {"members_per_step", "p_dense", "warmup", "ramp_end",
                                      "max_sparsity", "refresh_every", "freeze_at",
                                      "granularity", "ladder"};
const char* const kDistribution = "levels";

QDoubleSpinBox* spin(QWidget* parent, const char* name, double max, double step, double value,
                     const QString& tip) {
  auto* box = new QDoubleSpinBox(parent);
  box->setObjectName(name);
  box->setRange(0.0, max);
  box->setSingleStep(step);
  box->setValue(value);
  box->setToolTip(tip);
  return box;
}

}  // namespace

SupernetForm::SupernetForm(QWidget* parent) : QGroupBox("Supernet (omni mode)", parent) {
  setObjectName("omni_group");
  members_ = new QSpinBox(this);
  members_->setObjectName("members_per_step");
  members_->setRange(1, 16);
  members_->setValue(kMembers);
  members_->setToolTip("k: sub-networks trained on the shared weights per optimiser step (one\n"
                       "forward+backward pass each); the sandwich rule needs at least 2");
  distribution_ = new QComboBox(this);
  distribution_->setObjectName("distribution");
  distribution_->setToolTip("Which members train on each step");
  distribution_->addItem("levels", "levels");
  distribution_->setItemData(0, "Each member: dense with the dense probability, else one of the\n"
                                "ladder's uniform levels (the levels that are scored)",
                             Qt::ToolTipRole);
  distribution_->addItem("sandwich", "sandwich");
  distribution_->setItemData(1, "Dense, the sparsest, and k-2 random per-layer configs (k >= 2)",
                             Qt::ToolTipRole);
  distribution_->addItem("space", "space");
  distribution_->setItemData(2, "Each member: dense with the dense probability, else half the\n"
                                "time a uniform level, half a random per-layer config of the\n"
                                "search space",
                             Qt::ToolTipRole);
  distribution_->setCurrentIndex(distribution_->findData(kDistribution));
  p_dense_ = spin(this, "p_dense", 1.0, 0.05, kPDense,
                  "Probability that a member is the dense network (levels and space rules)");
  distill_ = spin(this, "distill_weight", 10.0, 0.1, kDistill,
                  "Weight of the distillation loss: sparse members fit the dense member's CTC\n"
                  "posteriors (0 = off; costs one extra forward pass per step)");
  distill_->setSpecialValueText("off");
  ramp_end_ = spin(this, "ramp_end", 1.0, 0.05, kRampEnd,
                   "Progress (0..1) at which the largest sparsity the members may have reaches\n"
                   "the ladder's top level (the cubic ramp)");
  follow_ramp_ = new QCheckBox("Prune sparse members gradually", this);
  follow_ramp_->setObjectName("follow_ramp");
  follow_ramp_->setChecked(kFollowRamp);
  follow_ramp_->setToolTip("A level above the ramp trains at the ramp's sparsity instead of\n"
                           "waiting for it (levels and space rules), as a gmp model is pruned");
  freeze_at_ = spin(this, "freeze_at", 1.0, 0.05, kFreezeAt,
                    "Progress (0..1) after which the masks never change again: the last part of\n"
                    "the run trains exactly the masks that are evaluated and exported");
  shared_grad_ = spin(this, "shared_grad", 1.0, 0.05, kSharedGrad,
                      "After the freeze point: factor on a member's gradient into the weights the\n"
                      "next sparser level also keeps (1 = plain shared training; 0 = each member\n"
                      "trains only the weights it adds, the sparsest its whole mask)");

  auto* form = new QFormLayout(this);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->addRow("Members per step", members_);
  form->addRow("Distribution", distribution_);
  form->addRow("Dense probability", p_dense_);
  form->addRow("Ramp ends at", ramp_end_);
  form->addRow("", follow_ramp_);
  form->addRow("Distillation", distill_);
  form->addRow("Freeze masks at", freeze_at_);
  form->addRow("Shared-core gradient", shared_grad_);
  connect(distribution_, &QComboBox::currentIndexChanged, this, &SupernetForm::updateLimits);
  updateLimits();
}

void SupernetForm::updateLimits() {
  const bool sandwich = distribution_->currentData().toString() == "sandwich";
  members_->setMinimum(sandwich ? 2 : 1);  // raises a value of 1 to 2
  p_dense_->setEnabled(!sandwich);
  follow_ramp_->setEnabled(!sandwich);
  if (sandwich) follow_ramp_->setChecked(false);  // the sandwich draws no uniform levels
}

void SupernetForm::loadConfig(const QJsonObject& o) {
  const bool legacy = o.contains("k") && !o.contains("members_per_step");
  QString rule = o.value("distribution").toString(legacy ? "sandwich" : kDistribution);
  if (rule == "per_layer_uniform" || rule == "target_size")
    rule = "sandwich";  // the older meaning of "distribution": the random configs' space
  const int i = distribution_->findData(rule);
  if (i >= 0) distribution_->setCurrentIndex(i);  // first: it sets the minimum of k
  members_->setValue(o.value(legacy ? "k" : "members_per_step").toInt(kMembers));
  p_dense_->setValue(o.value("p_dense").toDouble(kPDense));
  distill_->setValue(o.value("distill_weight").toDouble(kDistill));
  freeze_at_->setValue(o.value("freeze_at").toDouble(legacy ? 1.0 : kFreezeAt));
  shared_grad_->setValue(o.value("shared_grad").toDouble(kSharedGrad));
  ramp_end_->setValue(o.value("ramp_end").toDouble(kRampEnd));
  bool saved_before = !o.contains("follow_ramp");
  for (const char* k : kSavedOmniKeys) saved_before = saved_before && o.contains(k);
  follow_ramp_->setChecked(o.value("follow_ramp").toBool(kFollowRamp && !saved_before) &&
                           follow_ramp_->isEnabled());
}

QStringList SupernetForm::trainArguments() const {
  return {"--members",   QString::number(members_->value()),
          "--distribution", distribution_->currentData().toString(),
          "--p-dense",   QString::number(p_dense_->value()),
          "--distill",   QString::number(distill_->value()),
          "--freeze-at", QString::number(freeze_at_->value()),
          "--shared-grad", QString::number(shared_grad_->value()),
          "--ramp-end",  QString::number(ramp_end_->value()),
          follow_ramp_->isChecked() ? "--follow-ramp" : "--no-follow-ramp"};
}

}  // namespace omnisparse::widgets
