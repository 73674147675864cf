// The softphone in headless Chromium against a real node (run through run.sh): the fake
// microphone plays espeak-ng speech with pauses; the page must call /ws/twilio, play the
// replies, echo marks, honour a clear (the second sentence barges in on the first reply),
// show the transcript and at least two answered turns, and hang up as a normal end.
// Every wait is on an event with a generous bound; no fixed sleeps.
"use strict";
const path = require("path");
const h = require("./harness");
const { dir, token, log, get } = h;

const CONFIG = process.env.SB_PHONE_CONFIG || path.join(__dirname, "node-sim.ini");

// The caller: three sentences with pauses. The second comes while the first reply still
// plays (a barge-in: the node sends clear); the pauses after the others let their replies
// play out.
function makeSpeech() {
  return h.espeak(path.join(dir, "caller.wav"),
    "<speak>Hello, I would like to book a table for two. <break time=\"2000ms\"/> " +
    "Tomorrow evening at seven, please. <break time=\"7000ms\"/> " +
    "Thank you, that is all. <break time=\"8000ms\"/></speak>", { ssml: true });
}

async function main() {
  const wav = makeSpeech();
  // The simulator's replies long enough to be barged in on.
  const port = await h.startNode(CONFIG, [], ["--tts-ms-per-char", "80"]);
  const auth = { Authorization: "Bearer " + token };
  log(`node on 127.0.0.1:${port}, files in ${dir}`);

  const { page, wait: S } = await h.openPhone(port, wav);
  log("page loaded; calling");
  await page.click("#call");

  await S(() => window.sbPhone.state === "in-call", "the call starts", 20000);
  const callSid = await page.evaluate(() => window.sbPhone.callSid);
  log("in call " + callSid);
  await S(() => window.sbPhone.framesReceived > 0 && window.sbPhone.samplesPlayed > 0,
    "reply audio received and played", 60000);
  log("reply audio playing");
  await S(() => window.sbPhone.clears >= 1 && window.sbPhone.clearedSamples > 0,
    "a clear (barge-in) flushed queued audio", 60000);
  log("clear honoured");
  // Two turns answered: two agent entries in the record's transcript, on the page, and
  // the replies played out with their marks echoed.
  await S(() => {
    const p = window.sbPhone;
    const agent = p.transcript.filter((e) => e.speaker !== "caller" && e.text).length;
    const caller = p.transcript.filter((e) => e.speaker === "caller" && e.text).length;
    return agent >= 2 && caller >= 2 && p.marksEchoed > 0 && p.marksEchoed === p.marksReceived &&
      document.querySelectorAll("#transcript p.agent").length >= 2 &&
      document.querySelectorAll("#turns tr").length >= 2;
  }, "two turns answered and shown", 90000);
  log("two turns answered");
  await page.click("#hangup");
  await S(() => window.sbPhone.state === "ended" && window.sbPhone.closeCode !== null,
    "the hang-up closes the socket", 20000);
  await S(() => window.sbPhone.recordStatus === "ended", "the page shows the ended record", 20000);
  const p = await page.evaluate(() => window.sbPhone);

  // The node's view: a normal end, no call left.
  const rec = await h.endedRecord(port, callSid);
  if (rec.end_reason !== "caller_stop") throw new Error("call ended with " + rec.end_reason);
  const metrics = (await get(port, "/metrics", auth)).body;
  if (!/switchboard_calls_ended_total\{outcome="caller_stop"\} 1\b/.test(metrics))
    throw new Error("metrics do not show one call ended by caller_stop");
  const stats = JSON.parse((await get(port, "/api/v1/stats", auth)).body);
  if (stats.active_calls !== 0) throw new Error("active_calls " + stats.active_calls);

  const node = rec.transcript.filter((e) => e.speaker !== "caller").map((e) => e.latency_ms);
  log(`ok: frames sent ${p.framesSent}, received ${p.framesReceived}, played ` +
    `${(p.samplesPlayed / p.sampleRate).toFixed(1)} s (at ${p.sampleRate} Hz), marks ${p.marksEchoed}/${p.marksReceived}, ` +
    `clears ${p.clears} (${p.clearedSamples} samples flushed), underruns ${p.underruns}, ` +
    `turns ${node.length}, node latency ms ${JSON.stringify(node)}, heard after ms ` +
    `${JSON.stringify(p.heard)}`);
}

h.run(main);
