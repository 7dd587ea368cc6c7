#include "core/eval/run_model.h"

#include <torch/torch.h>

#include "core/common/error.h"
#include "core/io/checkpoint.h"
#include "core/io/run_dir.h"

namespace omnisparse {

RunModel RunModel::Load(const std::filesystem::path& run_path, bool oneshot_ranks) {
  RunDir run = RunDir::open(run_path);
  auto latest_ckpt = load_latest_checkpoint(run);
  if (!latest_ckpt) throw IoError(run_path, "the run has no complete checkpoint yet");
  const std::filesystem::path* latest = &latest_ckpt->first;
  Checkpoint& c = latest_ckpt->second;
  RunModel rm{ModelBundle::FromTensors(c.model_meta, c.weights, *latest), std::nullopt, {},
              run_path, *latest, c.config.value("mode", std::string("dense")),
              c.state.at("trainer").value("step", int64_t{0})};
  rm.bundle.model->eval();
  const PrunableLayers layers = rm.bundle.model->prunable_layers();
  rm.specs = specs_of(layers);
  if (!c.ranks.empty()) {
    try {
      rm.ranks = RankSet::Restore(c.ranks_meta, c.ranks);
    } catch (const Error& e) {
      throw FormatError(*latest, std::string("sparsity ranks do not fit the model: ") + e.what());
    }
  } else if (oneshot_ranks) {
    RankSet r;
    r.refresh(layers);
    r.freeze();
    rm.ranks = std::move(r);
  }
  return rm;
}

void RunModel::select(const SubnetConfig& config) {
  const PrunableLayers layers = bundle.model->prunable_layers();
  if (config.is_dense()) {
    clear_masks(layers);
    return;
  }
  if (!ranks)
    throw InvalidArgument(run.string() + " is a " + mode +
                          " run without sparsity ranks: only the dense model can be selected "
                          "(or use one-shot pruning)");
  ranks->apply(layers, config);
}

SelectedSubnet::SelectedSubnet(RunModel& rm, const SubnetConfig& config) : rm_(rm) {
  try {
    rm_.select(config);
  } catch (...) {
    clear_masks(rm_.bundle.model->prunable_layers());  // a half-applied selection
    throw;
  }
}

SelectedSubnet::~SelectedSubnet() { clear_masks(rm_.bundle.model->prunable_layers()); }

int64_t RunModel::non_prunable_params() const {
  int64_t prunable = 0;
  for (const auto& s : specs) prunable += s.numel();
  return bundle.model->num_parameters() - prunable;
}

}  // namespace omnisparse
