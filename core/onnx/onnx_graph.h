// A small builder over ONNX's own protobuf classes (onnx::ModelProto, Debian libonnx-dev): named
// float/int64 initializers from LibTorch tensors, nodes, typed inputs and outputs with symbolic
// dimensions, metadata, and a checked, shape-inferred serialisation. The graphs of
// core/onnx/sherpa_export.h are written with it.
//
//   OnnxGraph g("encoder");
//   g.input("x", onnx::TensorProto::FLOAT, {"N", "T", "80"});
//   auto w = g.initializer("proj.weight_t", weight.t());        // a float32 tensor
//   auto y = g.node("MatMul", {"x", w});                         // returns the output's name
//   g.output("y", onnx::TensorProto::FLOAT, {"N", "T", "192"}, y);
//   g.metadata("model_type", "lstm");
//   std::string bytes = g.serialize();  // onnx::checker + shape inference first
#pragma once

#include <ATen/ATen.h>

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace omnisparse {

class OnnxGraph {
 public:
  static constexpr int64_t kOpset = 13;

  explicit OnnxGraph(std::string name);

  // A graph input; dims are numbers ("80") or symbolic names ("N").
  void input(const std::string& name, int32_t elem_type, const std::vector<std::string>& dims);
  // A graph output named `name`, produced by `from` (an Identity node when the names differ).
  void output(const std::string& name, int32_t elem_type, const std::vector<std::string>& dims,
              const std::string& from);
  // A constant: float32 (any float tensor is converted) or int64 (an int64 tensor).
  std::string initializer(const std::string& name, const at::Tensor& value);
  // A per-tensor int8 weight: q = round(w / scale), scale = max|w| / 127, zero point 0, and a
  // DequantizeLinear node giving float32 back. Returns the dequantised tensor's name.
  std::string int8_initializer(const std::string& name, const at::Tensor& value);
  // op(inputs) -> one output (name returned), or `outputs` names when given.
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   const std::vector<std::pair<std::string, onnx::AttributeProto>>& attrs = {},
                   std::vector<std::string> outputs = {});
  void metadata(const std::string& key, const std::string& value);

  static onnx::AttributeProto attr_int(int64_t v);
  static onnx::AttributeProto attr_ints(const std::vector<int64_t>& v);
  static onnx::AttributeProto attr_string(const std::string& v);

  // Runs onnx::checker::check_model and onnx::shape_inference (full check) and returns the
  // serialised model. Throws Error with the checker's message (a bug here, not bad input).
  std::string serialize();

 private:
  std::string fresh(const std::string& op);
  onnx::ModelProto model_;
  onnx::GraphProto* graph_;
  int64_t counter_ = 0;
};

}  // namespace omnisparse
