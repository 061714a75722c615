// Round-trip latencies as an HdrHistogram with lowest discernible value 1 ns and 3
// significant digits (sub-bucket count 2048, unit magnitude 0), the bucketing of the
// contract, so the harness rebuilds the exact histogram from the (value, count) pairs:
//   bucketIndex = 63 - clz64(v | 2047) - 10, subBucketIndex = v >> bucketIndex,
//   lowestEquivalent(v) = subBucketIndex << bucketIndex.
// Counts live in one array allocated once, laid out as HdrHistogram's counts array (index
// order is value order), so recording is two shifts and an increment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace podipc::probe {

struct LatencySummary {
  double p50, p90, p99, p999, max, mean, stddev;
};

class LatencyHistogram {
 public:
  static constexpr int kSubBucketHalfCountMagnitude = 10;
  static constexpr uint64_t kSubBucketHalfCount = 1u << kSubBucketHalfCountMagnitude;
  static constexpr uint64_t kSubBucketMask = 2 * kSubBucketHalfCount - 1;
  // bucketIndex of any 64-bit value is at most 63 - 10 = 53.
  static constexpr int kBucketCount = 54;

  LatencyHistogram() : counts_((kBucketCount + 1) * kSubBucketHalfCount, 0) {}

  void Reset();

  void Record(int64_t valueNs) {
    uint64_t v = valueNs < 1 ? 1 : static_cast<uint64_t>(valueNs);
    int bucket = 63 - __builtin_clzll(v | kSubBucketMask) - kSubBucketHalfCountMagnitude;
    uint64_t sub = v >> bucket;
    counts_[(static_cast<uint64_t>(bucket + 1) << kSubBucketHalfCountMagnitude) + (sub - kSubBucketHalfCount)]++;
    total_++;
  }

  uint64_t total() const { return total_; }

  // (lowestEquivalent value, count) for every non-empty bucket, ascending.
  std::vector<std::pair<uint64_t, uint64_t>> Pairs() const;

  // Statistics as HdrHistogram computes them (getValueAtPercentile returns the highest value
  // equivalent to the bucket that reaches the percentile's count; mean and stddev use each
  // bucket's median equivalent value; stddev is the population form), so they equal what
  // core/histogram.ts (hdr-histogram-js) gives for a histogram rebuilt from Pairs(). The
  // harness recomputes them from the pairs anyway; these make the line readable on its own.
  LatencySummary Summary() const;

  static uint64_t LowestEquivalent(uint64_t v);
  static uint64_t HighestEquivalent(uint64_t v);
  static uint64_t MedianEquivalent(uint64_t v);

 private:
  static uint64_t ValueAtIndex(size_t index);
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

}  // namespace podipc::probe
