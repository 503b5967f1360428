// The entry `pulumi preview --policy-pack` runs (package.json `main`; docs/adr/0025).
// The CLI's run-policy-pack require()s `main` after registering its own type-checking ts-node for `.ts`
// files, which rejects this pack's ES module TypeScript (TS5097), and it drops PulumiPolicy.yaml's nodeargs.
// So the entry is CommonJS (ts-node never sees it) and imports the pack as an ES module, whose types Node
// strips itself: no loader to register, which also keeps every analyzer call cheaper than with tsx registered.
// run-policy-pack awaits the exported promise, so a failed import ends the process non-zero.
"use strict";
if (!process.features.typescript) {
  throw new Error(`the readiness policy pack needs a Node.js that runs TypeScript itself (22.18 or later); this is ${process.version}`);
}
module.exports = import("./index.ts");
