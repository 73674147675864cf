// What the browser tests share (run through run.sh): a temp directory, child processes
// (the node, the provider simulator) stopped at the end, waits on events with bounds,
// HTTP GETs, espeak-ng WAVs, and headless Chromium with a WAV as its microphone on the
// softphone page. run(main) runs a test and prints PASS, or FAIL with the page's console
// and the last lines of the processes' logs.
"use strict";
const { spawn, execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

const BUILD = process.env.SB_BUILD_DIR;
const SOURCE = process.env.SB_SOURCE_DIR || path.resolve(__dirname, "../..");
const CHROMIUM = process.env.SB_CHROMIUM;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-phone-"));
const token = crypto.randomBytes(12).toString("hex");
const t0 = Date.now();
const children = [];
const consoleLines = [];
let browser = null;

function log(msg) { console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`); }

function start(name, argv, env) {
  const out = fs.openSync(path.join(dir, name + ".log"), "w");
  const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", out, out], env: { ...process.env, ...env } });
  c.name = name;
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

// espeak-ng's speech of `text` (SSML with -m) in FILE: 16-bit mono WAV at 22,050 Hz.
function espeak(file, text, opts = {}) {
  const argv = ["-s", String(opts.rate || 160), "-w", file];
  if (opts.voice) argv.push("-v", opts.voice);
  if (opts.ssml) argv.push("-m");
  execFileSync("espeak-ng", [...argv, text]);
  return file;
}

// A WAV's 16-bit mono samples and rate (the "data" chunk; espeak-ng's header only).
function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString("ascii", 0, 4) !== "RIFF" || b.readUInt16LE(22) !== 1 || b.readUInt16LE(34) !== 16)
    throw new Error(file + " is not a 16-bit mono WAV");
  const rate = b.readUInt32LE(24);
  let at = 12;
  while (at + 8 <= b.length && b.toString("ascii", at, at + 4) !== "data") at += 8 + b.readUInt32LE(at + 4);
  if (at + 8 > b.length) throw new Error(file + " has no data chunk");
  const len = Math.min(b.readUInt32LE(at + 4), b.length - at - 8);
  const samples = new Int16Array(len / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = b.readInt16LE(at + 8 + 2 * i);
  return { rate, samples };
}

function writeWav(file, rate, samples) {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write("RIFF", 0, "ascii"); b.writeUInt32LE(36 + samples.length * 2, 4); b.write("WAVE", 8, "ascii");
  b.write("fmt ", 12, "ascii"); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write("data", 36, "ascii"); b.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) b.writeInt16LE(samples[i], 44 + 2 * i);
  fs.writeFileSync(file, b);
  return file;
}

// Starts a node from `config` (a file: {sim_port} in it starts the provider simulator and
// becomes its port, {dir} becomes the test's directory) with `sets` (--set KEY=VALUE, {dir}
// replaced too); resolves to its port. SB_PHONE_TOKEN holds the page's token.
async function startNode(config, sets = [], simArgs = []) {
  let ini = fs.readFileSync(config, "utf8");
  if (ini.includes("{sim_port}")) {
    start("sim", [path.join(BUILD, "switchboard-provider-sim"), "--listen", "127.0.0.1:0",
      "--port-file", path.join(dir, "sim.port"), ...simArgs]);
    const simPort = await until("the simulator's port", 20000, () => readPort(path.join(dir, "sim.port")));
    ini = ini.split("{sim_port}").join(String(simPort));
  }
  ini = ini.split("{dir}").join(dir);
  const conf = path.join(dir, "node.ini");
  fs.writeFileSync(conf, ini);
  const argv = [path.join(BUILD, "switchboard"), "node", "--config", conf,
    "--port-file", path.join(dir, "node.port")];
  for (const s of sets) argv.push("--set", s.split("{dir}").join(dir));
  start("node", argv, {
    SB_PHONE_TOKEN: token, SWITCHBOARD_STREAM_TOKEN: crypto.randomBytes(12).toString("hex"),
    DEEPGRAM_API_KEY: "sim-key", OPENAI_API_KEY: "sim-key", ELEVENLABS_API_KEY: "sim-key" });
  return until("the node's port", 30000, () => readPort(path.join(dir, "node.port")));
}

// Headless Chromium with `wav` as its microphone (played in a loop from getUserMedia on),
// on the node's /phone; resolves to the page and `wait(fn, what, ms)`, a bounded
// waitForFunction on the page.
async function openPhone(port, wav) {
  const args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--use-file-for-fake-audio-capture=" + wav, "--autoplay-policy=no-user-gesture-required",
    "--no-first-run", "--disable-gpu", "--mute-audio"];
  if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args,
    protocolTimeout: 180000 });
  const page = await browser.newPage();
  page.on("console", (m) => consoleLines.push(m.type() + ": " + m.text()));
  page.on("pageerror", (e) => consoleLines.push("pageerror: " + e.message));
  const res = await page.goto(`http://127.0.0.1:${port}/phone?token=${token}`);
  if (res.status() !== 200) throw new Error("GET /phone answered " + res.status());
  if (page.url().includes(token)) throw new Error("the token stayed in the address bar");
  const wait = (expr, what, ms, arg) => page.waitForFunction(expr, { timeout: ms, polling: 100 }, arg)
    .catch((e) => { throw new Error(what + ": " + e.message); });
  return { page, wait };
}

// The node's record of a call once it has ended.
function endedRecord(port, callSid, ms = 20000) {
  const auth = { Authorization: "Bearer " + token };
  return until("the call record to end", ms, async () => {
    const r = await get(port, "/api/v1/calls/" + callSid, auth);
    const j = r.status === 200 ? JSON.parse(r.body) : null;
    return j && j.status === "ended" ? j : null;
  });
}

// Sends SIGTERM to the child started as `name` and resolves to its exit code once it has
// exited; throws if it is still running after `ms`.
async function stop(name, ms) {
  const c = children.find((x) => x.name === name);
  if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve("late"), ms); });
  const code = await Promise.race([c.exited, late]);
  clearTimeout(timer);
  if (code === "late") throw new Error(`the ${name} still runs ${ms / 1000} s after SIGTERM`);
  return code;
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const c of children.reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGTERM");
      const t = setTimeout(() => {
        log(`${c.spawnargs[0]} still running 20 s after SIGTERM: SIGKILL`);
        c.kill("SIGKILL");
      }, 20000);
      await c.exited;
      clearTimeout(t);
    }
  }
}

function run(main) {
  main().then(async () => {
    await cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
    log("PASS");
    process.exit(0);
  }, async (e) => {
    console.error("FAIL: " + e.message);
    for (const l of consoleLines.slice(-20)) console.error("  page " + l);
    await cleanup();
    for (const f of ["node.log", "sim.log"]) {
      const file = path.join(dir, f);
      if (fs.existsSync(file))
        console.error(`--- last lines of ${file}\n` + fs.readFileSync(file, "utf8").split("\n").slice(-30).join("\n"));
    }
    process.exit(1);
  });
}

module.exports = { BUILD, SOURCE, dir, token, log, start, until, get, espeak, readWav, writeWav,
  startNode, openPhone, endedRecord, stop, run };
