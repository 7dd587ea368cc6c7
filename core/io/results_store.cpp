#include "core/io/results_store.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/hdf5_util.h"
#include "core/io/sha256.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

constexpr const char* kResultsFormat = "omnisparse-results";
constexpr int64_t kVersion = 1;
constexpr uint64_t kMaxRows = 1u << 22;
constexpr uint64_t kMaxLayers = 1u << 16;
constexpr uint64_t kMaxCells = 1u << 26;         // rows x layers of the sparsity table
constexpr uint64_t kMaxRankElements = 1u << 28;  // 1 GiB of int32 per layer

const char* kInt64Columns[] = {"nnz", "total_params", "nonzero_params", "bytes_dense", "bytes_sparse"};
const char* kEvalCounts[] = {"sub", "del", "ins", "ref_words", "num_utts"};

int64_t& int64_column(SubnetResult& r, int i) {
  int64_t* cols[] = {&r.nnz, &r.total_params, &r.nonzero_params, &r.bytes_dense, &r.bytes_sparse};
  return *cols[i];
}
int64_t& eval_count(EvalMetrics& m, int i) {
  int64_t* cols[] = {&m.sub, &m.del, &m.ins, &m.ref_words, &m.num_utts};
  return *cols[i];
}

// HDF5 link names cannot hold '/', and "." names the group itself.
std::string escape(const std::string& name) {
  if (name == ".") return "%2E";
  std::string out;
  for (char c : name) {
    if (c == '%') out += "%25";
    else if (c == '/') out += "%2F";
    else out += c;
  }
  return out;
}
std::string unescape(const std::string& s) {
  if (s == "%2E") return ".";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && s.compare(i, 3, "%25") == 0) out += '%', i += 2;
    else if (s[i] == '%' && s.compare(i, 3, "%2F") == 0) out += '/', i += 2;
    else out += s[i];
  }
  return out;
}

bool exists(hid_t loc, const std::string& name) {
  return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0;
}

void check_eval_set_name(const std::string& set) {
  if (set.empty() || set == "." || set == ".." || set.find('/') != std::string::npos)
    throw InvalidArgument("results: unusable evaluation set name '" + set + "'");
}

// Chunks of whole rows, at most ~256K elements each.
std::vector<hsize_t> rank_chunks(const std::vector<hsize_t>& dims) {
  std::vector<hsize_t> c = dims;
  auto total = [&] {
    hsize_t t = 1;
    for (auto v : c) t *= v;
    return t;
  };
  while (total() > (1u << 18) && c[0] > 1) c[0] = (c[0] + 1) / 2;
  return c;
}

void write_rank_tensor(hid_t group, const std::string& name, const at::Tensor& t, const fs::path& path) {
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (t.numel() > 0) {
    const auto chunks = rank_chunks(dims);
    H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data());
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
  }
  h5::Handle d(H5Dcreate2(group, escape(name).c_str(), H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  if (!d.valid() || (t.numel() > 0 && H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0))
    throw IoError(path, "HDF5 cannot write ranks of '" + name + "'");
}

at::Tensor read_rank_tensor(hid_t file, const std::string& name, const fs::path& path) {
  const std::string link = "ranks/" + escape(name);
  if (!exists(file, "ranks") || !exists(file, link)) throw FormatError(path, "no ranks stored for layer '" + name + "'");
  h5::Handle d(H5Dopen2(file, link.c_str(), H5P_DEFAULT));
  h5::Handle ft(d.valid() ? H5Dget_type(d) : -1);
  if (!ft.valid() || H5Tget_class(ft) != H5T_INTEGER)
    throw FormatError(path, "ranks of '" + name + "' are not an integer dataset");
  const auto dims = h5::dims(d, path, link);
  uint64_t n = 1;
  for (auto v : dims) {
    if (v > kMaxRankElements || __builtin_mul_overflow(n, v, &n) || n > kMaxRankElements)
      throw FormatError(path, "ranks of '" + name + "' claim more than " + std::to_string(kMaxRankElements) + " elements");
  }
  // A dataset can claim a shape far larger than the bytes it stores (fill values, or a deflate
  // bomb): deflate cannot exceed ~1032:1, so more than that is a lie about the data.
  std::error_code ec;
  const uint64_t file_size = fs::file_size(path, ec);
  const uint64_t stored = H5Dget_storage_size(d);
  if (stored > file_size || n * 4 > stored * 1100 + (1u << 20))
    throw FormatError(path, "ranks of '" + name + "' claim " + std::to_string(n * 4) + " bytes but store " +
                                std::to_string(stored));
  std::vector<int64_t> shape(dims.begin(), dims.end());
  at::Tensor t = at::empty(shape, at::kInt);
  if (n > 0 && H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0)
    throw FormatError(path, "cannot read ranks of '" + name + "' (corrupt?)");
  return t;
}

}  // namespace

