#include "core/io/results_store.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kLayers = {"enc.lstm0.w_ih", "enc.lstm0.w_hh", "joiner/out"};

SubnetResult make(int i) {
  SubnetResult r;
  r.id = "s" + std::to_string(i);
  r.source = i % 2 ? "evo" : "sweep";
  r.label = "uniform " + std::to_string(i);
  r.config_json = R"({"levels":[)" + std::to_string(i) + "]}";
  r.sparsity = {0.1f * static_cast<float>(i % 10), 0.5f, 0.95f};
  r.nnz = 1000 - i;
  r.total_params = 5000;
  r.nonzero_params = 4000 - i;
  r.bytes_dense = 20000;
  r.bytes_sparse = 8000 + i;
  r.evals["dev"] = {i / 100.0, i / 200.0, i, 2 * i, 3 * i, 1000, 50};
  if (i % 3 == 0) r.evals["test"] = {0.25, 0.125, 1, 2, 3, 400, 20};
  r.rtf = i % 2 ? 0.05 * i : NAN;
  return r;
}

void expect_same(const SubnetResult& a, const SubnetResult& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.config_json, b.config_json);
  EXPECT_EQ(a.sparsity, b.sparsity);
  EXPECT_EQ(a.nnz, b.nnz);
  EXPECT_EQ(a.total_params, b.total_params);
  EXPECT_EQ(a.nonzero_params, b.nonzero_params);
  EXPECT_EQ(a.bytes_dense, b.bytes_dense);
  EXPECT_EQ(a.bytes_sparse, b.bytes_sparse);
  EXPECT_EQ(a.pareto, b.pareto);
  EXPECT_EQ(std::isnan(a.rtf), std::isnan(b.rtf));
  if (!std::isnan(a.rtf)) {
    EXPECT_EQ(a.rtf, b.rtf);
  }
  EXPECT_TRUE(std::isnan(b.latency_ms));
  ASSERT_EQ(a.evals.size(), b.evals.size());
  for (const auto& [set, m] : a.evals) {
    const EvalMetrics& n = b.evals.at(set);
    EXPECT_EQ(m.wer, n.wer);
    EXPECT_EQ(m.cer, n.cer);
    EXPECT_EQ(m.sub, n.sub);
    EXPECT_EQ(m.del, n.del);
    EXPECT_EQ(m.ins, n.ins);
    EXPECT_EQ(m.ref_words, n.ref_words);
    EXPECT_EQ(m.num_utts, n.num_utts);
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ResultsStore, RoundTripsSeveralResultsAcrossProcessesAndReopens) {
  test::TempDir dir;
  const fs::path p = dir / "results.h5";
  {
    ResultsStore s = ResultsStore::open_or_create(p, "fp-1", kLayers);
    EXPECT_TRUE(fs::exists(p));
    EXPECT_TRUE(s.all().empty());
    s.add_or_update(make(0));
    s.add_or_update(std::vector<SubnetResult>{make(1), make(2), make(3)});
    s.set_pareto({"s1", "s3"});
  }
  ResultsStore back = ResultsStore::open_or_create(p, "fp-1", kLayers);
  ASSERT_EQ(back.all().size(), 4u);
  for (int i = 0; i < 4; ++i) {
    SubnetResult want = make(i);
    want.pareto = (i == 1 || i == 3);
    expect_same(want, back.all()[i]);
  }
  EXPECT_TRUE(back.has("s2"));
  EXPECT_FALSE(back.has("s9"));
  ResultsStore view = ResultsStore::open_read_only(p);
  EXPECT_EQ(view.fingerprint(), "fp-1");
  EXPECT_EQ(view.layer_names(), kLayers);
  EXPECT_THROW(view.add_or_update(make(5)), InvalidArgument);
}

TEST(ResultsStore, AddOrUpdateReplacesById) {
  test::TempDir dir;
  ResultsStore s = ResultsStore::open_or_create(dir / "r.h5", "fp", kLayers);
  s.add_or_update(std::vector<SubnetResult>{make(1), make(2)});
  SubnetResult changed = make(1);
  changed.evals["dev"].wer = 0.5;
  changed.label = "again";
  s.add_or_update(changed);
  ResultsStore back = ResultsStore::open_read_only(dir / "r.h5");
  ASSERT_EQ(back.all().size(), 2u);
  EXPECT_EQ(back.get("s1")->label, "again");
  EXPECT_EQ(back.get("s1")->evals.at("dev").wer, 0.5);
  EXPECT_EQ(back.get("s2")->label, "uniform 2");
}

