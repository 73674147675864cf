// Sends an http_reply over lws, one lws_write per WRITEABLE: headers, then body pieces
// as they fall due (chunked framing done here), honouring the close/hang faults.
#pragma once

#include <cstdint>

#include <libwebsockets.h>

#include "tools/provider_sim/http_types.hpp"

namespace sb::sim {

struct http_txn {
  http_reply reply;
  lease slot; // released when the transaction ends
  bool headers_sent = false;
  int pieces_sent = 0;
  bool cut_pending = false; // fault "close": drop the connection on the next WRITEABLE

  // When the next write can happen (`never` while hanging or waiting forever).
  int64_t next_write_due() const;
};

enum class write_status {
  more,   // wrote; call again when next_write_due() has passed
  done,   // the reply is complete: finish the HTTP transaction
  failed, // drop the connection (write error or fault "close")
};

write_status write_step(lws* wsi, http_txn& t, int64_t now);

} // namespace sb::sim