std::string layers_fingerprint(const std::vector<std::pair<std::string, std::vector<int64_t>>>& layers) {
  std::ostringstream s;
  for (const auto& [name, shape] : layers) {
    s << name << ':';
    for (size_t i = 0; i < shape.size(); ++i) s << (i ? "x" : "") << shape[i];
    s << ';';
  }
  return sha256_hex(s.str());
}

ResultsStore ResultsStore::open_or_create(const fs::path& path, const std::string& fingerprint,
                                          const std::vector<std::string>& layer_names) {
  ResultsStore s;
  s.path_ = path;
  std::error_code ec;
  if (fs::exists(path, ec)) {
    s.load();
    if (s.fingerprint_ != fingerprint)
      throw FormatError(path, "belongs to a different model (fingerprint " + s.fingerprint_.substr(0, 12) +
                                  "..., this model " + fingerprint.substr(0, 12) +
                                  "...); use a new run directory or the matching model");
    if (s.layers_ != layer_names)
      throw FormatError(path, "lists " + std::to_string(s.layers_.size()) +
                                  " layers that differ from this model's " + std::to_string(layer_names.size()));
    return s;
  }
  std::set<std::string> unique(layer_names.begin(), layer_names.end());
  if (unique.size() != layer_names.size()) throw InvalidArgument("results: duplicate layer names");
  s.fingerprint_ = fingerprint;
  s.layers_ = layer_names;
  s.save();
  return s;
}

ResultsStore ResultsStore::open_read_only(const fs::path& path) {
  ResultsStore s;
  s.path_ = path;
  s.read_only_ = true;
  s.load();
  return s;
}

void ResultsStore::load() {
  h5::QuietErrors quiet;
  h5::Handle f = h5::open_untrusted(path_);
  const std::string format = h5::read_string_attr(f, "format", path_);
  if (format != kResultsFormat) throw FormatError(path_, "not an omnisparse results file (format '" + format + "')");
  const int64_t version = h5::read_i64_attr(f, "version", path_);
  if (version != kVersion)
    throw FormatError(path_, "results format version " + std::to_string(version) + " (this build reads " +
                                 std::to_string(kVersion) + ")");
  fingerprint_ = h5::read_string_attr(f, "fingerprint", path_);
  training_cost_.clear();
  if (H5Aexists(f, "training_cost") > 0) training_cost_ = h5::read_string_attr(f, "training_cost", path_);
  layers_ = h5::read_strings(f, "layers", path_, -1, kMaxLayers);
  const std::vector<std::string> ids = h5::read_strings(f, "subnets/id", path_, -1, kMaxRows);
  const uint64_t n = ids.size(), l = layers_.size();
  if (n * l > kMaxCells) throw FormatError(path_, "sparsity table of " + std::to_string(n) + " x " + std::to_string(l) + " is over the limit");
  const int64_t N = static_cast<int64_t>(n);
  const auto source = h5::read_strings(f, "subnets/source", path_, N);
  const auto label = h5::read_strings(f, "subnets/label", path_, N);
  const auto config = h5::read_strings(f, "subnets/config", path_, N);
  const auto sparsity = h5::read_f32_2d(f, "subnets/sparsity", path_, n, l);
  const auto rtf = h5::read_f64(f, "subnets/rtf", path_, N);
  const auto latency = h5::read_f64(f, "subnets/latency_ms", path_, N);
  const auto pareto = h5::read_i64(f, "subnets/pareto", path_, N);
  std::vector<SubnetResult> rows(n);
  std::set<std::string> seen;
  for (uint64_t i = 0; i < n; ++i) {
    SubnetResult& r = rows[i];
    if (!seen.insert(ids[i]).second) throw FormatError(path_, "duplicate sub-network id '" + ids[i] + "'");
    r.id = ids[i];
    r.source = source[i];
    r.label = label[i];
    r.config_json = config[i];
    r.sparsity.assign(sparsity.begin() + i * l, sparsity.begin() + (i + 1) * l);
    r.rtf = rtf[i];
    r.latency_ms = latency[i];
    r.pareto = pareto[i] != 0;
  }
  for (int c = 0; c < 5; ++c) {
    const auto col = h5::read_i64(f, std::string("subnets/") + kInt64Columns[c], path_, N);
    for (uint64_t i = 0; i < n; ++i) int64_column(rows[i], c) = col[i];
  }
  if (exists(f, "subnets/eval")) {
    h5::Handle g(H5Gopen2(f, "subnets/eval", H5P_DEFAULT));
    if (!g.valid()) throw FormatError(path_, "subnets/eval is not a group");
    for (const std::string& set : h5::list_group(g, path_, 1024)) {
      const std::string base = "subnets/eval/" + set + "/";
      const auto evaluated = h5::read_i64(f, base + "evaluated", path_, N);
      const auto wer = h5::read_f64(f, base + "wer", path_, N);
      const auto cer = h5::read_f64(f, base + "cer", path_, N);
      std::vector<std::vector<int64_t>> counts;
      for (const char* c : kEvalCounts) counts.push_back(h5::read_i64(f, base + c, path_, N));
      for (uint64_t i = 0; i < n; ++i) {
        if (!evaluated[i]) continue;
        EvalMetrics& m = rows[i].evals[set];
        m.wer = wer[i];
        m.cer = cer[i];
        for (int c = 0; c < 5; ++c) eval_count(m, c) = counts[c][i];
      }
    }
  }
  rank_names_.clear();
  if (exists(f, "ranks")) {
    h5::Handle g(H5Gopen2(f, "ranks", H5P_DEFAULT));
    if (!g.valid()) throw FormatError(path_, "'ranks' is not a group");
    for (const std::string& name : h5::list_group(g, path_, kMaxLayers)) rank_names_.push_back(unescape(name));
  }
  rows_ = std::move(rows);
}

