// The oracle for kiln_run_test.sh: runs one export under node's own
// WebAssembly engine and prints results in kiln run's TYPE:VALUE format
// (floats as C's %a).  usage: RESULTS="i32 f64" node run_oracle.mjs FILE.wasm NAME ARG...
import { readFileSync } from "node:fs";

const [file, name, ...args] = process.argv.slice(2);

function hexFloat(d) {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, d);
  const hi = b.getUint32(0), lo = b.getUint32(4);
  const sign = hi >>> 31 ? "-" : "";
  const exp = (hi >>> 20) & 0x7ff;
  if (exp === 0x7ff) return sign + "inf";
  let mant = ((BigInt(hi & 0xfffff) << 32n) | BigInt(lo)).toString(16).padStart(13, "0");
  mant = mant.replace(/0+$/, "");
  const frac = mant ? "." + mant : "";
  if (exp === 0 && !mant) return sign + "0x0p+0";
  const e = exp === 0 ? -1022 : exp - 1023;
  return `${sign}0x${exp === 0 ? 0 : 1}${frac}p${e < 0 ? "-" : "+"}${Math.abs(e)}`;
}

function bitsOf(v, is64) {
  const b = new DataView(new ArrayBuffer(8));
  if (is64) { b.setFloat64(0, v); return b.getBigUint64(0).toString(16).padStart(16, "0"); }
  b.setFloat32(0, v);
  return b.getUint32(0).toString(16).padStart(8, "0");
}

function parse(text) {
  const [type, value] = [text.slice(0, text.indexOf(":")), text.slice(text.indexOf(":") + 1)];
  if (type === "i32") return Number(BigInt.asIntN(32, BigInt(value)));
  if (type === "i64") return BigInt.asIntN(64, BigInt(value));
  if (type === "f32" || type === "f64") return Number(value);
  if (type === "externref") return value === "null" ? null : { n: Number(value) };
  throw new Error("unsupported argument " + text);
}

function show(type, v) {
  switch (type) {
    case "i32": return `i32:${v}`;
    case "i64": return `i64:${v}`;
    case "f32": return Number.isNaN(v) ? `f32:nan:0x${bitsOf(v, false)}` : `f32:${hexFloat(v)}`;
    case "f64": return Number.isNaN(v) ? `f64:nan:0x${bitsOf(v, true)}` : `f64:${hexFloat(v)}`;
    case "funcref": return v === null ? "funcref:null" : "funcref:nonnull";
    case "externref": return v === null ? "externref:null" : `externref:${v.n}`;
  }
  throw new Error("unsupported result type " + type);
}

const mod = new WebAssembly.Module(readFileSync(file));
const inst = new WebAssembly.Instance(mod, {});
// The JS API does not reflect function types: the caller names the results.
const results = (process.env.RESULTS || "").split(" ").filter(Boolean);
try {
  let r = inst.exports[name](...args.map(parse));
  if (results.length === 1) r = [r];
  results.forEach((t, i) => console.log(show(t, r[i])));
} catch (e) {
  console.error(`trap: ${e.message}`);
  process.exit(134); // kiln's (and wasmtime's) status for a trap

}
