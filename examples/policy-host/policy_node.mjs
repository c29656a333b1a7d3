// policy_node.mjs - the policy host of policy_host.c under node, for
// comparison (bench/policy/run.sh): the same policy ABI and verdicts, each
// policy compiled once to a WebAssembly.Module and instantiated afresh per
// request with WebAssembly.instantiate (--sync: new WebAssembly.Instance,
// which skips the promise and its trip through the event loop).  No time or memory limit (node
// cannot interrupt synchronous wasm on its own thread).
//
//   node policy_node.mjs [--stats] [--sync] images.wasm resources.wasm labels.wasm < requests.jsonl
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const args = process.argv.slice(2);
const stats = args.includes("--stats"), sync = args.includes("--sync");
const modules = args.filter((a) => !a.startsWith("--"))
  .map((f) => new WebAssembly.Module(readFileSync(f)));
const enc = new TextEncoder();

// Writes the request at `base` (layout: policy_host.c); returns false if
// it does not fit the 4096-byte buffer.
function writeRequest(mem, base, req) {
  const bytes = new Uint8Array(mem.buffer), dv = new DataView(mem.buffer);
  const labels = Object.entries(req.labels ?? {});
  let used = base + 24 + 16 * labels.length;
  const put = (s) => {
    const at = used;
    used += enc.encodeInto(s, bytes.subarray(at, base + 4096)).written;
    return at;
  };
  const image = enc.encode(req.image ?? "");
  dv.setUint32(base, put(req.image ?? ""), true);
  dv.setUint32(base + 4, image.length, true);
  dv.setUint32(base + 8, req.cpu_millis ?? 0, true);
  dv.setUint32(base + 12, req.memory_mb ?? 0, true);
  dv.setUint32(base + 16, labels.length, true);
  dv.setUint32(base + 20, base + 24, true);
  labels.forEach(([k, v], i) => {
    const e = base + 24 + 16 * i;
    const k0 = put(k); dv.setUint32(e, k0, true); dv.setUint32(e + 4, used - k0, true);
    const v0 = put(v); dv.setUint32(e + 8, v0, true); dv.setUint32(e + 12, used - v0, true);
  });
  return used <= base + 4096;
}

function readReason(mem, at) {
  const bytes = new Uint8Array(mem.buffer);
  let s = "";
  for (let i = at; i < bytes.length && bytes[i] && s.length < 200; i++)
    s += bytes[i] >= 0x20 && bytes[i] < 0x7f ? String.fromCharCode(bytes[i]) : "?";
  return s;
}

async function evaluate(line) {
  let req;
  try { req = JSON.parse(line); } catch { return "deny: malformed request"; }
  for (const m of modules) {
    const inst = sync ? new WebAssembly.Instance(m) : await WebAssembly.instantiate(m);
    const { memory, request_buffer, evaluate } = inst.exports;
    if (!writeRequest(memory, request_buffer(), req)) return "deny: request too large";
    const answer = evaluate();
    if (answer !== 0) return "deny: " + readReason(memory, answer >>> 0);
  }
  return "allow";
}

const out = [], lat = [];
const start = process.hrtime.bigint();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line) continue;
  const t0 = process.hrtime.bigint();
  out.push(await evaluate(line));
  lat.push(Number(process.hrtime.bigint() - t0));
}
const total = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(out.join("\n") + "\n");
if (stats && lat.length) {
  lat.sort((a, b) => a - b);
  const n = lat.length;
  process.stderr.write(`policy_node${sync ? " --sync" : ""}: ${n} requests in ${total.toFixed(3)} s: ` +
    `${Math.round(n / total)} requests/s, latency p50 ${(lat[n >> 1] / 1e3).toFixed(1)} us, ` +
    `p99 ${(lat[Math.floor(n * 99 / 100)] / 1e3).toFixed(1)} us, max ${(lat[n - 1] / 1e3).toFixed(1)} us ` +
    `(${modules.length} policies per request, each a fresh instance)\n`);
}
