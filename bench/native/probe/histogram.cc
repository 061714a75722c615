#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace podipc::probe {
namespace {

int BucketOf(uint64_t v) {
  return 63 - __builtin_clzll(v | LatencyHistogram::kSubBucketMask) - LatencyHistogram::kSubBucketHalfCountMagnitude;
}

}  // namespace

void LatencyHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
}

uint64_t LatencyHistogram::ValueAtIndex(size_t index) {
  int bucket = static_cast<int>(index >> kSubBucketHalfCountMagnitude) - 1;
  uint64_t sub = (index & (kSubBucketHalfCount - 1)) + kSubBucketHalfCount;
  if (bucket < 0) {
    sub -= kSubBucketHalfCount;
    bucket = 0;
  }
  return sub << bucket;
}

uint64_t LatencyHistogram::LowestEquivalent(uint64_t v) {
  int bucket = BucketOf(v);
  return (v >> bucket) << bucket;
}

uint64_t LatencyHistogram::HighestEquivalent(uint64_t v) {
  // HdrHistogram: nextNonEquivalentValue(v) - 1, the bucket's width being 1 << bucketIndex.
  return LowestEquivalent(v) + (uint64_t{1} << BucketOf(v)) - 1;
}

uint64_t LatencyHistogram::MedianEquivalent(uint64_t v) {
  return LowestEquivalent(v) + ((uint64_t{1} << BucketOf(v)) >> 1);
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::Pairs() const {
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  for (size_t i = 0; i < counts_.size(); i++) {
    if (counts_[i] > 0) pairs.emplace_back(ValueAtIndex(i), counts_[i]);
  }
  return pairs;
}

LatencySummary LatencyHistogram::Summary() const {
  LatencySummary s{0, 0, 0, 0, 0, 0, 0};
  if (total_ == 0) return s;
  auto at = [&](double percentile) -> double {
    // HdrHistogram getValueAtPercentile (hdr-histogram-js 3, Java 2.1.12): the first bucket
    // whose running count reaches max(1, ceil(fp - ulp(fp))), fp = p/100 * total: rounding up
    // so the percentile's value is included, minus one ulp so fp noise never skips a count.
    const double fp = percentile / 100.0 * static_cast<double>(total_);
    const double ulp = fp > 0 ? std::ldexp(1.0, static_cast<int>(std::floor(std::log2(fp))) - 52) : 0;
    uint64_t countAt = std::max<uint64_t>(static_cast<uint64_t>(std::ceil(fp - ulp)), 1);
    uint64_t running = 0;
    for (size_t i = 0; i < counts_.size(); i++) {
      running += counts_[i];
      if (running >= countAt) return static_cast<double>(HighestEquivalent(ValueAtIndex(i)));
    }
    return 0;
  };
  s.p50 = at(50);
  s.p90 = at(90);
  s.p99 = at(99);
  s.p999 = at(99.9);
  // max is the 100th percentile, as core/histogram.ts summarizeHistogram reports it: the top
  // bucket's highest equivalent value, so a run's max and its case's merged max agree.
  s.max = at(100);
  double sum = 0;
  for (size_t i = 0; i < counts_.size(); i++) {
    if (counts_[i] == 0) continue;
    sum += static_cast<double>(MedianEquivalent(ValueAtIndex(i))) * static_cast<double>(counts_[i]);
  }
  s.mean = sum / static_cast<double>(total_);
  double dev = 0;
  for (size_t i = 0; i < counts_.size(); i++) {
    if (counts_[i] == 0) continue;
    double d = static_cast<double>(MedianEquivalent(ValueAtIndex(i))) - s.mean;
    dev += d * d * static_cast<double>(counts_[i]);
  }
  s.stddev = std::sqrt(dev / static_cast<double>(total_));
  return s;
}

}  // namespace podipc::probe
