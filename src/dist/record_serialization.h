#pragma once
// Boost.Serialization for the per-head records (src/io/head_record.h) and helpers that turn
// any serializable value into bytes and back (binary archive; both ends are the same build on
// the same kind of machine, which is all MPI messages and resume files need).
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <sstream>
#include <string>

#include "io/head_record.h"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, logitrank::SpectrumMetrics& m, const unsigned int) {
  ar& m.k80& m.k90& m.k95& m.k99& m.erank& m.pr& m.stable_rank& m.numerical_rank;
}

template <class Archive>
void serialize(Archive& ar, logitrank::SoftmaxPoint& p, const unsigned int) {
  ar& p.rank& p.tv_full& p.tv_causal& p.bound_full;
}

template <class Archive>
void serialize(Archive& ar, logitrank::FieldRecord& r, const unsigned int) {
  ar& r.model& r.text& r.window& r.layer& r.head& r.kv_head& r.head_dim& r.seq_len& r.sv& r.metrics& r
      .softmax;
}

template <class Archive>
void serialize(Archive& ar, logitrank::WeightRecord& r, const unsigned int) {
  ar& r.model& r.layer& r.head& r.kv_head& r.head_dim& r.sv& r.metrics;
}

}  // namespace boost::serialization

namespace logitrank::dist {

template <class T>
std::string to_bytes(const T& value) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    ar << value;
  }
  return std::move(os).str();
}

// Throws boost::archive::archive_exception (or std::exception) on malformed bytes.
template <class T>
T from_bytes(const std::string& bytes) {
  T value{};
  std::istringstream is(bytes, std::ios::binary);
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  ar >> value;
  return value;
}

}  // namespace logitrank::dist
