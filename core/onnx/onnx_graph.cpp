#include "core/onnx/onnx_graph.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>

#include "core/common/error.h"

namespace omnisparse {
namespace {

void set_shape(onnx::ValueInfoProto* v, int32_t elem_type, const std::vector<std::string>& dims) {
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* shape = t->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (!d.empty() && d.find_first_not_of("0123456789") == std::string::npos) {
      dim->set_dim_value(std::stoll(d));
    } else {
      dim->set_dim_param(d);
    }
  }
}

}  // namespace

OnnxGraph::OnnxGraph(std::string name) {
  model_.set_ir_version(onnx::IR_VERSION);  // 8 in ONNX 1.12, read by every ONNX Runtime since 1.10
  model_.set_producer_name("omnisparse");
  auto* opset = model_.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  graph_ = model_.mutable_graph();
  graph_->set_name(std::move(name));
}

void OnnxGraph::input(const std::string& name, int32_t elem_type,
                      const std::vector<std::string>& dims) {
  set_shape(graph_->add_input(), elem_type, dims);
  graph_->mutable_input(graph_->input_size() - 1)->set_name(name);
}

void OnnxGraph::output(const std::string& name, int32_t elem_type,
                       const std::vector<std::string>& dims, const std::string& from) {
  if (from != name) node("Identity", {from}, {}, {name});
  auto* v = graph_->add_output();
  v->set_name(name);
  set_shape(v, elem_type, dims);
}

std::string OnnxGraph::initializer(const std::string& name, const at::Tensor& value) {
  auto* t = graph_->add_initializer();
  t->set_name(name);
  for (int64_t d : value.sizes()) t->add_dims(d);
  if (value.scalar_type() == at::kLong) {
    auto v = value.detach().to(at::kCPU).contiguous();
    t->set_data_type(onnx::TensorProto::INT64);
    t->set_raw_data(v.data_ptr(), static_cast<size_t>(v.numel()) * sizeof(int64_t));
  } else if (value.scalar_type() == at::kChar) {
    auto v = value.detach().to(at::kCPU).contiguous();
    t->set_data_type(onnx::TensorProto::INT8);
    t->set_raw_data(v.data_ptr(), static_cast<size_t>(v.numel()));
  } else {
    auto v = value.detach().to(at::kCPU, at::kFloat).contiguous();
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->set_raw_data(v.data_ptr(), static_cast<size_t>(v.numel()) * sizeof(float));
  }
  return name;
}

std::string OnnxGraph::int8_initializer(const std::string& name, const at::Tensor& value) {
  auto w = value.detach().to(at::kCPU, at::kFloat);
  const double max_abs = w.numel() ? w.abs().max().item<double>() : 0.0;
  const float scale = max_abs > 0 ? static_cast<float>(max_abs / 127.0) : 1.0f;
  auto q = (w / scale).round().clamp(-127, 127).to(at::kChar);
  const std::string qn = initializer(name + "_int8", q);
  const std::string sn = initializer(name + "_scale", at::full({}, scale, at::kFloat));
  const std::string zn = initializer(name + "_zero_point", at::zeros({}, at::kChar));
  return node("DequantizeLinear", {qn, sn, zn}, {}, {name});
}

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs,
                            const std::vector<std::pair<std::string, onnx::AttributeProto>>& attrs,
                            std::vector<std::string> outputs) {
  auto* n = graph_->add_node();
  n->set_op_type(op);
  n->set_name(fresh(op));
  for (const auto& i : inputs) n->add_input(i);
  if (outputs.empty()) outputs.push_back(n->name() + "_out");
  for (const auto& o : outputs) n->add_output(o);
  for (const auto& [key, a] : attrs) {
    auto* attr = n->add_attribute();
    *attr = a;
    attr->set_name(key);
  }
  return outputs.front();
}

void OnnxGraph::metadata(const std::string& key, const std::string& value) {
  auto* p = model_.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

onnx::AttributeProto OnnxGraph::attr_int(int64_t v) {
  onnx::AttributeProto a;
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

onnx::AttributeProto OnnxGraph::attr_ints(const std::vector<int64_t>& v) {
  onnx::AttributeProto a;
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
  return a;
}

onnx::AttributeProto OnnxGraph::attr_string(const std::string& v) {
  onnx::AttributeProto a;
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
  return a;
}

std::string OnnxGraph::serialize() {
  try {
    onnx::checker::check_model(model_);
    onnx::ShapeInferenceOptions options(/*check_type=*/true, /*strict_mode=*/1);
    onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw Error("ONNX graph '" + graph_->name() + "' is invalid: " + e.what());
  }
  std::string bytes;
  if (!model_.SerializeToString(&bytes)) {
    throw Error("ONNX graph '" + graph_->name() + "' could not be serialised");
  }
  return bytes;
}

std::string OnnxGraph::fresh(const std::string& op) {
  return op + "_" + std::to_string(counter_++);
}

}  // namespace omnisparse
