import * as pulumi from "@pulumi/pulumi";
import * as runtimeState from "@pulumi/pulumi/runtime/state.js";
import { ConfigError, parseStackConfig, type PlatformConfig } from "./platform-config.ts";

/**
 * Reads the running stack's config from the Pulumi runtime and validates it. Throws a ConfigError
 * listing every problem before any resource is created, so an invalid stack provisions nothing.
 * This is the only place in the program that reads `pulumi.Config`.
 */
export function loadPlatformConfig(): PlatformConfig {
  const result = parseStackConfig({
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    config: pulumi.runtime.allConfig(),
    secretKeys: configSecretKeys(),
  });
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/**
 * The keys the CLI (or `setAllConfig` under mocks) marked secret. The SDK keeps them next to the
 * config map but exports no reader, and the plaintext check needs them.
 */
function configSecretKeys(): string[] {
  const store = (runtimeState as unknown as { getStore(): { config: Record<string, string | undefined> } }).getStore();
  const raw = store.config["PULUMI_CONFIG_SECRET_KEYS"];
  const keys: unknown = raw ? JSON.parse(raw) : [];
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
}
