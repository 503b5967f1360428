import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { parsePlatformConfig, type ConfigError, type ConfigIssue } from "../config/platform-config.ts";
import { PROFILES } from "../config/profiles.ts";
import { rawConfigSchema, SECRET_KEYS } from "../config/schema.ts";
import { ENVIRONMENT_NAME, resolveStackIdentity, rolloutEnvironment } from "../config/stack-identity.ts";
import { countingMocks, PROJECT_DIR, platformConfigOf, runStack, type ConfigChange } from "./support/stacks.ts";

/**
 * Runs index.ts for `stack` with `change` applied and asserts that it is refused before anything is
 * registered: the run rejects with a ConfigError and the mocks saw no custom resource at all.
 */
async function refused(stack: string, change: ConfigChange): Promise<ConfigError> {
  // mocha may load this file through tsx's CommonJS hook while the program is imported as an ES module:
  // the class must come from the ES module graph the program uses for `instanceof` to mean anything.
  const { ConfigError } = await import("../config/platform-config.ts");
  const { mocks, registered } = countingMocks();
  let caught: unknown;
  await runStack(stack, change, mocks).catch((err: unknown) => { caught = err; });
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.deepEqual(registered(), [], "nothing may be registered when config is invalid");
  return caught;
}

/** The issue for `key`, checked to name the key, say what is wrong and how to fix it, in the message too. */
function issueFor(error: ConfigError, key: string, fix: RegExp): ConfigIssue {
  const issue = error.issues.find((i) => i.key === `readiness:${key}`);
  assert.ok(issue, `no issue for readiness:${key}; got ${error.issues.map((i) => i.key).join(", ")}`);
  assert.ok(issue.problem.length > 0);
  assert.match(issue.fix, fix);
  assert.ok(error.message.includes(`readiness:${key}`), "the message names the key");
  assert.ok(error.message.includes(issue.fix), "the message gives the fix");
  return issue;
}

describe("config: the real stack files", () => {
  for (const stack of ["dev", "staging", "production"] as const) {
    it(`${stack} is valid and takes the ${stack} profile's defaults`, async () => {
      const config = await platformConfigOf(stack);
      assert.equal(config.environment, stack);
      assert.deepEqual(config.network, PROFILES[stack].network);
      assert.deepEqual(config.database, PROFILES[stack].database);
      assert.deepEqual(config.cache, PROFILES[stack].cache);
      assert.deepEqual(config.tags, { Project: "readiness", Stack: stack, Environment: stack, ManagedBy: "pulumi" });
    });
  }

  it("production's profile meets the readiness bar", () => {
    const p = PROFILES.production;
    assert.equal(p.network.azCount, 3);
    assert.equal(p.network.natGateways, "one-per-az");
    assert.ok(p.database.instances >= 2 && p.database.deletionProtection && p.database.backupRetentionDays >= 14);
    assert.ok(p.cache.replicas >= 1);
  });
});

