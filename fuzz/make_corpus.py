#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/TARGET/ (except cluster_messages, which
fuzz_cluster_seeds writes): the frames each protocol's documentation shows (copied below
from the wire-protocol reference the codecs follow) and the frames the unit tests feed
the same parser (string literals of tests/unit/test_*.cpp). Run from the repository root:

    python3 fuzz/make_corpus.py

Each seed is named after where it came from; running it again rewrites the same files.
"""
import base64
import hashlib
import pathlib
import re

MULAW_20MS = base64.b64encode(bytes([0xFF]) * 160).decode()    # 160 B of mu-law silence
PCM_20MS = base64.b64encode(bytes(320)).decode()               # 160 PCM16 samples

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"

# -- reference frames (Twilio, Exotel, Deepgram, ElevenLabs, OpenAI wire formats) -------

TWILIO_STREAM = [
    '{"event":"connected","protocol":"Call","version":"1.0.0"}',
    '{"event":"start","sequenceNumber":"1","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"start":{"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","accountSid":"AC123",'
    '"callSid":"CA123","tracks":["inbound"],"customParameters":{"tenant":"t1"},'
    '"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}',
    '{"event":"media","sequenceNumber":"3","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"media":{"track":"inbound","chunk":"2","timestamp":"40","payload":"'
    + MULAW_20MS + '"}}',
    '{"event":"dtmf","sequenceNumber":"9","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"dtmf":{"track":"inbound_track","digit":"5"}}',
    '{"event":"mark","sequenceNumber":"12","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"mark":{"name":"utt-7"}}',
    '{"event":"stop","sequenceNumber":"99","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"stop":{"accountSid":"AC123","callSid":"CA123"}}',
]

EXOTEL_STREAM = [
    '{"event":"connected"}',
    '{"event":"start","sequence_number":"1","stream_sid":"MZ9a","start":{"stream_sid":"MZ9a",'
    '"call_sid":"CA9a","account_sid":"AC9a","from":"+919800000000","to":"+918000000000",'
    '"custom_parameters":{"k":"v"},"media_format":{"encoding":"audio/x-raw",'
    '"sample_rate":"8000","bit_rate":"16"}}}',
    '{"event":"media","sequence_number":"3","stream_sid":"MZ9a","media":{"chunk":"2",'
    '"timestamp":"200","payload":"' + PCM_20MS + '"}}',
    '{"event":"dtmf","sequence_number":"7","stream_sid":"MZ9a","dtmf":{"digit":"5",'
    '"duration":"100"}}',
    '{"event":"mark","sequence_number":"15","stream_sid":"MZ9a","mark":{"name":"utt-7"}}',
    '{"event":"stop","sequence_number":"99","stream_sid":"MZ9a","stop":{"call_sid":"CA9a",'
    '"account_sid":"AC9a","reason":"callended"}}',
]

DEEPGRAM = [
    '{"type":"Results","channel_index":[0,1],"duration":1.04,"start":0.0,"is_final":true,'
    '"speech_final":true,"from_finalize":false,"channel":{"alternatives":[{"transcript":'
    '"another big","confidence":0.96,"words":[{"word":"another","start":0.30,"end":0.80,'
    '"confidence":0.95,"punctuated_word":"Another"}]}]},"metadata":{"request_id":"uuid",'
    '"model_info":{"name":"general","version":"2024","arch":"nova-3"},"model_uuid":"uuid"}}',
    '{"type":"SpeechStarted","channel":[0,1],"timestamp":9.54}',
    '{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395}',
    '{"type":"Metadata","transaction_key":"deprecated","request_id":"uuid","sha256":"ab",'
    '"created":"2024-08-29T22:37:55.202Z","duration":12.3,"channels":1}',
]

OPENAI_CHUNKS = [
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},'
    '"finish_reason":null}]}',
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"},'
    '"finish_reason":null}]}',
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":5,'
    '"total_tokens":25}}',
    '[DONE]',
    '{"error":{"message":"The server had an error","type":"server_error","param":null,'
    '"code":null}}',
]

ELEVENLABS_OUT = [
    '{"audio":"' + MULAW_20MS + '","isFinal":null,"normalizedAlignment":{"chars":["H"],'
    '"charStartTimesMs":[0],"charsDurationsMs":[3]},"alignment":{"chars":["H"],'
    '"charStartTimesMs":[0],"charsDurationsMs":[3]}}',
    '{"isFinal":true}',
    '{"message":"Unusual activity detected","error":"quota_exceeded","code":1008}',
]

AURA_OUT = [
    '{"type":"Metadata","request_id":"uuid","model_name":"aura-2-thalia-en"}',
    '{"type":"Flushed","sequence_id":0}',
    '{"type":"Cleared","sequence_id":1}',
    '{"type":"Warning","description":"text too long","code":"W001"}',
    '{"type":"Error","err_code":"INVALID_INPUT","err_msg":"Failed to parse"}',
]

ERROR_BODIES = [
    (429, '{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests. Please try again '
          'later","request_id":"uuid"}'),
    (401, '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"u"}'),
    (413, '{"err_code":"PAYLOAD_TOO_LARGE","err_msg":"body > 2 MB","request_id":"u"}'),
    (429, '{"err_code":"Too Many Requests","err_msg":"Please try again later."}'),
    (422, '{"detail":[{"loc":["body","text"],"msg":"field required","type":"value_error"}]}'),
    (401, '{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}'),
    (429, '{"detail":{"status":"too_many_concurrent_requests","message":"Too many '
          'concurrent requests"}}'),
    (429, '{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min. '
          'Please try again in 41.7s.","type":"requests","param":null,'
          '"code":"rate_limit_exceeded"}}'),
    (429, '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota",'
          '"param":null,"code":"insufficient_quota"}}'),
    (503, '<html><body>Service Unavailable</body></html>'),
]

RATE_LIMIT = [
    ("2", "", "12ms"),
    ("41.7", "", "1s"),
    ("", "1500", "6m0s"),
    ("Wed, 21 Oct 2015 07:28:00 GMT", "", "1h2m3.5s"),
    ("0", "250.5", "250us"),
]

HTTP_REQUESTS = [
    # peer, X-Forwarded-For, trusted proxies, Host, URI, Authorization, token, signature
    ["10.0.0.5", "203.0.113.7, 10.0.0.9", "10.0.0.0/8", "voice.example.com",
     "/ws/twilio", "", None, "0/KCTR6DVL4sWAmOD5g4D9sJ8ZQ="],
    ["127.0.0.1", "", "", "127.0.0.1:8080", "/ws/exotel/sales",
     "Basic QUMxMjM6ZXhvLTliOGM=", None, None],
    ["::ffff:192.0.2.1", "2001:db8::1", "::ffff:192.0.2.0/120,2001:db8::/32",
     "[2001:db8::2]:443", "/ws/twilio/support?tenant=t1", "Bearer tok-3f9a1c", None, None],
    ["192.0.2.10", "", "", "host", "/ws/twilio?token=tok-3f9a1c", "", "tok-3f9a1c", None],
    ["198.51.100.4", "unknown, 198.51.100.9", "198.51.100.0/24", "h", "/health",
     "Bearer nope", None, None],
]


# -- literals from the unit tests --------------------------------------------------------

RAW = re.compile(r'R"\((.*?)\)"', re.S)
CSTR = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def raw_literals(test):
    """Adjacent raw string literals of a test, concatenated as the compiler does."""
    text = (ROOT / "tests" / "unit" / test).read_text()
    out, last_end = [], None
    for m in RAW.finditer(text):
        if last_end is not None and text[last_end:m.start()].strip() == "":
            out[-1] += m.group(1)
        else:
            out.append(m.group(1))
        last_end = m.end()
    return out


def c_literals(test):
    """Adjacent ordinary string literals of a test, unescaped and concatenated."""
    text = (ROOT / "tests" / "unit" / test).read_text()
    text = RAW.sub('""', text)
    out, last_end = [], None
    for m in CSTR.finditer(text):
        value = m.group(1).encode().decode("unicode_escape")
        if last_end is not None and text[last_end:m.start()].strip() == "":
            out[-1] += value
        else:
            out.append(value)
        last_end = m.end()
    return [s for s in out if not s.endswith((".hpp", ".h"))]


# -- writing -----------------------------------------------------------------------------

def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def write_all(target, prefix, items):
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        write(target, prefix + "-" + hashlib.sha1(data).hexdigest()[:10], data)


def telephony(target, stream, test):
    write(target, "reference-stream", "\n".join(stream))
    start = "\n".join(stream[:2])
    frames = raw_literals(test)
    # Each test frame alone, and after the reference's connected + start.
    write_all(target, "test", frames)
    write_all(target, "test-started", [start + "\n" + f for f in frames])
    # One level deeper than parse_json takes (max_json_depth, 64), in customParameters.
    sid = "streamSid" if target == "twilio" else "stream_sid"
    params = "customParameters" if target == "twilio" else "custom_parameters"
    write(target, "nested-65", '{"event":"start","%s":"MZ1","start":{"%s":"MZ1","%s":{"a":%s%s}}}'
          % (sid, sid, params, "[" * 62, "]" * 62))


def main():
    telephony("twilio", TWILIO_STREAM, "test_twilio_codec.cpp")
    telephony("exotel", EXOTEL_STREAM, "test_exotel_codec.cpp")

    payloads = re.findall(r'"payload":"([A-Za-z0-9+/=]*)"',
                          "\n".join(raw_literals("test_twilio_codec.cpp") +
                                    raw_literals("test_exotel_codec.cpp")))
    write_all("audio_codec", "test-base64", payloads)
    write("audio_codec", "reference-base64-media", MULAW_20MS)
    write("audio_codec", "silence-20ms-mulaw", bytes([0xFF]) * 160)
    write("audio_codec", "ramp-pcm16", bytes(range(256)) * 2)

    write_all("deepgram_stt", "reference", DEEPGRAM)
    write_all("deepgram_stt", "test", raw_literals("test_deepgram_stt_codec.cpp"))
    write("deepgram_stt", "close-1011-NET-0001", b"\x03\xf3NET-0001")

    stream = "".join("data: %s\n\n" % c for c in OPENAI_CHUNKS)
    write("sse", "reference-openai-stream", b"\x00" + stream.encode())
    write("sse", "reference-openai-stream-crlf", b"\x05" + stream.replace("\n", "\r\n").encode())
    write_all("sse", "test", [b"\x03" + s.encode() for s in c_literals("test_sse_parser.cpp")
                              if "\n" in s])

    write_all("openai", "reference", OPENAI_CHUNKS)
    write_all("openai", "test", [s for s in raw_literals("test_openai_codec.cpp")
                                 if '"choices"' in s or '"error"' in s or "DONE" in s])

    write_all("tts", "reference-elevenlabs", [b"\x00" + s.encode() for s in ELEVENLABS_OUT])
    write_all("tts", "reference-aura", [b"\x01" + s.encode() for s in AURA_OUT])
    write_all("tts", "test", [b"\x00" + s.encode()
                              for s in raw_literals("test_tts_stream_codec.cpp")])

    write_all("provider_errors", "reference",
              [bytes([status >> 8, status & 0xFF]) + body.encode()
               for status, body in ERROR_BODIES])
    write_all("provider_errors", "test",
              [b"\x01\xad" + s.encode()
               for s in raw_literals("test_tts_codec.cpp") + raw_literals("test_openai_codec.cpp")
               if '"detail"' in s or '"error"' in s or "err_" in s])

    write_all("rate_limit", "reference", ["\n".join(r) for r in RATE_LIMIT])
    lits = c_literals("test_rate_limit_headers.cpp")
    write_all("rate_limit", "test", ["%s\n%s\n%s" % (s, s, s) for s in lits])

    # Session snapshots as the node writes them to Redis, and values that are not.
    snap = ('{"v":1,"call_id":"CA42","node":"node-1","stream_sid":"MZ42","turn":2,'
            '"state":"LISTENING","started_at":1764633600000,"updated_at":1764633605000,'
            '"resumes":0,"history":[{"role":"user","content":"where is my order"},'
            '{"role":"assistant","content":"It ships today."}]}')
    write("session_snapshot", "snapshot", snap)
    write("session_snapshot", "empty-history", snap.split('"history"')[0] + '"history":[]}')
    write("session_snapshot", "version-2", snap.replace('"v":1', '"v":2'))
    write("session_snapshot", "system-role", snap.replace('"role":"user"', '"role":"system"'))
    write("session_snapshot", "not-json", "not json")

    ini = (ROOT / "cluster.ini").read_text()
    write("config", "cluster.ini", ini)
    # Each section alone too: small inputs run faster and mutate into more shapes.
    for part in re.split(r"\n(?=\[)", ini):
        name = re.match(r"\[([^\]]*)\]", part)
        if name:
            write("config", "section-" + name.group(1), part)
    write("config", "cluster.ini-with-set",
          (ROOT / "cluster.ini").read_bytes() +
          b"\n#--set\npool.stt.max_active=5\nnode.max_calls=20\ncluster.secret=Kx7pQ2mZ9wR4tB6n\n")
    # The secret set, set twice, malformed, in the wrong section, and through --set.
    write("config", "secret-set", "[cluster]\nsecret = Kx7pQ2mZ9wR4tB6n\n")
    write("config", "secret-twice", "[cluster]\nsecret = Kx7pQ2mZ9wR4tB6n\nsecret = Wm3nB8vC5xZ1qL7k\n")
    write("config", "secret-malformed", "[cluster]\nsecret Kx7pQ2mZ9wR4tB6n\n")
    write("config", "secret-elsewhere", "[node]\nsecret = Kx7pQ2mZ9wR4tB6n\n")
    write("config", "secret-bad-set", "[cluster]\n\n#--set\ncluster.secret=<set>\ncluster.secretKx7pQ2mZ9wR4tB6n\n")
    # A PostgreSQL store's password: in the user info and as a parameter (rendered as
    # <set>), malformed, and the placeholder fed back in.
    write("config", "store-postgres-password",
          "[store]\ntranscripts = postgresql://sb:Pg7Secret9x@db:5432/calls?password=Pg7Secret9x\n")
    write("config", "store-postgres-bad",
          "[store]\ntranscripts postgresql://sb:Pg7Secret9x@db/x\n\n#--set\n"
          "store.transcripts=postgres://sb:<set>@db/x\nstore.transcripts=postgres://u:Pg7Secret9x@h/x ;c\n")

    write_all("http_request", "reference",
              ["\n".join(x for x in r if x is not None) if r[-1] is None and r[-2] is None
               else "\n".join("" if x is None else x for x in r) for r in HTTP_REQUESTS])


if __name__ == "__main__":
    main()
