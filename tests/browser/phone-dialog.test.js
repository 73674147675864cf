// The softphone in headless Chromium calls the offline agent (cluster.ini: pocketsphinx,
// the scripted dialog dialogs/order-status.ini, espeak-ng) and walks the dialog to its
// hang-up (run through run.sh). The fake microphone plays espeak-ng answers, each after a
// pause as long as the prompt before it (measured from the dialog file's prompts, spoken
// by espeak-ng at [tts]'s voice and rate) plus a margin. The page must receive and play
// every prompt, the record's transcript must hold the answers and prompts word for word
// (as tests/test_offline_agent.cpp checks over the Twilio dialect), the node must end the
// call itself (completed), then exit on SIGTERM. Every wait is on an event with a bound.
"use strict";
const fs = require("fs");
const path = require("path");
const h = require("./harness");
const { dir, log, SOURCE } = h;

const CONFIG = process.env.SB_PHONE_CONFIG || path.join(SOURCE, "cluster.ini");
const DIALOG = path.join(SOURCE, "dialogs", "order-status.ini");
// The caller's answers and the dialog states they lead to.
const ANSWERS = ["check an order", "nine one two three", "yes", "no thank you"];
const STATES = ["welcome", "order", "confirm", "status", "goodbye"];
const ORDER = "9 1 2 3";
// After each prompt: the recogniser's end of utterance, the reply's synthesis and the
// page's playback buffer, with room to spare on a loaded machine.
const MARGIN_S = 4;
// After the last answer: the goodbye and far more; the fake microphone loops its file.
const TRAILING_S = 90;

// [section] key = value of an ini file (the last value of a repeated key).
function iniValue(text, section, key) {
  let cur = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) { cur = sec[1].trim(); continue; }
    const kv = /^([^=;#]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && cur === section && kv[1] === key) return kv[2];
  }
  return null;
}

function prompts() {
  const text = fs.readFileSync(DIALOG, "utf8");
  return STATES.map((s) => {
    const say = iniValue(text, "state " + s, "say");
    if (!say) throw new Error(`${DIALOG}: no say in [state ${s}]`);
    return say.split("{order}").join(ORDER);
  });
}

