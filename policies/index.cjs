// The entry `pulumi preview --policy-pack` runs (package.json `main`; docs/adr/0026).
// The CLI's run-policy-pack require()s `main` after registering its own type-checking ts-node for `.ts`
// files, which rejects this pack's ES module TypeScript (TS5097), and it drops PulumiPolicy.yaml's nodeargs.
// So the entry is CommonJS (ts-node never sees it), registers tsx's ES module loader itself and imports
// the pack. run-policy-pack awaits the exported promise, so a failed import ends the process non-zero.
"use strict";
require("tsx/esm/api").register();
module.exports = import("./index.ts");
