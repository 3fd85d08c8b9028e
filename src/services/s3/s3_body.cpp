#include "services/s3/s3_body.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>

#include "services/s3/s3_call.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {
namespace {

class BodyPump : public std::enable_shared_from_this<BodyPump> {
 public:
  BodyPump(std::shared_ptr<S3Call> call, std::unique_ptr<BodyWriter> writer, const codec::DeclaredChecksums& declared,
           codec::ExpectedDigestForm md5_form, std::uint64_t max_bytes, std::function<void(Result<ReceivedBody>)> done)
      : call_(std::move(call)),
        writer_(std::move(writer)),
        declared_(declared),
        digests_(std::make_shared<codec::UploadDigests>(declared)),
        md5_form_(md5_form),
        max_bytes_(max_bytes),
        done_(std::move(done)) {
    if (declared_.aws_chunked()) {
      std::optional<codec::ChunkSigning> signing;
      if (const auto& signature = call_->request().signature) {
        signing = codec::ChunkSigning{signature->signing_key, signature->seed_signature, signature->amz_date,
                                      signature->scope};
      }
      decoder_ = std::make_unique<codec::AwsChunkedDecoder>(declared_.ChunkedOptions(std::move(signing)));
    }
  }

  void Start() {
    auto stream = call_->request().http.body_stream;
    if (!stream) {
      // A buffered body (a small upload, BodyReadingFor): one piece, then the end. ReceiveBody is
      // called on the pool, so it is consumed here rather than handed over once more.
      std::string body = std::move(call_->request().http.body);
      if (!body.empty() && !Consume(body)) return;
      End();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      reading_ = true;
    }
    ReadNext();
  }

 private:
  // The socket is read ahead of the pool: while one piece is decoded, hashed and written, the next
  // ones (at most kReadAhead) are already being received. Pieces are consumed in order by one
  // Drain at a time.
  static constexpr std::size_t kReadAhead = 2;
  struct Piece {
    std::string bytes;  // empty (and no error): the body ended
    std::string error;
  };

  void ReadNext() {
    auto self = shared_from_this();
    call_->request().http.body_stream->Read(
        [self](std::string bytes, std::string error) { self->OnPiece(std::move(bytes), std::move(error)); });
  }

  // On the connection's thread: queue the piece, read on if there is room, start a Drain if none runs.
  void OnPiece(std::string bytes, std::string error) {
    const bool last = !error.empty() || bytes.empty();
    bool read_more = false;
    bool drain = false;
    {
      std::lock_guard lock(mutex_);
      reading_ = false;
      if (stopped_) return;
      if (last) ended_ = true;
      pieces_.push_back(Piece{std::move(bytes), std::move(error)});
      read_more = !ended_ && pieces_.size() < kReadAhead;
      reading_ = read_more;
      drain = !draining_;
      draining_ = true;
    }
    if (read_more) ReadNext();
    if (drain) {
      auto self = shared_from_this();
      call_->RunBlocking([self] { self->Drain(); });
    }
  }

  // On the pool: the queued pieces in order, until the queue is empty or the upload is over.
  void Drain() {
    for (;;) {
      Piece piece;
      bool read_more = false;
      {
        std::lock_guard lock(mutex_);
        if (stopped_ || pieces_.empty()) {
          draining_ = false;
          return;
        }
        piece = std::move(pieces_.front());
        pieces_.pop_front();
        read_more = !reading_ && !ended_ && pieces_.size() < kReadAhead;
        if (read_more) reading_ = true;
      }
      if (read_more) ReadNext();
      if (!piece.error.empty()) {
        spdlog::debug("s3 upload body failed: {} (request {})", piece.error, call_->context().request_id);
        Stop();
        return Finish(Fail(errors::IncompleteBody()));
      }
      if (piece.bytes.empty()) {
        Stop();
        return End();
      }
      if (!Consume(piece.bytes)) return Stop();
    }
  }

  // The upload is over (ended or failed): pieces still arriving are dropped, none is asked for.
  void Stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    pieces_.clear();
  }

