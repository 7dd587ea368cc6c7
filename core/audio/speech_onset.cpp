#include "core/audio/speech_onset.h"

#include <algorithm>
#include <cmath>

#include "core/common/error.h"

namespace omnisparse {

int64_t speech_onset_frame(const at::Tensor& logmel, double below_peak_db) {
  if (!logmel.defined() || logmel.dim() != 2)
    throw InvalidArgument("speech_onset_frame: features must be [T, bins]");
  if (!(below_peak_db > 0)) throw InvalidArgument("speech_onset_frame: below_peak_db must be > 0");
  const int64_t T = logmel.size(0);
  if (T == 0 || logmel.size(1) == 0) return 0;
  // Frame energies in natural-log units; 10 log10(e) dB per unit.
  const at::Tensor energy = logmel.to(at::kDouble).logsumexp(1);  // [T]
  const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(0.9 * T)));
  const double loud = std::get<0>(energy.kthvalue(k)).item<double>();
  const double threshold = loud - below_peak_db / (10.0 / std::log(10.0));
  const at::Tensor above = (energy >= threshold).nonzero();  // [n, 1]; never empty (the k-th)
  return above.size(0) > 0 ? above[0][0].item<int64_t>() : 0;
}

}  // namespace omnisparse