bool ResultsStore::has(const std::string& id) const { return get(id).has_value(); }

std::optional<SubnetResult> ResultsStore::get(const std::string& id) const {
  for (const auto& r : rows_)
    if (r.id == id) return r;
  return std::nullopt;
}

void ResultsStore::require_writable() const {
  if (read_only_) throw InvalidArgument(path_.string() + ": opened read-only");
}

void ResultsStore::add_or_update(const SubnetResult& r) { add_or_update(std::vector<SubnetResult>{r}); }

void ResultsStore::add_or_update(const std::vector<SubnetResult>& rs) {
  require_writable();
  for (const auto& r : rs) {
    if (r.id.empty()) throw InvalidArgument("results: a sub-network needs an id");
    if (r.sparsity.size() != layers_.size())
      throw InvalidArgument("results: sub-network '" + r.id + "' has " + std::to_string(r.sparsity.size()) +
                            " sparsity levels for " + std::to_string(layers_.size()) + " layers");
    for (const auto& [set, m] : r.evals) check_eval_set_name(set);
  }
  for (const auto& r : rs) {
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const SubnetResult& x) { return x.id == r.id; });
    if (it != rows_.end()) *it = r;
    else rows_.push_back(r);
  }
  save();
}

void ResultsStore::set_pareto(const std::vector<std::string>& ids) {
  require_writable();
  std::set<std::string> front(ids.begin(), ids.end());
  for (const auto& id : front)
    if (!has(id)) throw InvalidArgument("results: no sub-network with id '" + id + "' for the Pareto front");
  for (auto& r : rows_) r.pareto = front.count(r.id) > 0;
  save();
}

void ResultsStore::save_ranks(const std::map<std::string, at::Tensor>& ranks) {
  require_writable();
  std::map<std::string, at::Tensor> ready;
  for (const auto& [name, t] : ranks) {
    if (std::find(layers_.begin(), layers_.end(), name) == layers_.end())
      throw InvalidArgument("results: ranks for '" + name + "', which is not a layer of this model");
    if (!t.defined() || !at::isIntegralType(t.scalar_type(), /*includeBool=*/false) || t.dim() < 1 || t.dim() > 8)
      throw InvalidArgument("results: ranks of '" + name + "' must be an integer tensor of 1 to 8 dimensions");
    ready[name] = t.to(at::kCPU, at::kInt).contiguous();
  }
  write(&ready);
  rank_names_.clear();
  for (const auto& [name, t] : ready) rank_names_.push_back(escape(name));
  std::sort(rank_names_.begin(), rank_names_.end());  // HDF5's name order
  for (auto& n : rank_names_) n = unescape(n);
}

at::Tensor ResultsStore::load_ranks(const std::string& layer) const {
  h5::QuietErrors quiet;
  h5::Handle f = h5::open_untrusted(path_);
  return read_rank_tensor(f, layer, path_);
}