describe("config: bad input is refused before anything is registered", () => {
  it("missing production keys: domain, certificate, hosts, CORS origins, alarm e-mail, admin allow-list", async () => {
    const error = await refused("production", { unset: ["domain", "allowedHosts", "corsOrigins", "alarmEmail", "adminAllowCidrs"] });
    for (const key of ["domain.name", "domain.certificateArn", "allowedHosts", "corsOrigins", "alarmEmail", "adminAllowCidrs"]) {
      const issue = issueFor(error, key, /pulumi config set/);
      assert.equal(issue.value, undefined);
      assert.match(issue.problem, /required in production/);
    }
  });

  it("`*` CORS origin in production", async () => {
    const error = await refused("production", { set: { corsOrigins: ["*"] } });
    assert.match(issueFor(error, "corsOrigins", /https:\/\/ origin/).problem, /\*/);
  });

  it("http:// CORS origin in production", async () => {
    const error = await refused("production", { set: { corsOrigins: ["http://app.example.com"] } });
    assert.match(issueFor(error, "corsOrigins", /https:\/\/ origin/).problem, /http:\/\/app\.example\.com/);
  });

  it("invalid CIDRs: the VPC and the admin allow-list", async () => {
    const error = await refused("dev", { set: { network: { cidr: "10.0.0.0/33" }, adminAllowCidrs: ["203.0.113.300/24"] } });
    assert.equal(issueFor(error, "network.cidr", /pulumi config set --path 'network\.cidr'/).value, "10.0.0.0/33");
    assert.match(issueFor(error, "adminAllowCidrs.0", /adminAllowCidrs/).problem, /CIDR/);
  });

  it("a VPC too small for the subnet plan", async () => {
    const error = await refused("staging", { set: { network: { cidr: "10.0.0.0/24" } } });
    assert.match(issueFor(error, "network.cidr", /network\.cidr/).problem, /\/20/);
  });

  it("out-of-range sizes: AZs, instances, capacity, replicas, timeout", async () => {
    const error = await refused("dev", {
      set: {
        network: { azCount: 5 },
        database: { instances: 16, minCapacity: 0.1, statementTimeoutMs: 10 },
        cache: { replicas: 6 },
      },
    });
    assert.match(issueFor(error, "network.azCount", /network\.azCount/).problem, /at most 3/);
    assert.match(issueFor(error, "database.instances", /database\.instances/).problem, /at most 15/);
    assert.match(issueFor(error, "database.minCapacity", /database\.minCapacity/).problem, /at least 0\.5/);
    assert.match(issueFor(error, "database.statementTimeoutMs", /statementTimeoutMs/).problem, /at least 1000/);
    assert.match(issueFor(error, "cache.replicas", /cache\.replicas/).problem, /at most 5/);
  });

  it("a maximum below its minimum", async () => {
    const error = await refused("dev", { set: { database: { minCapacity: 8, maxCapacity: 4 } } });
    assert.match(issueFor(error, "database.maxCapacity", /database\.maxCapacity 8/).problem, /below database\.minCapacity/);
  });

  it("plaintext thirdPartySecrets, without echoing the value", async () => {
    const leaked = "sk_live_plaintext_in_yaml";
    const error = await refused("staging", { set: { thirdPartySecrets: { STRIPE_SECRET_KEY: leaked } } });
    const issue = issueFor(error, "thirdPartySecrets", /pulumi config set --secret/);
    assert.match(issue.problem, /plaintext/);
    assert.ok(!error.message.includes(leaked), "the error repeats the secret");
  });

  it("a badly named third-party secret, without echoing the value", async () => {
    const error = await refused("dev", { set: { thirdPartySecrets: { "sentry-dsn": "https://x@sentry.io/1" } }, secret: ["thirdPartySecrets"] });
    assert.match(issueFor(error, "thirdPartySecrets.sentry-dsn", /rename it.*--secret/).problem, /UPPER_SNAKE_CASE/);
    assert.ok(!error.message.includes("https://x@sentry.io/1"));
  });

  const unsafe: [key: string, set: Record<string, unknown>, fix: RegExp][] = [
    ["network.azCount", { network: { azCount: 2 } }, /network\.azCount 3/],
    ["network.natGateways", { network: { natGateways: "single" } }, /one-per-az/],
    ["database.instances", { database: { instances: 1 } }, /database\.instances 2/],
    ["database.backupRetentionDays", { database: { backupRetentionDays: 7 } }, /backupRetentionDays 14/],
    ["database.deletionProtection", { database: { deletionProtection: false } }, /deletionProtection true/],
    ["cache.replicas", { cache: { replicas: 0 } }, /cache\.replicas 1/],
    ["backup.enabled", { backup: { enabled: false } }, /backup\.enabled true/],
  ];
  for (const [key, set, fix] of unsafe) {
    it(`unsafe production override: ${key}`, async () => {
      const error = await refused("production", { set });
      assert.equal(error.issues.length, 1, error.message);
      const issue = issueFor(error, key, fix);
      assert.ok(issue.problem.length > 20, "says why production refuses it");
    });
  }

  it("the same overrides are accepted outside production", async () => {
    const config = await platformConfigOf("dev", { set: { network: { azCount: 2, natGateways: "single" }, database: { instances: 1, deletionProtection: false }, cache: { replicas: 0 } } });
    assert.equal(config.network.natGateways, "single");
    assert.equal(config.database.deletionProtection, false);
  });

  it("reports every problem at once", async () => {
    const error = await refused("production", {
      set: { corsOrigins: ["*"], network: { natGateways: "single", cidr: "not-a-cidr" }, database: { instances: 99 } },
      unset: ["alarmEmail"],
    });
    const keys = error.issues.map((i) => i.key).sort();
    assert.deepEqual(keys, ["readiness:alarmEmail", "readiness:corsOrigins", "readiness:database.instances", "readiness:network.cidr", "readiness:network.natGateways"]);
  });

  it("an unknown key (a typo) suggests the nearest key, with the stack in the fix", async () => {
    const error = await refused("dev", { set: { databse: { instances: 2 } } });
    const issue = issueFor(error, "databse", /pulumi config rm --path 'databse' -s dev, then pulumi config set --path 'database' <value> -s dev/);
    assert.match(issue.problem, /`databse`: did you mean `database`\?/);
  });

  it("an unknown nested key suggests among that object's keys; one far from all of them lists them", async () => {
    const error = await refused("dev", { set: { database: { instnaces: 2 }, zzz: "1" } });
    assert.match(issueFor(error, "database.instnaces", /-s dev/).problem, /did you mean `instances`\?/);
    assert.match(issueFor(error, "zzz", /pulumi config rm --path 'zzz' -s dev/).problem, /known here: environment, network, domain/);
  });

  it("every fix that is a command names the stack", async () => {
    const error = await refused("production", { set: { corsOrigins: ["*"], allowedHosts: ["*"], web: { memory: 999 } } });
    for (const issue of error.issues.filter((i) => i.fix.includes("pulumi config"))) assert.match(issue.fix, /-s production/, issue.fix);
    assert.match(issueFor(error, "corsOrigins", /pulumi config set --path 'corsOrigins\[0\]' https:\/\/app.example.com -s production/).problem, /\*/);
  });
});

