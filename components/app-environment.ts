// What the application container is told: plain settings and endpoints, and every credential as a secret reference.
// The web and worker containers share it.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";

/** Where the application reaches the data tier (database and cache); the data tier hands these over as they are. */
export interface DataBackends {
  /** RDS Proxy endpoint: the application never connects to the cluster directly. */
  readonly databaseHost: pulumi.Input<string>;
  readonly databaseName: string;
  /** Secrets Manager secret with `username` and `password` keys (the cluster's managed master secret). */
  readonly databaseSecretArn: pulumi.Input<string>;
  readonly cacheHost: pulumi.Input<string>;
  /** Secrets Manager secret holding the cache AUTH token as a plain string. */
  readonly cacheAuthSecretArn: pulumi.Input<string>;
}

/** Every backend the application reaches: the data tier's, and the application tier's own storage and outbox. */
export interface AppBackends extends DataBackends {
  readonly mediaBucketName: pulumi.Input<string>;
  readonly mediaBucketArn: pulumi.Input<string>;
  readonly outboxQueueUrl: pulumi.Input<string>;
  readonly outboxQueueArn: pulumi.Input<string>;
}

/** Secrets the application reads at start, as Secrets Manager ARNs (values never pass through Pulumi). */
export interface AppSecretArns {
  /** Django `SECRET_KEY`. */
  readonly secretKeyArn: pulumi.Input<string>;
  /** Third-party credentials by environment variable name. */
  readonly thirdPartySecretArns: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The application's settings shared by the web and worker containers. */
export interface AppSettings {
  readonly app: PlatformConfig["app"];
  readonly allowedHosts: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly csrfTrustedOrigins: readonly string[];
  readonly region: string;
}

/** One ECS container environment entry or secret reference. */
export interface NameValue { readonly name: string; readonly value: string }
export interface NameValueFrom { readonly name: string; readonly valueFrom: string }

/**
 * The container's plain environment: settings and endpoints only. Every credential goes through
 * `appSecrets` instead, so no secret value is ever part of the task definition.
 */
export function appEnvironment(settings: AppSettings, backends: { databaseHost: string; databaseName: string; cacheHost: string; mediaBucketName: string; outboxQueueUrl: string }): NameValue[] {
  return [
    { name: "DJANGO_SETTINGS_MODULE", value: settings.app.settingsModule },
    { name: "DEBUG", value: settings.app.debug ? "True" : "False" },
    { name: "ALLOWED_HOSTS", value: settings.allowedHosts.join(",") },
    { name: "CSRF_TRUSTED_ORIGINS", value: settings.csrfTrustedOrigins.join(",") },
    { name: "CORS_ALLOWED_ORIGINS", value: settings.corsOrigins.join(",") },
    { name: "RATE_LIMIT_ENABLED", value: String(settings.app.rateLimitEnabled) },
    {
      name: "GUNICORN_CMD_ARGS",
      // Access log to stdout (CloudWatch); the worker heartbeat lives on the writable /tmp volume.
      value: `--bind 0.0.0.0:${settings.app.port} --access-logfile - --error-logfile - --timeout 30 --graceful-timeout 25 --worker-tmp-dir /tmp`,
    },
    { name: "DATABASE_HOST", value: backends.databaseHost },
    { name: "DATABASE_PORT", value: "5432" },
    { name: "DATABASE_NAME", value: backends.databaseName },
    { name: "DATABASE_SSLMODE", value: "require" },
    { name: "REDIS_HOST", value: backends.cacheHost },
    { name: "REDIS_PORT", value: "6379" },
    { name: "REDIS_TLS", value: "true" },
    { name: "AWS_STORAGE_BUCKET_NAME", value: backends.mediaBucketName },
    { name: "AWS_REGION", value: settings.region },
    { name: "OUTBOX_QUEUE_URL", value: backends.outboxQueueUrl },
    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
    { name: "PYTHONUNBUFFERED", value: "1" },
  ];
}

/** Every credential as an ECS secret reference; the execution role may read exactly these ARNs. */
export function appSecrets(arns: { secretKeyArn: string; databaseSecretArn: string; cacheAuthSecretArn: string; thirdParty: Readonly<Record<string, string>> }): NameValueFrom[] {
  return [
    { name: "SECRET_KEY", valueFrom: arns.secretKeyArn },
    { name: "DATABASE_USER", valueFrom: `${arns.databaseSecretArn}:username::` },
    { name: "DATABASE_PASSWORD", valueFrom: `${arns.databaseSecretArn}:password::` },
    { name: "REDIS_PASSWORD", valueFrom: arns.cacheAuthSecretArn },
    ...Object.entries(arns.thirdParty).sort(([a], [b]) => a.localeCompare(b)).map(([name, valueFrom]) => ({ name, valueFrom })),
  ];
}

/** The container environment and secret references once every endpoint and ARN is known; web and worker share them. */
export function appContainerInputs(settings: AppSettings, backends: AppBackends, secrets: AppSecretArns): { environment: pulumi.Output<NameValue[]>; secrets: pulumi.Output<NameValueFrom[]> } {
  const b = backends;
  return {
    environment: pulumi.all([b.databaseHost, b.cacheHost, b.mediaBucketName, b.outboxQueueUrl])
      .apply(([databaseHost, cacheHost, mediaBucketName, outboxQueueUrl]) =>
        appEnvironment(settings, { databaseHost, databaseName: b.databaseName, cacheHost, mediaBucketName, outboxQueueUrl })),
    secrets: pulumi.all([secrets.secretKeyArn, b.databaseSecretArn, b.cacheAuthSecretArn, pulumi.output(secrets.thirdPartySecretArns)])
      .apply(([secretKeyArn, databaseSecretArn, cacheAuthSecretArn, thirdParty]) =>
        appSecrets({ secretKeyArn, databaseSecretArn, cacheAuthSecretArn, thirdParty: thirdParty as Record<string, string> })),
  };
}

/** Every ARN the execution role must be able to read for `appContainerInputs`. */
export function secretArnsToRead(secrets: AppSecretArns, backends: Pick<AppBackends, "databaseSecretArn" | "cacheAuthSecretArn">): pulumi.Input<string>[] {
  return [secrets.secretKeyArn, backends.databaseSecretArn, backends.cacheAuthSecretArn, ...Object.values(secrets.thirdPartySecretArns)];
}
