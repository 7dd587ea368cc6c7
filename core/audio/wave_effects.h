// The signal-processing building blocks of waveform augmentation (wave_augment.h draws their
// parameters). Each is usable on its own and tested on its own. All take/return mono float.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace omnisparse {

// Kaldi-style speed perturbation: the audio is played `factor` times faster, so both tempo and
// pitch change and the length becomes n / factor (soxr resampling from rate*factor to rate).
std::vector<float> speed_perturb(const std::vector<float>& x, double factor, int sample_rate);

enum class NoiseColour { kWhite, kPink, kBrown };
NoiseColour noise_colour_from_string(const std::string& name);  // "white" | "pink" | "brown"
std::string to_string(NoiseColour c);

// n samples of zero-mean noise with unit RMS. Pink: 1/f (Paul Kellet's filter on white noise),
// brown: 1/f^2 (leaky integrator). Deterministic under rng.
std::vector<float> coloured_noise(size_t n, NoiseColour colour, std::mt19937_64& rng);

// x += g * noise with g chosen so that 10 log10(P_x / P_{g noise}) = snr_db over the whole
// signal (P = mean square). noise must be at least as long as x. A silent x is left unchanged.
void add_noise_at_snr(std::vector<float>& x, const std::vector<float>& noise, double snr_db);

// A synthetic room: a unit direct path, then after a 1-5 ms gap Gaussian noise decaying by
// 60 dB over rt60_s seconds, scaled so the direct-to-reverberant energy ratio is drr_db.
// Length rt60_s seconds.
std::vector<float> room_impulse_response(double rt60_s, double drr_db, int sample_rate,
                                         std::mt19937_64& rng);

// Linear convolution of x with h by FFT (ATen), cut to x's length.
std::vector<float> fft_convolve(const std::vector<float>& x, const std::vector<float>& h);

// Two cascaded RBJ biquads (Q = 0.7071 each, 24 dB/octave), like a band-limited microphone or
// telephone channel. Filtered in place; cutoff must be below Nyquist.
void lowpass(std::vector<float>& x, double cutoff_hz, int sample_rate);
void highpass(std::vector<float>& x, double cutoff_hz, int sample_rate);

// 8 kHz speech codecs of telephone networks, through libsndfile's own encoders (in memory):
// G.711 mu-law and A-law (wired and VoIP lines, 8 bits a sample) and GSM 06.10 full rate
// (mobile phones, 13 kbit/s).
enum class TelephoneCodec { kMuLaw, kALaw, kGsm };
TelephoneCodec telephone_codec_from_string(const std::string& name);  // "ulaw" | "alaw" | "gsm"
std::string to_string(TelephoneCodec c);

// Encodes 8 kHz mono samples with `codec` and decodes them again; same length. Samples beyond
// [-1, 1] are clipped, as a codec would.
std::vector<float> codec_roundtrip(const std::vector<float>& x_8k, TelephoneCodec codec);

// A telephone line: 300 Hz high-pass, resampled to 8 kHz (soxr: nothing above 4 kHz survives),
// 3.4 kHz low-pass, `codec_roundtrip`, resampled back to sample_rate. The length is kept.
std::vector<float> telephone_channel(const std::vector<float>& x, TelephoneCodec codec,
                                     int sample_rate);

double mean_square(const std::vector<float>& x);

}  // namespace omnisparse
