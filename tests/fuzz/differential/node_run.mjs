// node_run.mjs - the V8 side of the differential runner (run.py).
//
// Same protocol as kiln-diff: one instance, every exported function called
// in export order with zero arguments, "fuzzing-support" log imports.
// Signatures come from `kiln-diff --sigs` (argv[3]) because JS cannot see
// them; exports with v128 in their signature cannot be called from JS and
// print "skip" (run.py stops comparing node's output for that module there).
//
//   node node_run.mjs M.wasm SIGS.txt
import { readFileSync } from "node:fs";

const out = [];
const print = (s) => out.push(s);
// Integral doubles print exactly (String() would round 2^55+1 to "...70").
const num = (x) =>
  typeof x === "bigint" ? x.toString()
  : Object.is(x, -0) ? "-0"
  : typeof x === "number" && Number.isInteger(x) ? BigInt(x).toString()
  : typeof x === "function" ? "funcref"
  : String(x);
const imports = {
  "fuzzing-support": {
    "log-i32": (x) => print(`log ${x}`),
    "log-i64": (x) => print(`log ${BigInt.asIntN(32, x)} ${BigInt.asIntN(32, x >> 32n)}`),
    "log-f32": (x) => print(`log ${num(x)}`),
    "log-f64": (x) => print(`log ${num(x)}`),
    "log-v128": () => { throw new Error("skip: v128 crosses into JS"); },
  },
};

const sigs = new Map();
for (const line of readFileSync(process.argv[3], "utf8").split("\n")) {
  const [tag, name, params, results] = line.split(" ");
  if (tag === "sig") sigs.set(name, { params: params === "-" ? [] : params.split(","), results });
}

const zero = (t) => (t === "i64" ? 0n : t === "funcref" || t === "externref" ? null : 0);
const format = (v) => (Array.isArray(v) ? `(${v.map(num).join(", ")})` : num(v));

const mod = new WebAssembly.Module(readFileSync(process.argv[2]));
const inst = new WebAssembly.Instance(mod, imports);
for (const { name, kind } of WebAssembly.Module.exports(mod)) {
  if (kind !== "function") continue;
  const sig = sigs.get(name);
  print(`call ${name}`);
  if (!sig || sig.params.includes("v128") || sig.results.includes("v128")) {
    print("skip");
    break;
  }
  try {
    // fuzz-exec resets the -ttf hang limit before every export call.
    if (inst.exports.hangLimitInitializer) inst.exports.hangLimitInitializer();
    const r = inst.exports[name](...sig.params.map(zero));
    if (sig.results !== "-") print(`result ${name} ${format(r)}`);
  } catch (e) {
    // Only a RuntimeError is a wasm trap; a TypeError is v128 meeting JS at
    // an import, a RangeError V8's own stack limit: neither can be compared.
    if (!(e instanceof WebAssembly.RuntimeError)) { print("skip"); break; }
    print("trap");
  }
}
console.log(out.join("\n"));
