import type { Environment } from "../policies/shared/environments.ts";

/**
 * Safe defaults per environment. Production is sized to survive the loss of an AZ; dev is sized
 * to be cheap. Anything here can be overridden in `Pulumi.<stack>.yaml`, but `productionRules`
 * refuses overrides that would make production unsafe.
 */
export const PROFILES: Record<Environment, ProfileDefaults> = {
  dev: {
    network: { cidr: "10.10.0.0/16", azCount: 2, natGateways: "single", flowLogRetentionDays: 7 },
    database: { engineVersion: "16.6", minCapacity: 0.5, maxCapacity: 2, instances: 1, backupRetentionDays: 7, deletionProtection: false, statementTimeoutMs: 30000 },
    cache: { engine: "valkey", engineVersion: "8.0", nodeType: "cache.t4g.micro", replicas: 0 },
    app: { settingsModule: "app.settings.production", debug: false, rateLimitEnabled: true, port: 8000 },
    web: { canaryWeight: 0, canaryDesiredCount: 0, cpu: 256, memory: 512, desiredCount: 1, maxCount: 2, idleTimeoutSeconds: 60 },
    worker: { command: ["celery", "-A", "app", "worker", "--loglevel", "INFO"], cpu: 256, memory: 512, desiredCount: 1, maxCount: 2 },
    waf: { rateLimit: 2000 },
    logRetentionDays: 7,
    backup: { enabled: false, retentionDays: 7 },
  },
  staging: {
    network: { cidr: "10.20.0.0/16", azCount: 2, natGateways: "one-per-az", flowLogRetentionDays: 30 },
    database: { engineVersion: "16.6", minCapacity: 0.5, maxCapacity: 4, instances: 2, backupRetentionDays: 7, deletionProtection: true, statementTimeoutMs: 30000 },
    cache: { engine: "valkey", engineVersion: "8.0", nodeType: "cache.t4g.small", replicas: 1 },
    app: { settingsModule: "app.settings.production", debug: false, rateLimitEnabled: true, port: 8000 },
    web: { canaryWeight: 0, canaryDesiredCount: 0, cpu: 512, memory: 1024, desiredCount: 2, maxCount: 4, idleTimeoutSeconds: 60 },
    worker: { command: ["celery", "-A", "app", "worker", "--loglevel", "INFO"], cpu: 512, memory: 1024, desiredCount: 1, maxCount: 4 },
    waf: { rateLimit: 2000 },
    logRetentionDays: 30,
    backup: { enabled: false, retentionDays: 14 },
  },
  production: {
    network: { cidr: "10.30.0.0/16", azCount: 3, natGateways: "one-per-az", flowLogRetentionDays: 90 },
    database: { engineVersion: "16.6", minCapacity: 1, maxCapacity: 16, instances: 2, backupRetentionDays: 14, deletionProtection: true, statementTimeoutMs: 30000 },
    cache: { engine: "valkey", engineVersion: "8.0", nodeType: "cache.r7g.large", replicas: 2 },
    app: { settingsModule: "app.settings.production", debug: false, rateLimitEnabled: true, port: 8000 },
    web: { canaryWeight: 0, canaryDesiredCount: 0, cpu: 1024, memory: 2048, desiredCount: 2, maxCount: 10, idleTimeoutSeconds: 60 },
    worker: { command: ["celery", "-A", "app", "worker", "--loglevel", "INFO"], cpu: 1024, memory: 2048, desiredCount: 2, maxCount: 8 },
    waf: { rateLimit: 2000 },
    logRetentionDays: 90,
    backup: { enabled: true, retentionDays: 35 },
  },
};

export interface ProfileDefaults {
  network: { cidr: string; azCount: number; natGateways: "single" | "one-per-az"; flowLogRetentionDays: number };
  database: { engineVersion: string; minCapacity: number; maxCapacity: number; instances: number; backupRetentionDays: number; deletionProtection: boolean; statementTimeoutMs: number };
  cache: { engine: "valkey" | "redis"; engineVersion: string; nodeType: string; replicas: number };
  app: { settingsModule: string; debug: boolean; rateLimitEnabled: boolean; port: number };
  web: { canaryWeight: number; canaryDesiredCount: number; cpu: number; memory: number; desiredCount: number; maxCount: number; idleTimeoutSeconds: number };
  worker: { command: string[]; cpu: number; memory: number; desiredCount: number; maxCount: number };
  waf: { rateLimit: number };
  logRetentionDays: number;
  backup: { enabled: boolean; retentionDays: number };
}
