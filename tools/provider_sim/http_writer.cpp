#include "tools/provider_sim/http_writer.hpp"

#include <cstdio>
#include <cstring>
#include <vector>

namespace sb::sim {

namespace {

bool write_headers(lws* wsi, const http_reply& r) {
  std::vector<unsigned char> buf(LWS_PRE + 4096);
  unsigned char* start = buf.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf.data() + buf.size() - 1;
  auto add = [&](const std::string& name, const std::string& value) {
    std::string n = name + ":";
    return lws_add_http_header_by_name(
               wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
               reinterpret_cast<const unsigned char*>(value.data()), int(value.size()),
               &p, end) == 0;
  };
  if (lws_add_http_header_status(wsi, r.status, &p, end) ||
      lws_add_http_header_by_token(
          wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
          reinterpret_cast<const unsigned char*>(r.content_type.c_str()),
          int(r.content_type.size()), &p, end))
    return false;
  if (r.chunked) {
    if (!add("transfer-encoding", "chunked")) return false;
  } else if (lws_add_http_header_content_length(wsi, r.body ? r.body->total_size() : 0,
                                                &p, end)) {
    return false;
  }
  for (const auto& [name, value] : r.headers)
    if (!add(name, value)) return false;
  return lws_finalize_write_http_header(wsi, start, &p, end) == 0;
}

// One body write; chunked replies get their chunk framing and terminator here.
bool write_body(lws* wsi, const http_reply& r, const std::string& data, bool last) {
  std::string framed;
  if (r.chunked) {
    char size[20];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    if (!data.empty()) framed.append(size, size_t(n)).append(data).append("\r\n");
    if (last) framed.append("0\r\n\r\n");
  } else {
    framed = data;
  }
  if (framed.empty()) return true;
  std::vector<unsigned char> buf(LWS_PRE + framed.size());
  std::memcpy(buf.data() + LWS_PRE, framed.data(), framed.size());
  int n = lws_write(wsi, buf.data() + LWS_PRE, framed.size(),
                    last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
  return n >= int(framed.size());
}

} // namespace

int64_t http_txn::next_write_due() const {
  if (reply.hang) return never;
  if (!headers_sent || cut_pending || !reply.body) return 0;
  int64_t due = reply.body->next_due();
  return due == never ? 0 : due; // exhausted: finish at once
}

write_status write_step(lws* wsi, http_txn& t, int64_t now) {
  if (t.cut_pending) return write_status::failed;
  if (!t.headers_sent) {
    t.headers_sent = true;
    return write_headers(wsi, t.reply) ? write_status::more : write_status::failed;
  }
  body_stream* body = t.reply.body.get();
  if (!body || body->next_due() == never) // empty body
    return write_body(wsi, t.reply, {}, true) ? write_status::done : write_status::failed;
  if (body->next_due() > now) return write_status::more;
  std::string piece = body->take();
  bool last = body->next_due() == never;
  if (t.reply.cut_after >= 0 && (last || t.pieces_sent >= t.reply.cut_after)) {
    // Fault "close": after cut_after whole pieces send half of this one, never the end
    // of the body, then drop the connection.
    piece.resize(piece.size() / 2);
    t.cut_pending = true;
    return write_body(wsi, t.reply, piece, false) ? write_status::more
                                                  : write_status::failed;
  }
  ++t.pieces_sent;
  if (!write_body(wsi, t.reply, piece, last)) return write_status::failed;
  return last ? write_status::done : write_status::more;
}

} // namespace sb::sim
