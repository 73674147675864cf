#include "net/aws/query_api.hpp"

#include <cstring>

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace sb::aws {

namespace {

bool named(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0;
}

const xmlNode* child(const xmlNode* n, const char* name) {
  for (auto* c = n ? n->children : nullptr; c; c = c->next)
    if (named(c, name))
      return c;
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  if (!n)
    return "";
  xmlChar* t = xmlNodeGetContent(n);
  std::string out = t ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  return out;
}

// The first element named `name` at or below `n` (depth first).
const xmlNode* find(const xmlNode* n, const char* name) {
  for (; n; n = n->next) {
    if (named(n, name))
      return n;
    if (auto* f = find(n->children, name))
      return f;
  }
  return nullptr;
}

struct xml_doc {
  xmlDoc* doc = nullptr;
  explicit xml_doc(const std::string& s)
    : doc(xmlReadMemory(s.data(), static_cast<int>(s.size()), "reply.xml", nullptr,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) {}
  ~xml_doc() {
    if (doc)
      xmlFreeDoc(doc);
  }
  const xmlNode* root() const { return doc ? xmlDocGetRootElement(doc) : nullptr; }
};

} // namespace

bool query_result::retryable() const {
  return !transport_error.empty() || status >= 500 || status == 429 ||
         error_code == "Throttling" || error_code == "RequestLimitExceeded";
}

std::string query_result::describe() const {
  if (!transport_error.empty())
    return transport_error;
  std::string out = "HTTP " + std::to_string(status);
  if (!error_code.empty())
    out += " " + error_code;
  if (!error_message.empty())
    out += ": " + error_message;
  else if (error_code.empty() && !ok() && !body.empty())
    out += ": " + body.substr(0, 200);
  return out;
}

std::string form_encode(const query_params& params) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (auto& [k, v] : params) {
    if (!out.empty())
      out += '&';
    for (const std::string* s : {&k, &v}) {
      for (unsigned char c : *s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
          out += static_cast<char>(c);
        else
          out += {'%', hex[c >> 4], hex[c & 15]};
      }
      if (s == &k)
        out += '=';
    }
  }
  return out;
}

std::string default_endpoint(const std::string& service, const std::string& region) {
  return "https://" + service + "." + region + ".amazonaws.com";
}

query_result query_call(const std::string& endpoint, const std::string& region,
                        const std::string& service, const query_params& params,
                        const credentials& creds, std::chrono::milliseconds timeout) {
  sigv4_signing sign{region, service, creds};
  auto url = endpoint;
  if (url.find('/', url.find("://") + 3) == std::string::npos)
    url += '/';
  auto r = http_call("POST", url,
                     {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"},
                     form_encode(params), timeout, &sign);
  query_result q;
  q.status = r.status;
  q.body = std::move(r.body);
  q.transport_error = std::move(r.error);
  if (q.transport_error.empty() && !q.ok()) {
    xml_doc d{q.body};
    if (auto* e = find(d.root(), "Error")) {
      q.error_code = text_of(child(e, "Code"));
      q.error_message = text_of(child(e, "Message"));
    }
  }
  return q;
}

bool parse_describe_instances(const std::string& xml, std::vector<std::string>& addresses,
                              std::string& next_token, std::string& err) {
  xml_doc d{xml};
  auto* root = d.root();
  if (!root || !named(root, "DescribeInstancesResponse")) {
    err = "not a DescribeInstancesResponse";
    return false;
  }
  next_token = text_of(child(root, "nextToken"));
  if (auto* set = child(root, "reservationSet"))
    for (auto* res = set->children; res; res = res->next) {
      if (!named(res, "item"))
        continue;
      for (auto* inst = child(child(res, "instancesSet"), "item"); inst; inst = inst->next)
        if (named(inst, "item"))
          if (auto ip = text_of(child(inst, "privateIpAddress")); !ip.empty())
            addresses.push_back(ip);
    }
  return true;
}

} // namespace sb::aws
