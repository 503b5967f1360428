import assert from "node:assert/strict";
import { configHint, configKeyFinder } from "../gate/config-sources.ts";
import { programFrame } from "../gate/call-site.ts";

describe("gate: the program's own config keys behind a finding", () => {
  const config = {
    config: {
      "shop:image": "registry.example.com/shop:latest",
      "shop:origins": '["*","https://shop.example.com"]',
      "shop:env": "prod",
      "shop:token": "offline-secret-placeholder",
      "aws:region": "us-east-1",
    },
    secretKeys: ["shop:token"],
  };
  const inputs = {
    containerDefinitions: JSON.stringify([{ image: "registry.example.com/shop:latest", environment: [{ name: "CORS", value: "*" }, { name: "TOKEN", value: "offline-secret-placeholder" }] }]),
    tags: { Origin: "https://shop.example.com" },
    region: "us-east-1",
  };

  // One finder for both cases, as in a run: the second reads the inputs' leaves from the first's cache.
  const configKeysBehind = configKeyFinder(config, "shop");

  it("names a key whose value is in the inputs (also inside JSON documents) and in the finding's message", () => {
    assert.deepEqual(configKeysBehind('container "web" image registry.example.com/shop:latest is not pinned', inputs), ["shop:image"]);
  });

  it("ignores other namespaces, secrets, short values and values found only in tags", () => {
    assert.deepEqual(configKeysBehind("us-east-1 offline-secret-placeholder https://shop.example.com * prod", inputs), []);
  });

  it("turns the keys into commands with the stack", () => {
    assert.equal(configHint(["shop:image"], "production"), "In this program the value comes from config `shop:image`: pulumi config set shop:image <value> -s production");
    assert.equal(configHint([], "production"), undefined);
  });
});

describe("gate: call sites from a stack trace", () => {
  const stack = [
    "Error: call site",
    "    at Object.transformation (file:///repo/gate/call-site.ts:31:18)",
    "    at new Resource (/repo/node_modules/@pulumi/pulumi/resource.js:189:26)",
    "    at new Network (file:///repo/components/network.ts:75:5)",
    "    at new Platform (file:///repo/components/platform.ts:29:21)",
    "    at file:///repo/index.ts:12:1",
  ].join("\n");

  it("takes the first frame outside libraries", () => {
    assert.deepEqual(programFrame(stack.replace("file:///repo/gate/call-site.ts", "node:internal/x")), { file: "/repo/components/network.ts", line: 75 });
  });

  it("skips a component's own constructor: its declaration is where it is constructed", () => {
    const withoutSelf = stack.split("\n").filter((l) => !l.includes("call-site.ts")).join("\n");
    assert.deepEqual(programFrame(withoutSelf, "new Network"), { file: "/repo/components/platform.ts", line: 29 });
  });
});
