// Allocator settings for training processes.
//
//   keep_step_buffers_in_heap();   // once, before the first training step (Trainer::run does)
//
// A training pass allocates and frees the same few large buffers every step (the LSTM layers'
// per-step gates, the joiner's logits, their gradients: megabytes each). glibc serves blocks
// above its mmap threshold with fresh mappings, so every step page-faults them in again: with
// lstm_layer's buffers, 567 k minor faults in 30 tiny-model steps and a third of the step time
// on this 2-core VM, against 111 k faults once the blocks stay in the heap. This keeps blocks
// up to 32 MB (glibc's upper limit for the threshold) in the heap and freed heap memory for the
// next step instead of trimming it. Process-wide, idempotent; a no-op without glibc.
#pragma once

namespace omnisparse {

void keep_step_buffers_in_heap();

}  // namespace omnisparse
