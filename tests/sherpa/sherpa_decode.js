// Decodes raw float32 16 kHz mono files with sherpa-onnx's streaming recognizer (greedy search
// unless METHOD says modified_beam_search, 4 active paths; no endpointing), as a user of an
// omnisparse sherpa-onnx export would.
//
//   node tests/sherpa/sherpa_decode.js MODEL_DIR LIST [TAIL_SECONDS] [METHOD]
//
// LIST: one "id<TAB>path.f32" per line. Prints one JSON line {"id", "text", "tokens"} per file.
// TAIL_SECONDS of zeros (default 0.5) follow each file: the recognizer decodes whole chunks only.
'use strict';
const fs = require('fs');
const path = require('path');
const sherpa = require('sherpa-onnx-node');

function main() {
  const [dir, list, tailArg, methodArg] = process.argv.slice(2);
  const method = methodArg || 'greedy_search';
  if (!dir || !list || !['greedy_search', 'modified_beam_search'].includes(method)) {
    console.error('usage: sherpa_decode.js MODEL_DIR LIST [TAIL_SECONDS] [greedy_search|modified_beam_search]');
    process.exit(2);
  }
  const tail = tailArg === undefined ? 0.5 : Number(tailArg);
  const rec = new sherpa.OnlineRecognizer({
    featConfig: {sampleRate: 16000, featureDim: 80},
    modelConfig: {
      transducer: {
        encoder: path.join(dir, 'encoder.onnx'),
        decoder: path.join(dir, 'decoder.onnx'),
        joiner: path.join(dir, 'joiner.onnx'),
      },
      tokens: path.join(dir, 'tokens.txt'),
      numThreads: 1,
      provider: 'cpu',
      debug: 0,
      modelType: 'lstm',
    },
    decodingMethod: method,
    maxActivePaths: 4,
    enableEndpoint: false,
  });
  for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [id, file] = line.split('\t');
    const b = fs.readFileSync(file);
    const samples = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    const s = rec.createStream();
    s.acceptWaveform({samples, sampleRate: 16000});
    s.acceptWaveform({samples: new Float32Array(Math.round(16000 * tail)), sampleRate: 16000});
    s.inputFinished();
    while (rec.isReady(s)) rec.decode(s);
    const r = rec.getResult(s);
    process.stdout.write(JSON.stringify({id, text: r.text, tokens: r.tokens, timestamps: r.timestamps}) + "\n");
  }
}

main();
