// Runs an ONNX graph with ONNX Runtime (onnxruntime-node), for comparing omnisparse's
// sherpa-onnx exports with LibTorch.
//
//   node tests/sherpa/ort_run.js SPEC.json
//
// SPEC: {"model": "encoder.onnx", "out_dir": "dir", "inputs": [{"type": "float32" | "int64",
//        "dims": [...], "file": "raw little-endian data"}, ...]} (inputs by position). Writes
// out_dir/<i>.bin for output i and prints {"outputs": [{"name", "dims"}, ...]}.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const session = await ort.InferenceSession.create(spec.model, {intraOpNumThreads: 1});
  const feeds = {};
  spec.inputs.forEach((inp, i) => {
    const b = fs.readFileSync(inp.file);
    const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
    const data = inp.type === 'int64' ? new BigInt64Array(buf) : new Float32Array(buf);
    feeds[session.inputNames[i]] = new ort.Tensor(inp.type, data, inp.dims);
  });
  const out = await session.run(feeds);
  const info = [];
  session.outputNames.forEach((name, i) => {
    const t = out[name];
    fs.writeFileSync(path.join(spec.out_dir, i + '.bin'),
                     Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    info.push({name, dims: t.dims});
  });
  process.stdout.write(JSON.stringify({outputs: info}) + '\n');
}

main().catch((e) => {
  console.error(String(e && e.message ? e.message : e).split('\n')[0]);
  process.exit(1);
});
