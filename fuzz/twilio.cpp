// Twilio Media Streams frames, one per line, through one codec (telephony_frames.hpp).
#include "fuzz/telephony_frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sb::fuzz::run_stream(sb::dialect::twilio, data, size);
  return 0;
}