async function main() {
  const ini = fs.readFileSync(CONFIG, "utf8");
  const voice = { voice: iniValue(ini, "tts", "espeak_voice") || "en-us",
                  rate: parseInt(iniValue(ini, "tts", "espeak_rate") || "160", 10) };
  const said = prompts();
  // Each prompt's length as espeak-ng writes it (the pauses) and from its first to its
  // last audible sample (what the page must receive at least).
  const promptS = [], voicedS = [];
  said.forEach((t, i) => {
    const w = h.readWav(h.espeak(path.join(dir, `prompt${i}.wav`), t, voice));
    const loud = (x) => Math.abs(x) > 300;
    const first = w.samples.findIndex(loud), last = w.samples.findLastIndex(loud);
    promptS.push(w.samples.length / w.rate);
    voicedS.push(first < 0 ? 0 : (last - first) / w.rate);
  });
  // The microphone: silence through each prompt, then the answer to it.
  const parts = [];
  let rate = 0;
  for (let i = 0; i < ANSWERS.length; i++) {
    const w = h.readWav(h.espeak(path.join(dir, `answer${i}.wav`), ANSWERS[i],
      { voice: "en-us", rate: 160 }));
    rate = w.rate;
    parts.push(new Int16Array(Math.round((promptS[i] + MARGIN_S) * rate)), w.samples);
  }
  parts.push(new Int16Array((promptS[STATES.length - 1] + TRAILING_S) * rate | 0));
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  const wav = h.writeWav(path.join(dir, "caller.wav"), rate, all);
  const wavS = all.length / rate;
  log(`prompts ${JSON.stringify(voicedS.map((s) => +s.toFixed(1)))} s; microphone ${wavS.toFixed(1)} s`);

  const port = await h.startNode(CONFIG, [
    "node.listen=127.0.0.1:0", "node.cluster_listen=127.0.0.1:0",
    "store.transcripts=sqlite:{dir}/transcripts.db", "llm.dialog=" + DIALOG,
    "batcher.max_delay=200ms", "auth.twilio=token", "http.phone=auto",
    "http.token_env=SB_PHONE_TOKEN"]);
  log(`node on 127.0.0.1:${port}, files in ${dir}`);
  const { page, wait } = await h.openPhone(port, wav);
  const called = Date.now();
  await page.click("#call");
  await wait(() => window.sbPhone.state === "in-call", "the call starts", 30000);
  const callSid = await page.evaluate(() => window.sbPhone.callSid);
  log("in call " + callSid);

  // Each prompt in turn: its entry in the record's transcript on the page, its audio
  // received and played, every mark echoed; then the answer's entry.
  for (let i = 0; i < STATES.length; i++) {
    const bound = (promptS[i] + MARGIN_S + 60) * 1000;
    await wait((n) => {
      const p = window.sbPhone;
      return p.transcript.filter((e) => e.speaker === "agent").length >= n &&
        document.querySelectorAll("#transcript p.agent").length >= n;
    }, `prompt ${i + 1} (${STATES[i]}) in the transcript`, bound, i + 1);
    if (i < ANSWERS.length)
      await wait((n) => window.sbPhone.transcript.filter((e) => e.speaker === "caller").length >= n,
        `answer ${i + 1} ("${ANSWERS[i]}") in the transcript`, bound, i + 1);
    const p = await page.evaluate(() => window.sbPhone);
    log(`${STATES[i]}: ${p.transcript.filter((e) => e.speaker === "caller").length} answers, ` +
      `received ${(p.bytesReceived / 8000).toFixed(1)} s, played ` +
      `${(p.samplesPlayed / p.sampleRate).toFixed(1)} s, marks ${p.marksEchoed}/${p.marksReceived}`);
  }
  await wait(() => window.sbPhone.state === "ended-by-node" && window.sbPhone.closeCode !== null,
    "the node hangs up", 60000);
  await wait(() => window.sbPhone.recordStatus === "ended", "the page shows the ended record", 30000);
  const tookS = (Date.now() - called) / 1000;
  const p = await page.evaluate(() => window.sbPhone);
  const rec = await h.endedRecord(port, callSid);

  const fail = (what) => { throw new Error(what); };
  if (tookS >= wavS) fail(`the call took ${tookS} s, longer than the microphone's ${wavS} s (it looped)`);
  if (p.closeCode !== 1000 || p.closeReason !== "the dialog ended the call")
    fail(`the node closed with ${p.closeCode} "${p.closeReason}"`);
  if (rec.end_reason !== "completed") fail("call ended with " + rec.end_reason);
  const by = (r, who) => r.transcript.filter((e) => e.speaker === who).map((e) => e.text);
  for (const [where, r] of [["record", rec], ["page", p]]) {
    if (JSON.stringify(by(r, "caller")) !== JSON.stringify(ANSWERS))
      fail(`${where}: the caller's entries ${JSON.stringify(by(r, "caller"))}, not ${JSON.stringify(ANSWERS)}`);
    if (JSON.stringify(by(r, "agent")) !== JSON.stringify(said))
      fail(`${where}: the agent's entries ${JSON.stringify(by(r, "agent"))}, not ${JSON.stringify(said)}`);
  }
  // Every prompt arrived as audio, about as long as espeak-ng says it here, all of it
  // played but the goodbye (the node closes once it is sent), each answer followed by
  // reply audio on the page (heard), no barge-in (every answer came after its prompt).
  const sumS = voicedS.reduce((a, b) => a + b, 0);
  const receivedS = p.bytesReceived / 8000, playedS = p.samplesPlayed / p.sampleRate;
  if (receivedS < 0.8 * sumS) fail(`received ${receivedS} s of audio for ${sumS} s of prompts`);
  if (playedS < 0.8 * (sumS - voicedS[STATES.length - 1]))
    fail(`played ${playedS} s of audio for ${sumS} s of prompts`);
  if (p.heard.length !== ANSWERS.length) fail(`reply audio after ${p.heard.length} answers: ${p.heard}`);
  if (p.clears !== 0) fail(`${p.clears} clears: an answer barged in on a prompt`);
  if (p.marksReceived < STATES.length) fail(`${p.marksReceived} marks for ${STATES.length} prompts`);

  // The node stops on SIGTERM (a drain with no call left) as it would for systemd.
  const code = await h.stop("node", 15000);
  if (code !== 0) fail("the node exited with " + code + " on SIGTERM");

  const lat = rec.transcript.filter((e) => e.speaker === "agent").map((e) => e.latency_ms);
  log(`ok in ${tookS.toFixed(1)} s: frames sent ${p.framesSent}, received ${p.framesReceived} ` +
    `(${receivedS.toFixed(1)} s for ${sumS.toFixed(1)} s of prompts), played ${playedS.toFixed(1)} s, ` +
    `marks ${p.marksEchoed}/${p.marksReceived}, underruns ${p.underruns}, node latency ms ` +
    `${JSON.stringify(lat)}, heard after ms ${JSON.stringify(p.heard)}`);
}

h.run(main);