describe("parsePlatformConfig", () => {
  it("gives Redis OSS a version it has when only the engine is switched", async () => {
    assert.equal((await platformConfigOf("dev", { set: { cache: { engine: "redis" } } })).cache.engineVersion, "7.1");
    assert.equal((await platformConfigOf("dev", { set: { cache: { engine: "redis", engineVersion: "7.0" } } })).cache.engineVersion, "7.0");
    assert.equal((await platformConfigOf("dev")).cache.engineVersion, PROFILES.dev.cache.engineVersion);
  });

  it("is pure: the same input gives the same result", () => {
    const input = { project: "readiness", stack: "dev", values: { web: JSON.stringify({ image: "repo/app:1" }) }, secretKeys: [] };
    assert.deepEqual(parsePlatformConfig(input), parsePlatformConfig(input));
  });
});

describe("docs/configuration.md", () => {
  /** Dotted leaf keys of the schema; a record (thirdPartySecrets) is documented as `<key>.<NAME>`. */
  function schemaKeys(shape: Record<string, z.ZodType>, prefix = ""): string[] {
    return Object.entries(shape).flatMap(([key, field]) => {
      const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
      if (inner instanceof z.ZodObject) return schemaKeys(inner.shape as Record<string, z.ZodType>, `${prefix}${key}.`);
      return [inner instanceof z.ZodRecord ? `${prefix}${key}.<NAME>` : `${prefix}${key}`];
    });
  }
  const profileDefault = (env: keyof typeof PROFILES, key: string) =>
    key.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], PROFILES[env]);

  let rows: Map<string, string[]>;
  before(async () => {
    const text = await readFile(path.join(PROJECT_DIR, "docs", "configuration.md"), "utf8");
    const keysSection = text.slice(text.indexOf("## Keys"), text.indexOf("\n## ", text.indexOf("## Keys") + 1));
    rows = new Map(keysSection.split("\n").filter((l) => l.startsWith("| `")).map((line) => {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      return [cells[0].replace(/`/g, ""), cells];
    }));
  });

  it("documents exactly the keys the schema accepts", () => {
    assert.deepEqual([...rows.keys()].sort(), schemaKeys(rawConfigSchema.shape as Record<string, z.ZodType>).sort());
  });

  it("shows each environment's defaults as the profiles define them", () => {
    for (const [key, cells] of rows) {
      (["dev", "staging", "production"] as const).forEach((env, i) => {
        const value = profileDefault(env, key);
        if (value === undefined) return;
        const shown = typeof value === "string" ? value : JSON.stringify(value);
        assert.equal(cells[2 + i], `\`${shown}\``, `${key} default in ${env}`);
      });
    }
  });

  it("marks exactly the secret keys as secret", () => {
    const secret = [...rows].filter(([, cells]) => cells[5].includes("yes")).map(([key]) => key.split(".")[0]);
    assert.deepEqual(secret.sort(), [...SECRET_KEYS].sort());
  });
});

describe("config: the stack identity, resolved once", () => {
  it("takes the environment from `environment` when set, else the stack's name, and refuses a stack with neither", () => {
    assert.deepEqual(resolveStackIdentity("shop", "eu-prod", "production"), { ok: true, identity: { project: "shop", stack: "eu-prod", environment: "production" } });
    assert.deepEqual(resolveStackIdentity("shop", "staging", undefined), { ok: true, identity: { project: "shop", stack: "staging", environment: "staging" } });
    const refused = resolveStackIdentity("shop", "qa", undefined);
    assert.ok(!refused.ok);
    assert.match(refused.problem.problem, /stack "qa" is not named after an environment and sets none/);
    assert.equal(refused.problem.fix, "pulumi config set environment <dev|staging|production> -s qa");
  });

  it("the rollout keeps a stack's state under --env, else the stack's name, else local", () => {
    assert.equal(rolloutEnvironment("prod", "production"), "prod");
    assert.equal(rolloutEnvironment(undefined, "production"), "production");
    assert.equal(rolloutEnvironment(undefined, undefined), "local");
    for (const name of ["prod", "eu_prod-2", "local"]) assert.match(name, ENVIRONMENT_NAME);
    for (const name of ["", "-prod", "../prod", "a".repeat(64)]) assert.doesNotMatch(name, ENVIRONMENT_NAME);
  });
});