std::map<std::string, at::Tensor> ResultsStore::load_ranks() const {
  h5::QuietErrors quiet;
  h5::Handle f = h5::open_untrusted(path_);
  std::map<std::string, at::Tensor> out;
  for (const auto& name : rank_names_) out[name] = read_rank_tensor(f, name, path_);
  return out;
}

void ResultsStore::save() {
  require_writable();
  write(nullptr);
}

void ResultsStore::set_training_cost(const std::string& json) {
  require_writable();
  training_cost_ = json;
  save();
}

void ResultsStore::write(const std::map<std::string, at::Tensor>* new_ranks) {
  h5::QuietErrors quiet;
  // Ranks are carried over from the current file unless replaced.
  h5::Handle old;
  if (!new_ranks && !rank_names_.empty()) old = h5::open_untrusted(path_);

  write_path_atomic(path_, [&](const fs::path& tmp) {
    h5::Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!f.valid()) throw IoError(tmp, "HDF5 cannot create the file");
    h5::write_string_attr(f, "format", kResultsFormat, path_);
    h5::write_i64_attr(f, "version", kVersion, path_);
    h5::write_string_attr(f, "fingerprint", fingerprint_, path_);
    if (!training_cost_.empty()) h5::write_string_attr(f, "training_cost", training_cost_, path_);
    h5::write_strings(f, "layers", layers_, path_);

    const size_t n = rows_.size(), l = layers_.size();
    h5::Handle g = h5::create_group(f, "subnets", path_);
    auto strings = [&](auto field) {
      std::vector<std::string> v;
      for (const auto& r : rows_) v.push_back(r.*field);
      return v;
    };
    h5::write_strings(g, "id", strings(&SubnetResult::id), path_);
    h5::write_strings(g, "source", strings(&SubnetResult::source), path_);
    h5::write_strings(g, "label", strings(&SubnetResult::label), path_);
    h5::write_strings(g, "config", strings(&SubnetResult::config_json), path_);
    std::vector<float> sparsity;
    sparsity.reserve(n * l);
    for (const auto& r : rows_) sparsity.insert(sparsity.end(), r.sparsity.begin(), r.sparsity.end());
    h5::write_f32_2d(g, "sparsity", sparsity, n, l, path_);
    for (int c = 0; c < 5; ++c) {
      std::vector<int64_t> v;
      for (auto r : rows_) v.push_back(int64_column(r, c));
      h5::write_i64(g, kInt64Columns[c], v, path_);
    }
    std::vector<double> rtf, lat;
    std::vector<uint8_t> pareto;
    for (const auto& r : rows_) {
      rtf.push_back(r.rtf);
      lat.push_back(r.latency_ms);
      pareto.push_back(r.pareto ? 1 : 0);
    }
    h5::write_f64(g, "rtf", rtf, path_);
    h5::write_f64(g, "latency_ms", lat, path_);
    h5::write_u8(g, "pareto", pareto, path_);

    std::set<std::string> sets;
    for (const auto& r : rows_)
      for (const auto& [s, m] : r.evals) sets.insert(s);
    h5::Handle eval = h5::create_group(g, "eval", path_);
    for (const std::string& s : sets) {
      h5::Handle sg = h5::create_group(eval, s, path_);
      std::vector<uint8_t> evaluated;
      std::vector<double> wer, cer;
      std::vector<std::vector<int64_t>> counts(5);
      for (const auto& r : rows_) {
        auto it = r.evals.find(s);
        EvalMetrics m = it != r.evals.end() ? it->second : EvalMetrics{};
        evaluated.push_back(it != r.evals.end());
        wer.push_back(m.wer);
        cer.push_back(m.cer);
        for (int c = 0; c < 5; ++c) counts[c].push_back(eval_count(m, c));
      }
      h5::write_u8(sg, "evaluated", evaluated, path_);
      h5::write_f64(sg, "wer", wer, path_);
      h5::write_f64(sg, "cer", cer, path_);
      for (int c = 0; c < 5; ++c) h5::write_i64(sg, kEvalCounts[c], counts[c], path_);
    }

    h5::Handle ranks = h5::create_group(f, "ranks", path_);
    if (new_ranks) {
      for (const auto& [name, t] : *new_ranks) write_rank_tensor(ranks, name, t, path_);
    } else if (old.valid()) {
      for (const auto& name : rank_names_) {
        const std::string src = "ranks/" + escape(name);
        if (H5Ocopy(old, src.c_str(), ranks, escape(name).c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
          throw IoError(path_, "HDF5 cannot carry over the ranks of '" + name + "'");
      }
    }
    if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) throw IoError(tmp, "HDF5 cannot flush (disk full?)");
  });
}

}  // namespace omnisparse