TEST(ResultsStore, TrainingCostRoundTripsAndSurvivesRowUpdates) {
  test::TempDir dir;
  ResultsStore s = ResultsStore::open_or_create(dir / "r.h5", "fp", kLayers);
  EXPECT_EQ(s.training_cost(), "");  // files without the attribute read as "not recorded"
  s.add_or_update(make(1));
  const std::string cost = R"({"passes":1000,"total_passes":5000,"parent":"runs/d"})";
  s.set_training_cost(cost);
  s.add_or_update(make(2));  // a later save keeps it
  ResultsStore back = ResultsStore::open_read_only(dir / "r.h5");
  EXPECT_EQ(back.training_cost(), cost);
  EXPECT_EQ(back.all().size(), 2u);
  EXPECT_THROW(back.set_training_cost("{}"), InvalidArgument);
}

TEST(ResultsStore, BadRowsAndUnknownParetoIdsAreRefused) {
  test::TempDir dir;
  ResultsStore s = ResultsStore::open_or_create(dir / "r.h5", "fp", kLayers);
  SubnetResult r = make(1);
  r.sparsity.pop_back();
  EXPECT_THROW(s.add_or_update(r), InvalidArgument);
  r = make(1);
  r.evals["a/b"] = {};
  EXPECT_THROW(s.add_or_update(r), InvalidArgument);
  EXPECT_THROW(s.set_pareto({"nope"}), InvalidArgument);
  EXPECT_TRUE(ResultsStore::open_read_only(dir / "r.h5").all().empty());
}

TEST(ResultsStore, AnotherModelsStoreIsRefused) {
  test::TempDir dir;
  const fs::path p = dir / "r.h5";
  ResultsStore::open_or_create(p, layers_fingerprint({{"a", {4, 8}}}), kLayers).add_or_update(make(1));
  const std::string e = error_of([&] { ResultsStore::open_or_create(p, layers_fingerprint({{"a", {4, 9}}}), kLayers); });
  EXPECT_NE(e.find("belongs to a different model"), std::string::npos) << e;
  EXPECT_NE(layers_fingerprint({{"a", {4, 8}}}), layers_fingerprint({{"a", {8, 4}}}));
  EXPECT_EQ(layers_fingerprint({{"a", {4, 8}}}).size(), 64u);
  const std::string e2 = error_of([&] {
    ResultsStore::open_or_create(p, layers_fingerprint({{"a", {4, 8}}}), {"x"});
  });
  EXPECT_NE(e2.find("layers that differ"), std::string::npos) << e2;
  EXPECT_EQ(ResultsStore::open_read_only(p).all().size(), 1u);  // nothing lost
}

TEST(ResultsStore, RanksRoundTripAndSurviveLaterSaves) {
  test::TempDir dir;
  const fs::path p = dir / "r.h5";
  ResultsStore s = ResultsStore::open_or_create(p, "fp", kLayers);
  const at::Tensor r0 = at::randperm(600 * 300, at::kLong).to(at::kInt).reshape({600, 300});
  const at::Tensor r2 = at::randperm(40, at::kInt).reshape({4, 10});
  s.save_ranks({{kLayers[0], r0}, {kLayers[2], r2}});
  s.add_or_update(make(1));  // rewrites the file: ranks carried over
  s.add_or_update(make(2));
  ResultsStore back = ResultsStore::open_read_only(p);
  EXPECT_EQ(back.rank_names(), (std::vector<std::string>{kLayers[0], kLayers[2]}));
  EXPECT_TRUE(back.load_ranks(kLayers[0]).equal(r0));
  EXPECT_TRUE(back.load_ranks("joiner/out").equal(r2));
  EXPECT_EQ(back.load_ranks().size(), 2u);
  EXPECT_THROW(back.load_ranks(kLayers[1]), FormatError);
  EXPECT_THROW(s.save_ranks({{"not-a-layer", r2}}), InvalidArgument);
  EXPECT_THROW(s.save_ranks({{kLayers[1], at::rand({3})}}), InvalidArgument);
  EXPECT_LT(fs::file_size(p), 600u * 300u * 4u);  // compressed
}