  // Decodes, hashes and stores one piece; false when the upload failed (and `done` has run).
  bool Consume(std::string_view bytes) {
    std::string_view payload = bytes;
    if (decoder_) {
      decoded_.clear();
      auto fed = decoder_->Feed(bytes, decoded_);
      if (!fed) {
        Finish(Fail(fed.error().ToAwsError()));
        return false;
      }
      payload = decoded_;
    }
    if (payload.empty()) return true;
    received_ += payload.size();
    if (received_ > max_bytes_) {
      Finish(Fail(errors::EntityTooLarge(received_, max_bytes_)));
      return false;
    }
    digests_->Update(payload);
    if (auto appended = writer_->Append(payload); !appended) {
      Finish(Fail(call_->ToAwsError(appended.error())));
      return false;
    }
    return true;
  }

  void End() {
    codec::Trailers trailers;
    if (decoder_) {
      auto finished = decoder_->Finish();
      if (!finished) return Finish(Fail(finished.error().ToAwsError()));
      trailers = std::move(finished).value();
      if (auto length = codec::CheckDecodedLength(declared_, decoder_->decoded_bytes()); !length) {
        return Finish(Fail(length.error()));
      }
    } else if (auto declared = call_->request().http.body_stream ? call_->request().http.body_stream->DeclaredLength()
                                                                 : std::nullopt;
               declared && *declared != received_) {
      return Finish(Fail(errors::IncompleteBody()));
    }
    if (auto verified = digests_->Verify(trailers, md5_form_); !verified) return Finish(Fail(verified.error()));
    Finish(ReceivedBody{std::move(writer_), digests_, std::move(trailers)});
  }

  void Finish(Result<ReceivedBody> outcome) {
    auto done = std::move(done_);
    if (done) done(std::move(outcome));
  }

  std::shared_ptr<S3Call> call_;
  std::unique_ptr<BodyWriter> writer_;
  codec::DeclaredChecksums declared_;
  std::shared_ptr<codec::UploadDigests> digests_;
  codec::ExpectedDigestForm md5_form_;
  std::uint64_t max_bytes_;
  std::function<void(Result<ReceivedBody>)> done_;
  std::unique_ptr<codec::AwsChunkedDecoder> decoder_;
  std::string decoded_;
  std::uint64_t received_ = 0;
  std::mutex mutex_;  // the read-ahead state below
  std::deque<Piece> pieces_;
  bool reading_ = false;   // a Read is outstanding
  bool ended_ = false;     // the last piece (end or error) has arrived: no more Reads
  bool draining_ = false;  // a Drain is queued or running
  bool stopped_ = false;   // the upload is over
};

class StoreSource final : public http::ResponseBodySource, public std::enable_shared_from_this<StoreSource> {
 public:
  StoreSource(std::shared_ptr<const S3Service> service, std::shared_ptr<BodyReader> reader, std::uint64_t offset,
              std::uint64_t length)
      : service_(std::move(service)), reader_(std::move(reader)), next_(offset), end_(offset + length), length_(length) {}

  std::uint64_t Length() const override { return length_; }

  void Read(http::BodyReadDone done) override {
    auto self = shared_from_this();
    service_->RunBlocking([self, done = std::move(done)] {
      if (self->next_ >= self->end_) return done(std::string(), std::string());
      auto want = static_cast<std::size_t>(std::min<std::uint64_t>(self->end_ - self->next_, self->service_->options().read_piece));
      auto bytes = self->reader_->ReadAt(self->next_, want);
      if (!bytes) return done(std::string(), "the store could not read the object: " + bytes.error().detail);
      if (bytes.value().empty()) return done(std::string(), "the object ended early");
      self->next_ += bytes.value().size();
      done(std::move(bytes).value(), std::string());
    });
  }

 private:
  std::shared_ptr<const S3Service> service_;
  std::shared_ptr<BodyReader> reader_;
  std::uint64_t next_;
  std::uint64_t end_;
  std::uint64_t length_;
};

}  // namespace

void ReceiveBody(const std::shared_ptr<S3Call>& call, std::unique_ptr<BodyWriter> writer,
                 const codec::DeclaredChecksums& declared, codec::ExpectedDigestForm md5_form, std::uint64_t max_bytes,
                 std::function<void(Result<ReceivedBody>)> done) {
  std::make_shared<BodyPump>(call, std::move(writer), declared, md5_form, max_bytes, std::move(done))->Start();
}

std::shared_ptr<http::ResponseBodySource> StoreBodySource(std::shared_ptr<const S3Service> service,
                                                          std::shared_ptr<BodyReader> reader, std::uint64_t offset,
                                                          std::uint64_t length) {
  return std::make_shared<StoreSource>(std::move(service), std::move(reader), offset, length);
}

}  // namespace mallard::s3
