import { res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("lambda", {
  "lambda-xray-active": {
    compliant: () => [res("aws:lambda/function:Function", "fn", { tracingConfig: { mode: "Active" } })],
    noncompliant: { "pass-through": () => [res("aws:lambda/function:Function", "fn", { tracingConfig: { mode: "PassThrough" } })], "unset": () => [res("aws:lambda/function:Function", "fn", {})] },
  },
});
