// The messages SNS writes: the JSON envelope of a notification or a confirmation, laid out as AWS
// lays it out (one member per line, " : " between name and value) and signed over AWS's canonical
// string with this server's key, whose certificate is served at the envelope's SigningCertURL.
#include <boost/json.hpp>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "services/sns/sns_delivery.hpp"
#include "services/sns/sns_service.hpp"

#include "common/encoding.hpp"

namespace mallard::sns {
namespace json = boost::json;

std::string SnsTimestamp(std::int64_t epoch_millis) {
  std::time_t seconds = static_cast<std::time_t>(epoch_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[80];  // room for any year gmtime_r can produce (GCC checks the worst case)
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(epoch_millis % 1000));
  return buffer;
}

std::string SnsService::CertificatePath() const {
  // AWS names the certificate after a hash; ours is of the certificate itself, so a new key (a
  // restart) is a new URL and a validator's cache never serves a stale one. Every envelope names
  // it: hashed once, not per message.
  std::call_once(certificate_path_once_, [this] {
    std::string pem = options_.signer ? options_.signer->CertificatePem() : std::string();
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(pem.data()), pem.size(), digest);
    certificate_path_ = std::string(kCertificatePathPrefix) +
                        HexEncode(std::string_view(reinterpret_cast<const char*>(digest), 16)) + ".pem";
  });
  return certificate_path_;
}

std::string SnsService::Envelope(const EnvelopeFields& fields) const {
  // Members in AWS's order; the signature covers the canonical subset.
  json::object envelope;
  envelope["Type"] = fields.type;
  envelope["MessageId"] = fields.message_id;
  bool confirmation = fields.type != "Notification";
  if (confirmation) envelope["Token"] = fields.token;
  if (!fields.sequence_number.empty()) envelope["SequenceNumber"] = fields.sequence_number;
  envelope["TopicArn"] = fields.topic_arn;
  if (!confirmation && !fields.subject.empty()) envelope["Subject"] = fields.subject;
  envelope["Message"] = fields.message;
  if (confirmation) envelope["SubscribeURL"] = fields.subscribe_url;
  envelope["Timestamp"] = fields.timestamp;
  envelope["SignatureVersion"] = std::to_string(fields.signature_version);
  std::string signature;
  if (options_.signer) {
    std::string canonical = CanonicalStringToSign(envelope);
    std::string cache_key = std::to_string(fields.signature_version) + canonical;  // same text, either digest
    if (fields.signatures != nullptr) {
      if (auto known = fields.signatures->find(cache_key); known != fields.signatures->end()) signature = known->second;
    }
    if (signature.empty()) {
      auto signed_text = options_.signer->Sign(canonical, fields.signature_version);
      if (signed_text) {
        signature = std::move(signed_text).value();
        if (fields.signatures != nullptr) (*fields.signatures)[cache_key] = signature;
      } else {
        spdlog::warn("sns: signing a message failed: {}", signed_text.error());
      }
    }
  }
  envelope["Signature"] = signature;
  envelope["SigningCertURL"] = fields.endpoint_base + CertificatePath();
  if (!confirmation) envelope["UnsubscribeURL"] = fields.unsubscribe_url;
  if (!confirmation && fields.attributes != nullptr && !fields.attributes->empty()) {
    envelope["MessageAttributes"] = EnvelopeAttributes(*fields.attributes);
  }
  std::string out = "{\n";
  bool first = true;
  for (const auto& [name, value] : envelope) {
    if (!first) out += ",\n";
    first = false;
    out += "  " + json::serialize(json::string(name)) + " : " + json::serialize(value);
  }
  out += "\n}";
  return out;
}

}  // namespace mallard::sns
