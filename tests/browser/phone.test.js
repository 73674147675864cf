// The softphone in headless Chromium against a real node (run through run.sh): the fake
// microphone plays espeak-ng speech with pauses; the page must call /ws/twilio, play the
// replies, echo marks, honour a clear (the second sentence barges in on the first reply),
// show the transcript and at least two answered turns, and hang up as a normal end.
// Every wait is on an event with a generous bound; no fixed sleeps.
"use strict";
const { spawn, execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

const BUILD = process.env.SB_BUILD_DIR;
const CONFIG = process.env.SB_PHONE_CONFIG;
const CHROMIUM = process.env.SB_CHROMIUM;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-phone-"));
const token = crypto.randomBytes(12).toString("hex");
const t0 = Date.now();
const children = [];
let browser = null;

function log(msg) { console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`); }

function start(name, argv, env) {
  const out = fs.openSync(path.join(dir, name + ".log"), "w");
  const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", out, out], env: { ...process.env, ...env } });
  c.exited = new Promise((resolve) => c.on("exit", (code, sig) => resolve(code ?? sig)));
  children.push(c);
  return c;
}

// Polls `check` until it returns a truthy value; throws `what` after `ms`.
async function until(what, ms, check) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out after " + ms / 1000 + " s waiting for " + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readPort(file) {
  try { const p = parseInt(fs.readFileSync(file, "utf8"), 10); return p > 0 ? p : 0; } catch { return 0; }
}

function get(port, p, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: p, headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", (e) => resolve({ status: 0, body: String(e) }));
  });
}

// The caller: three sentences with pauses. The second comes while the first reply still
// plays (a barge-in: the node sends clear); the pauses after the others let their replies
// play out.
function makeSpeech() {
  const wav = path.join(dir, "caller.wav");
  execFileSync("espeak-ng", ["-m", "-s", "160", "-w", wav,
    "<speak>Hello, I would like to book a table for two. <break time=\"2000ms\"/> " +
    "Tomorrow evening at seven, please. <break time=\"7000ms\"/> " +
    "Thank you, that is all. <break time=\"8000ms\"/></speak>"]);
  return wav;
}

async function startNode() {
  let ini = fs.readFileSync(CONFIG, "utf8");
  if (ini.includes("{sim_port}")) {
    // The simulator as the agent's providers: a reply long enough to be barged in on.
    start("sim", [path.join(BUILD, "switchboard-provider-sim"), "--listen", "127.0.0.1:0",
      "--port-file", path.join(dir, "sim.port"), "--tts-ms-per-char", "80"]);
    const simPort = await until("the simulator's port", 20000, () => readPort(path.join(dir, "sim.port")));
    ini = ini.split("{sim_port}").join(String(simPort));
  }
  ini = ini.split("{dir}").join(dir);
  const conf = path.join(dir, "node.ini");
  fs.writeFileSync(conf, ini);
  start("node", [path.join(BUILD, "switchboard"), "node", "--config", conf,
    "--port-file", path.join(dir, "node.port")], {
    SB_PHONE_TOKEN: token, SWITCHBOARD_STREAM_TOKEN: crypto.randomBytes(12).toString("hex"),
    DEEPGRAM_API_KEY: "sim-key", OPENAI_API_KEY: "sim-key", ELEVENLABS_API_KEY: "sim-key" });
  return until("the node's port", 20000, () => readPort(path.join(dir, "node.port")));
}

async function main() {
  const wav = makeSpeech();
  const port = await startNode();
  const auth = { Authorization: "Bearer " + token };
  log(`node on 127.0.0.1:${port}, files in ${dir}`);

  const args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--use-file-for-fake-audio-capture=" + wav, "--autoplay-policy=no-user-gesture-required",
    "--no-first-run", "--disable-gpu", "--mute-audio"];
  if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args,
    protocolTimeout: 120000 });
  const page = await browser.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(m.type() + ": " + m.text()));
  page.on("pageerror", (e) => consoleLines.push("pageerror: " + e.message));
  main.consoleLines = consoleLines;

  const res = await page.goto(`http://127.0.0.1:${port}/phone?token=${token}`);
  if (res.status() !== 200) throw new Error("GET /phone answered " + res.status());
  if (page.url().includes(token)) throw new Error("the token stayed in the address bar");
  log("page loaded; calling");
  await page.click("#call");
  const S = (expr, what, ms) => page.waitForFunction(expr, { timeout: ms, polling: 100 })
    .catch((e) => { throw new Error(what + ": " + e.message); });

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
  const rec = await until("the call record to end", 20000, async () => {
    const r = await get(port, "/api/v1/calls/" + callSid, auth);
    const j = r.status === 200 ? JSON.parse(r.body) : null;
    return j && j.status === "ended" ? j : null;
  });
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

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const c of children.reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGTERM");
      const t = setTimeout(() => c.kill("SIGKILL"), 20000);
      await c.exited;
      clearTimeout(t);
    }
  }
}

main().then(async () => {
  await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  log("PASS");
  process.exit(0);
}, async (e) => {
  console.error("FAIL: " + e.message);
  for (const l of (main.consoleLines || []).slice(-20)) console.error("  page " + l);
  await cleanup();
  for (const f of ["node.log", "sim.log"]) {
    const file = path.join(dir, f);
    if (fs.existsSync(file))
      console.error(`--- last lines of ${file}\n` + fs.readFileSync(file, "utf8").split("\n").slice(-30).join("\n"));
  }
  process.exit(1);
});