TEST(ResultsStore, TruncatedFileIsAFormatError) {
  test::TempDir dir;
  const fs::path p = dir / "r.h5";
  ResultsStore s = ResultsStore::open_or_create(p, "fp", kLayers);
  s.save_ranks({{kLayers[0], at::randperm(5000, at::kInt)}});
  for (int i = 0; i < 20; ++i) s.add_or_update(make(i));
  const std::string full = read_file(p);
  for (size_t cut : {size_t{0}, size_t{7}, size_t{100}, full.size() / 4, full.size() / 2, full.size() - 1}) {
    write_file_atomic(dir / "t.h5", full.substr(0, cut));
    const std::string e = error_of([&] {
      ResultsStore::open_read_only(dir / "t.h5").load_ranks(kLayers[0]);
    });
    EXPECT_NE(e.find("t.h5"), std::string::npos) << "cut at " << cut << ": " << e;
  }
  write_file_atomic(dir / "t.h5", "not hdf5 at all");
  EXPECT_NE(error_of([&] { ResultsStore::open_read_only(dir / "t.h5"); }).find("not an HDF5 file"), std::string::npos);
}

TEST(ResultsStore, ExternalAndSoftLinksAndExternalStorageAreRefused) {
  test::TempDir dir;
  for (int kind = 0; kind < 3; ++kind) {
    const fs::path p = dir / ("r" + std::to_string(kind) + ".h5");
    ResultsStore::open_or_create(p, "fp", kLayers).add_or_update(make(1));
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    if (kind == 0) {
      ASSERT_GE(H5Lcreate_external("/etc/other.h5", "/secret", f, "subnets/extra", H5P_DEFAULT, H5P_DEFAULT), 0);
    } else if (kind == 1) {
      ASSERT_GE(H5Lcreate_soft("/layers", f, "alias", H5P_DEFAULT, H5P_DEFAULT), 0);
    } else {
      hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
      ASSERT_GE(H5Pset_external(dcpl, (dir / "raw.bin").c_str(), 0, 64), 0);
      hsize_t n = 16;
      hid_t space = H5Screate_simple(1, &n, nullptr);
      hid_t d = H5Dcreate2(f, "ranks/ext", H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
      ASSERT_GE(d, 0);
      H5Dclose(d);
      H5Sclose(space);
      H5Pclose(dcpl);
    }
    H5Fclose(f);
    const std::string e = error_of([&] { ResultsStore::open_read_only(p); });
    const char* want[] = {"is a external link", "is a soft link", "uses external storage"};
    EXPECT_NE(e.find(want[kind]), std::string::npos) << e;
    EXPECT_NE(e.find(p.filename().string()), std::string::npos) << e;
  }
}

TEST(ResultsStore, ReaderInAnotherProcessAlwaysSeesACompleteTable) {
  test::TempDir dir;
  const fs::path p = dir / "results.h5";
  ResultsStore s = ResultsStore::open_or_create(p, "fp", kLayers);
  s.save_ranks({{kLayers[0], at::randperm(20000, at::kInt)}});
  s.add_or_update(make(0));
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const fs::path done = dir / "done";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Reader: re-open in a loop until the writer is done. Exit 0 only if every read saw a
    // complete, consistent table that never shrank.
    close(pipefd[0]);
    int64_t reads = 0;
    size_t last = 0;
    int status = 0;
    for (bool final_pass = false; status == 0;) {
      final_pass = fs::exists(done);
      try {
        ResultsStore v = ResultsStore::open_read_only(p);
        const auto& rows = v.all();
        if (rows.size() < last) status = 3;
        last = rows.size();
        for (size_t i = 0; i < rows.size() && status == 0; ++i)
          if (rows[i].id != std::string("s").append(std::to_string(i)) || rows[i].evals.at("dev").wer != i / 100.0 ||
              rows[i].bytes_sparse != 8000 + static_cast<int64_t>(i))
            status = 4;
        if (v.load_ranks(kLayers[0]).numel() != 20000) status = 5;
        ++reads;
      } catch (...) {
        status = 2;
      }
      if (final_pass) break;
    }
    if (write(pipefd[1], &reads, sizeof reads) != sizeof reads) status = 6;
    _exit(status);
  }
  close(pipefd[1]);
  for (int i = 1; i <= 50; ++i) s.add_or_update(make(i));
  write_file_atomic(done, "1");
  int status = -1;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  int64_t reads = 0;
  ASSERT_EQ(read(pipefd[0], &reads, sizeof reads), static_cast<ssize_t>(sizeof reads));
  close(pipefd[0]);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: a read threw, 3: rows shrank, 4: inconsistent row, 5: ranks";
  EXPECT_GT(reads, 1);
  EXPECT_EQ(ResultsStore::open_read_only(p).all().size(), 51u);
  RecordProperty("concurrent_reads", static_cast<int>(reads));
  std::cout << "reader completed " << reads << " reads during 50 saves\n";
}

}  // namespace omnisparse
